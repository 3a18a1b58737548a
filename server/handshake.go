package server

import (
	"context"
	"crypto/rsa"
	"fmt"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// Paths that appear in links applink hands out.
const (
	// CallbackPath is the consumer callback of every link.
	CallbackPath = "/oauth/callback"
	// ApprovalPathPrefix starts an approval link: ApprovalPathPrefix + id.
	ApprovalPathPrefix = "/approve/"
)

// HandshakeView is a pending handshake, as the API answers a start and
// the link page shows it: where the approver's browser goes (the Jira
// authorize URL, or the approval link to send to the service account's
// owner) and until when.
type HandshakeView struct {
	AuthorizeURL string    `json:"authorize_url"`
	ApprovalURL  string    `json:"approval_url"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// handshakeView is the view of a pending handshake (nil for none).
func (s *Server) handshakeView(h *store.Handshake) *HandshakeView {
	if h == nil {
		return nil
	}
	return &HandshakeView{AuthorizeURL: h.AuthorizeURL, ApprovalURL: s.publicURL + ApprovalPathPrefix + h.ID, ExpiresAt: h.ExpiresAt}
}

// consumer returns the OAuth consumer of a link with its key, once its Jira
// host is checked (checkJiraHost; the client's dialer checks the address).
func (s *Server) consumer(l *store.Link, key *rsa.PrivateKey) (*oauth.Consumer, error) {
	if err := s.checkJiraHost(context.Background(), l.JiraURL, false); err != nil {
		return nil, err
	}
	c, err := oauth.NewConsumer(l.JiraURL, l.ConsumerKey, key)
	if err != nil {
		return nil, err
	}
	if c.HTTPClient, err = oauth.ClientWithCA(s.client, []byte(l.CAPEM)); err != nil {
		return nil, err
	}
	c.Now, c.Observe = s.now, s.metrics.jiraCall
	return c, nil
}

// prune removes expired handshakes; a failure is only logged.
func (s *Server) prune(ctx context.Context) {
	if n, err := s.store.PruneHandshakes(s.now()); err != nil {
		s.logger(ctx).Warn().Err(err).Msg("pruning expired handshakes failed")
	} else if n > 0 {
		s.logger(ctx).Debug().Int("count", n).Msg("pruned expired handshakes")
	}
}

// pending returns a link's live pending handshake (started last), or nil.
func (s *Server) pending(name string) *store.Handshake {
	h, err := s.store.LatestHandshake(name)
	if err != nil || h.OAuth().Expired(s.now()) {
		return nil
	}
	return h
}

// StartHandshake asks the link's Jira for a request token with applink's
// callback, records the pending handshake (so that a restart loses
// nothing), and as the link's last error what becomes true if nobody
// completes it in time (errNobodyApproved; a token health problem stays). It is what POST
// /api/links/{name}/handshakes does. A failure at Jira marks the link
// failed with the diagnosis as last_error and returns it, with its oauth
// code (a 502 or 504); a token approved earlier stays. A link with
// maxPending live approvals gets CodeTooManyPending (429), without
// calling Jira.
func (s *Server) StartHandshake(ctx context.Context, name string) (*HandshakeView, error) {
	l, c, _, err := s.load(name, true, false)
	if err != nil {
		return nil, err
	}
	s.prune(ctx)
	release, err := s.reservePending(name)
	if err != nil {
		return nil, err
	}
	defer release()
	rt, err := c.RequestToken(ctx, s.callbackURL)
	if err != nil {
		return nil, s.attemptFailed(ctx, l.Name, "handshake_failed", err, nil)
	}
	h := &store.Handshake{
		Link:         name,
		RequestToken: rt.Token.Token,
		TokenSecret:  rt.Secret,
		AuthorizeURL: rt.AuthorizeURL,
		CreatedAt:    rt.IssuedAt.UTC(),
		ExpiresAt:    rt.ExpiresAt.UTC(),
	}
	if _, err := s.updateLink(name, func(r *store.Link) error {
		if r.JiraURL != l.JiraURL { // edited while Jira was asked: the request token is the old address's
			return &Error{Code: CodeLinkEdited, Message: "Link " + name + "'s Jira URL was edited while its Jira was asked for a request token, so that approval was dropped.",
				Hint: "Click " + oauth.StartApproval + " again: the new approval goes to " + r.JiraURL + "."}
		}
		if !isHealth(r.LastError) {
			r.LastError = errNobodyApproved(r.ServiceAccount)
		}
		return s.store.SaveHandshake(h)
	}); err != nil {
		return nil, err
	}
	s.audit(ctx, "handshake_started", name).Time("expires_at", h.ExpiresAt).
		Str("service_account", l.ServiceAccount).Msg("handshake started")
	return s.handshakeView(h), nil
}

// errNobodyApproved is a link's last error once an approval expires
// uncompleted. StartHandshake records it as the approval starts; views do
// not show it while an approval is pending.
func errNobodyApproved(serviceAccount string) *Error {
	return &Error{Code: oauth.CodeRequestExpired,
		Message: "Nobody approved within 10 minutes, so the approval request expired.",
		Hint:    "Click " + oauth.StartApproval + " and have " + serviceAccount + " click Allow in Jira within 10 minutes."}
}

// attemptFailed records a failed attempt (a refusal at Jira, a denial, a
// rejected approval) as the link's last_error, logs the audit
// event (with the approval, when Jira issued a token), and returns the
// failure as an *Error. Internal failures are returned as they are.
func (s *Server) attemptFailed(ctx context.Context, name, event string, cause error, a *oauth.Approval) *Error {
	e := asError(cause)
	if e.Code == CodeInternal {
		return e
	}
	ev := logOAuthError(s.audit(ctx, event, name), cause)
	if a != nil {
		ev = ev.Str("approver", a.Approver.String()).Str("verdict", string(a.Verdict)).Str("policy", s.onMismatch)
	}
	ev.Msg("the approval did not complete")
	s.note(ctx, name, func(l *store.Link) { l.LastError = e })
	return e
}

// note changes a link's record after a callback or a failure (updateLink),
// and reports whether it was saved. A record that cannot be saved is only
// logged: the token and its verdict are saved already, and the views
// derive the link's state from them.
func (s *Server) note(ctx context.Context, name string, f func(*store.Link)) bool {
	_, err := s.updateLink(name, func(l *store.Link) error { f(l); return nil })
	if err != nil {
		s.logger(ctx).Error().Err(err).Str("link", name).Msg("saving the link's record failed")
	}
	return err == nil
}

// outcome is what a callback did, for its page.
type outcome struct {
	Link *store.Link // as the callback loaded it: its page shows the name, Jira and service account
	// Approval is who approved and the verdict, when Jira issued a token
	// (kept, or thrown away under on-mismatch reject).
	Approval *oauth.Approval
	// Kept: the token was saved.
	Kept bool
	// Err is the failure: denied, rejected, a Jira failure, a failed save.
	Err *Error
	// Pending: Jira refused the verifier and the handshake is pending
	// again, so this outcome is not the approval's last word.
	Pending bool
}

// complete finishes a handshake taken from the store: it exchanges the
// verifier, asks who approved, and saves the outcome: the token with its
// approval in one write (keep), or the failure (attemptFailed). A
// callback for a request token Jira has not decided yet (a made-up
// verifier, a forged Deny) puts the handshake back (refused); any other
// answer ends it.
func (s *Server) complete(ctx context.Context, h *store.Handshake, verifier string) (*outcome, error) {
	l, c, _, err := s.load(h.Link, true, false)
	if err != nil {
		return nil, err
	}
	res, err := c.Complete(ctx, h.OAuth(), verifier, l.ServiceAccount, l.ServiceAccountID)
	out := &outcome{Link: l}
	if err == nil {
		out.Approval = &res.Approval
	}
	switch {
	case err != nil && undecided(err):
		out.Err = s.refused(ctx, h, err)
		out.Pending = out.Err.Code != CodeApprovalDropped && out.Err.Code != CodeSaveFailed
	case err != nil && asError(err).Code == oauth.CodeDenied:
		// Jira confirmed the denial: the request token is spent.
		out.Err = s.attemptFailed(ctx, l.Name, "denied", err, nil)
	case err != nil:
		out.Err = s.attemptFailed(ctx, l.Name, "handshake_failed", err, nil)
	case s.onMismatch == MismatchReject && (res.Verdict == oauth.VerdictMismatch || res.Verdict == oauth.VerdictUnknown):
		// reject throws away a token approved by someone else, or by someone
		// Jira did not name; a token applink cannot compare is kept.
		n := res.Notice()
		out.Err = s.attemptFailed(ctx, l.Name, "approval_rejected", &Error{Code: n.Code,
			Message: "The token was thrown away. " + n.Message,
			Hint:    n.Hint}, &res.Approval)
	default:
		out.Err, out.Kept = s.keep(ctx, l, res)
	}
	if out.Err != nil && out.Err.Code == CodeInternal {
		return nil, out.Err
	}
	return out, nil
}

// keep saves a callback's approval under the server's lock (updateLink, as
// an edit judging the token again): in one atomic write (the commit point)
// the new token, or, when the kept one acts as the service account and the
// new one does not, the kept one with the approval as Refused (the notice,
// verifiedKeptNotice, says whom to ask to revoke the new one); then it
// clears the link's last error (but a kept token's health problem). When
// the token cannot be saved, only the last error changes, saying why.
func (s *Server) keep(ctx context.Context, l *store.Link, res *oauth.Result) (e *Error, kept bool) {
	at, was, saved := res.AccessToken, "", false
	var verified *store.Token // the kept token when it acts as the service account: only a match replaces it
	_, err := s.updateLink(l.Name, func(r *store.Link) error {
		if r.ServiceAccount != l.ServiceAccount || r.ServiceAccountID != l.ServiceAccountID { // edited while Jira was asked: judged again
			why := res.IdentityError
			res.Approval = oauth.Judge(res.Approver, r.ServiceAccount, r.ServiceAccountID, nil, res.ApprovedAt)
			res.IdentityError = why
		}
		t := &store.Token{AccessToken: at.Token.Token, TokenSecret: at.Secret, SessionHandle: at.SessionHandle,
			ExpiresAt: at.ExpiresAt.UTC(), AuthorizationExpiresAt: at.AuthorizationExpiresAt.UTC(), Approval: res.Approval}
		if old, err := s.store.Token(l.Name); err == nil {
			if was = string(old.Verdict); old.Verdict == oauth.VerdictMatch && res.Verdict != oauth.VerdictMatch {
				verified, t = old, old
				t.Refused = &res.Approval
			}
		}
		if err := s.store.SaveToken(l.Name, t); err != nil {
			return err
		}
		if saved = true; verified == nil || !isHealth(r.LastError) {
			r.LastError = nil
		}
		if id := res.Approver.ImmutableID(); verified == nil && res.Verdict == oauth.VerdictMatch && id != "" {
			r.ServiceAccountID = id // the pin
		}
		return nil
	})
	if !saved {
		return s.failedSave(ctx, l.Name, err), false
	} else if err != nil {
		s.logger(ctx).Error().Err(err).Str("link", l.Name).Msg("saving the link's record failed")
	}
	if verified != nil {
		s.audit(ctx, "approval_not_kept", l.Name).Str("approver", res.Approver.String()).
			Str("service_account", res.ServiceAccount).Str("verdict", string(res.Verdict)).
			Msg("the service account's token was kept; the new token, approved by another account, was not")
		n := verifiedKeptNotice(verified.Refused, res.ServiceAccount)
		return &Error{Code: n.Code, Message: n.Message, Hint: n.Hint}, false
	}
	ev := s.audit(ctx, "approved", l.Name).Str("approver", res.Approver.String()).
		Str("service_account", res.ServiceAccount).Str("verdict", string(res.Verdict))
	if res.IdentityError != nil {
		ev = ev.Str("identity_error", string(res.IdentityError.Code))
	}
	ev.Msg("token approved and kept")
	s.notify.change(l.Name, "verdict", was, string(res.Verdict))
	return nil, true
}

// failedSave records that the outcome of a callback could not be saved:
// the link's last error says why (kept in memory when the record cannot
// be written either, until a write succeeds), and the returned *Error,
// CodeSaveFailed, says it for the page. It holds no path of the data
// folder.
func (s *Server) failedSave(ctx context.Context, name string, cause error) *Error {
	why, hint := store.Why(cause)
	if !fault.Is(cause, store.CodeIO) || hint == "" {
		why, hint = "the data folder refused the write", "check applink's log and its data folder"
	}
	e := &Error{Code: CodeSaveFailed, Err: cause,
		Message: "applink could not save the approval: " + why + ". Nothing was changed: the link keeps its previous token, if any.",
		Hint:    "Ask the applink admin to " + hint + ", then click " + oauth.StartApproval + "."}
	s.logger(ctx).Error().Err(cause).Str("link", name).Msg("saving the approval failed")
	s.saveErrs.Store(name, e)
	if s.note(ctx, name, func(l *store.Link) { l.LastError = e }) {
		s.saveErrs.Store(name, e) // updateLink cleared it; the record now holds it too
	}
	return e
}

// maxCallbackTries is how many callbacks of one handshake Jira may refuse
// before applink drops it: enough for an approver's slips, too few to
// guess a verifier.
const maxCallbackTries = 5

// undecided reports whether Jira refused an access-token exchange because
// nobody has decided its request token yet (permission_unknown): what a
// callback with a made-up verifier, or a forged Deny, gets before the
// approver acts. Only then would Jira still accept the approval, so only
// then does it stay pending; any other refusal (permission_denied,
// token_rejected, token_expired: spent) ends it. Decided from the code.
func undecided(err error) bool {
	e, ok := fault.As(err)
	return ok && e.Step == "access_token" && e.Code == oauth.CodePermissionUnknown
}

// refused handles a callback Jira refused while the request token is
// undecided: it puts the handshake back, one try more, so that the real
// approver can still finish, and returns the refusal with a hint saying so. At the
// maxCallbackTries-th refusal, or when the handshake cannot be saved, the
// handshake stays dropped and the link's last_error says why.
func (s *Server) refused(ctx context.Context, h *store.Handshake, cause error) *Error {
	h.Tries++
	if h.Tries >= maxCallbackTries {
		return s.attemptFailed(ctx, h.Link, "approval_dropped", &Error{Code: CodeApprovalDropped, Err: cause,
			Message: fmt.Sprintf("Jira refused %d callbacks of this approval (a wrong or made-up verification code), so applink dropped it: its approval link no longer works.", h.Tries),
			Hint:    "Click " + oauth.StartApproval + ", and send the new approval link only to the service account's owner."}, nil)
	}
	if err := s.store.SaveHandshake(h); err != nil {
		return s.failedSave(ctx, h.Link, err)
	}
	logOAuthError(s.audit(ctx, "callback_refused", h.Link), cause).Int("tries", h.Tries).
		Msg("Jira has not decided the request token of a callback; the approval stays pending")
	e := *asError(cause)
	e.Err = cause
	e.Hint = "Nobody has approved or denied this request in Jira yet, so the approval is still pending: if you are approving as the service account, open the approval link and click Allow in Jira."
	return &e
}

// maxPending is how many approvals of one link may be pending at once:
// each holds a request token at Jira and an approval link in the wild.
const maxPending = 5

// reservePending counts a handshake about to start for a link, or refuses
// it (CodeTooManyPending) when the link has maxPending live ones, counting
// those being started. Nothing is dropped to make room. The caller calls
// release once the handshake is saved or has failed.
func (s *Server) reservePending(name string) (release func(), err error) {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	if n := s.store.PendingHandshakes(name, s.now()) + s.starting[name]; n >= maxPending {
		return nil, &Error{Code: CodeTooManyPending,
			Message: fmt.Sprintf("The link %q has %d approvals pending already, the most applink keeps.", name, n),
			Hint:    "Use the approval link sent last (the link's page shows it), or wait for a pending one to expire: Jira keeps each for 10 minutes."}
	}
	s.starting[name]++
	return func() {
		s.pendingMu.Lock()
		defer s.pendingMu.Unlock()
		if s.starting[name]--; s.starting[name] == 0 {
			delete(s.starting, name)
		}
	}, nil
}
