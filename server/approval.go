package server

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/applink/applink/oauth"
)

// validHandshakeID reports whether id has the form of a handshake id
// (store.NewHandshakeID: 22 to 64 letters, digits, '-' or '_'), checked
// before any lookup.
func validHandshakeID(id string) bool {
	if len(id) < 22 || len(id) > 64 {
		return false
	}
	return validName(id)
}

// approvePage is the data of approve.html.
type approvePage struct {
	page
	LinkName       string
	Environment    string
	JiraURL        string
	ServiceAccount string
	Before         string
	AuthorizeURL   string
	ExpiresAt      time.Time
}

// errApprovalGone is the page of an approval link that is unknown, used
// or expired.
func errApprovalGone(expired bool) *Error {
	if expired {
		return &Error{Code: CodeHandshakeExpired,
			Message: "This approval link has expired: Jira keeps a request for 10 minutes only.",
			Hint:    "Ask the applink admin for a new approval link, and open it right away."}
	}
	return &Error{Code: CodeHandshakeUnknown,
		Message: "This approval link is unknown or has been used already.",
		Hint:    "Ask the applink admin for a new approval link."}
}

// pageApprove is GET /approve/{id}: for the service account's owner, no
// sign-in. It says which Jira and which account, warns before anything
// happens, and links to Jira's authorize page.
func (s *Server) pageApprove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validHandshakeID(id) {
		s.renderError(w, r, errApprovalGone(false))
		return
	}
	h, err := s.store.Handshake(id)
	if isNotFound(err) {
		s.renderError(w, r, errApprovalGone(false))
		return
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if s.expired(h) {
		s.renderError(w, r, errApprovalGone(true))
		return
	}
	l, err := s.getLink(h.Link)
	if err != nil {
		s.renderError(w, r, errApprovalGone(false))
		return
	}
	s.render(w, r, http.StatusOK, "approve.html", approvePage{
		page:           s.newPage(r, "Approve applink's access to Jira"),
		LinkName:       l.Name,
		Environment:    l.Environment,
		JiraURL:        l.JiraURL,
		ServiceAccount: l.ServiceAccount,
		Before:         oauth.BeforeApproval(l.JiraURL, l.ServiceAccount),
		AuthorizeURL:   h.AuthorizeURL,
		ExpiresAt:      h.ExpiresAt,
	})
}

// callbackPage is the data of callback.html.
type callbackPage struct {
	page
	// Result is "approved", "mismatch", "rejected", "denied" or "failed".
	Result         string
	LinkName       string
	JiraURL        string
	ServiceAccount string
	Approver       string
	Warning        string
	Error          *Error
}

// Longest oauth_token and oauth_verifier accepted at the callback.
const maxCallbackParam = 512

// completeTimeout bounds the work after a callback: the access-token
// exchange and the identity check, each bounded by the consumer's timeout.
const completeTimeout = 2*oauth.DefaultTimeout + 10*time.Second

// pageCallback is GET /oauth/callback?oauth_token=T&oauth_verifier=V,
// where Jira sends the approver's browser. Only a handshake applink
// started, not used yet and younger than 10 minutes is completed; anything
// else gets a 4xx page, changes nothing and does not call Jira.
func (s *Server) pageCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		// A HEAD (link checkers, previews) must not use up the handshake.
		w.Header().Set("Allow", http.MethodGet)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	token, verifier, err := callbackParams(r.URL.RawQuery)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	ctx := r.Context()
	// Pruned after the lookup, so that a late callback hears "expired".
	defer s.prune(ctx)
	h, err := s.store.HandshakeByRequestToken(token)
	if isNotFound(err) {
		s.logger(ctx).Warn().Msg("callback for a request token applink did not issue, or used already")
		s.renderError(w, r, errCallbackUnknown())
		return
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if s.expired(h) {
		s.logger(ctx).Warn().Str("link", h.Link).Msg("callback for an expired handshake")
		s.renderError(w, r, &Error{Code: CodeHandshakeExpired,
			Message: "This approval came back more than 10 minutes after it started, and Jira no longer accepts it.",
			Hint:    "Ask the applink admin to start a new approval, then approve it right away."})
		return
	}
	// Take it: of two concurrent callbacks only one gets it.
	h, err = s.store.TakeHandshake(token)
	if isNotFound(err) {
		s.renderError(w, r, errCallbackUnknown())
		return
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	// The handshake is taken: finish it even if the approver's browser
	// goes away meanwhile, or the approval would be lost.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), completeTimeout)
	defer cancel()
	out, err := s.complete(cctx, h, verifier)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	data := callbackPage{
		page:           s.newPage(r, "Approval"),
		LinkName:       out.Link.Name,
		JiraURL:        out.Link.JiraURL,
		ServiceAccount: out.Link.ServiceAccount,
		Approver:       identityName(out.Approver),
		Warning:        out.Warning,
		Error:          out.Err,
	}
	status := http.StatusOK
	switch {
	case out.Approved && out.Unverified:
		data.Result, data.Title = "unverified", "Approved, but applink cannot confirm by whom"
	case out.Approved && out.Warning != "":
		data.Result, data.Title = "mismatch", "Approved by the wrong account"
	case out.Approved:
		data.Result, data.Title = "approved", "Approved"
	case out.Rejected:
		data.Result, data.Title = "rejected", "Approved by the wrong account: token thrown away"
		status = out.Err.Status()
	case out.Err != nil && out.Err.Code == string(oauth.CodeDenied):
		data.Result, data.Title = "denied", "Access denied"
		status = out.Err.Status()
	default:
		data.Result, data.Title = "failed", "The approval did not complete"
		status = out.Err.Status()
	}
	s.render(w, r, status, "callback.html", data)
}

// errCallbackUnknown is the page of a callback applink did not start.
func errCallbackUnknown() *Error {
	return &Error{Code: CodeHandshakeUnknown,
		Message: "applink did not start this approval, or it has been completed already.",
		Hint:    "If you were approving a link, ask the applink admin for a new approval link. Nothing was changed."}
}

// callbackParams reads oauth_token and oauth_verifier from a callback's
// raw query. Each must be present once, non-empty and short.
func callbackParams(rawQuery string) (token, verifier string, err error) {
	bad := &Error{Code: CodeBadRequest,
		Message: "This is not a valid answer from Jira: oauth_token or oauth_verifier is missing or malformed.",
		Hint:    "Open the approval link again, or ask the applink admin for a new one. Nothing was changed."}
	q, perr := url.ParseQuery(rawQuery)
	if perr != nil {
		return "", "", bad
	}
	tokens, verifiers := q["oauth_token"], q["oauth_verifier"]
	if len(tokens) != 1 || len(verifiers) != 1 {
		return "", "", bad
	}
	token, verifier = tokens[0], verifiers[0]
	if token == "" || verifier == "" || len(token) > maxCallbackParam || len(verifier) > maxCallbackParam {
		return "", "", bad
	}
	return token, verifier, nil
}
