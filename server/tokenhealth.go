package server

import (
	"context"
	"net/http"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// Codes of the notices of token health and of links seen together.
const (
	// CodeTokenNotWorking (danger, and last_error): Jira no longer accepts
	// the kept token (token_rejected, token_expired or a bare 401 at
	// myself): revoked by its approver, or the Application Link's OAuth
	// settings were edited in Jira, which deletes every token.
	CodeTokenNotWorking fault.Code = "token_not_working"
	// CodeTokenAccountChanged (danger, and last_error): the token now acts
	// as another account than the one that approved it.
	CodeTokenAccountChanged fault.Code = "token_account_changed"
	// CodeTokenExpiring (warning): the kept token expires within
	// ExpiryWarning.
	CodeTokenExpiring fault.Code = "token_expiring"
	// CodeServiceAccountShared (warning): another link of another
	// environment uses the same service account.
	CodeServiceAccountShared fault.Code = "service_account_shared"
	// CodeKeyPairShared (warning): another link uses the same key pair.
	CodeKeyPairShared fault.Code = "key_pair_shared"
)

// ExpiryWarning is how long before a token's expiry its link warns.
const ExpiryWarning = 30 * 24 * time.Hour

// HealthView is the answer of a token health check: whether the token
// still works and acts as the account that approved it, who it acts as
// now, and the problem found (also the link's last_error).
type HealthView struct {
	OK        bool            `json:"ok"`
	CheckedAt time.Time       `json:"checked_at"`
	ActsAs    *oauth.Identity `json:"acts_as"`
	Problem   *Error          `json:"problem"`
}

// CheckHealth asks Jira who the link's token acts as (myself). A token
// Jira no longer accepts, or that acts as another account than the one
// that approved it, becomes the link's last_error (a danger notice, with
// the fix) and the answer's problem; a healthy token clears such an
// error. It is what POST /api/links/{name}/health does: 409 not_approved
// without a token; Jira's failure (502, 504) when it did not answer, which
// changes nothing.
func (s *Server) CheckHealth(ctx context.Context, name string) (*HealthView, error) {
	l, c, tok, err := s.load(name, true, true)
	if err != nil {
		return nil, err
	}
	id, err := c.Myself(ctx, tok.OAuth())
	// Jira did not answer, unless it no longer honours the token.
	if err != nil && !fault.Is(err, oauth.CodeTokenRejected, oauth.CodeTokenExpired, oauth.CodeUnauthorized, oauth.CodePermissionDenied) {
		return nil, err
	}
	h := &HealthView{OK: true, CheckedAt: s.now().UTC(), ActsAs: id}
	switch {
	case err != nil:
		h.Problem = &Error{Code: CodeTokenNotWorking, Step: "myself",
			Message: "Jira no longer accepts the access token (" + string(fault.CodeOf(err)) + "): it was revoked, or the Application Link's OAuth settings were edited in Jira, which deletes every token.",
			Hint:    "Click " + oauth.StartApproval + " and have " + l.ServiceAccount + " approve it; the integration needs the new token."}
	case tok.Approver != nil && !tok.Approver.SameAccount(id):
		h.Problem = &Error{Code: CodeTokenAccountChanged, Step: "myself",
			Message: "The access token now acts as " + id.String() + ", not as " + tok.Approver.String() + " who approved it: the account was deleted and made again, or the link now points at another Jira.",
			Hint:    "Revoke the token in Jira (" + oauth.WhereToRevoke + "), then click " + oauth.StartApproval + " and have " + l.ServiceAccount + " approve it."}
	}
	h.OK = h.Problem == nil
	if h.Problem != nil || isHealth(l.LastError) {
		if _, err := s.updateLink(name, func(l *store.Link) error {
			if h.Problem != nil || isHealth(l.LastError) {
				l.LastError = h.Problem
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	s.healthChecked(l, h)
	ev := s.audit(ctx, "token_health", name).Bool("ok", h.OK).Str("acts_as", id.String())
	if h.Problem != nil {
		ev = ev.Str("code", string(h.Problem.Code))
	}
	ev.Msg("token health checked")
	return h, nil
}

// healthLoop checks every authorized link's token (CheckHealth; a link
// without one answers not_approved) at each tick until ctx ends, and logs
// the failures. Serve runs it with a ticker of Config.HealthInterval;
// tests send the ticks.
func (s *Server) healthLoop(ctx context.Context, ticks <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
		links, err := s.store.ListLinks()
		if err != nil {
			s.log.Error().Err(err).Msg("token health: cannot list the links")
		}
		for _, l := range links {
			if _, err := s.CheckHealth(ctx, l.Name); err != nil && !fault.Is(err, CodeNotApproved) {
				logOAuthError(s.log.Warn().Str("link", l.Name), err).Msg("token health: the check did not complete")
			}
		}
	}
}

// apiHealth is POST /api/links/{name}/health.
func (s *Server) apiHealth(w http.ResponseWriter, r *http.Request) {
	h, err := s.CheckHealth(r.Context(), r.PathValue("name"))
	s.answer(w, r, http.StatusOK, h, err)
}
