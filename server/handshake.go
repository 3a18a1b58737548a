package server

import (
	"context"
	"time"

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

// HandshakeView is a started handshake: where the approver's browser goes
// (the Jira authorize URL, or the approval link to send to the service
// account's owner) and until when.
type HandshakeView struct {
	AuthorizeURL string    `json:"authorize_url"`
	ApprovalURL  string    `json:"approval_url"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// consumer returns the OAuth consumer of a link.
func (s *Server) consumer(l *store.Link) (*oauth.Consumer, error) {
	key, err := s.store.PrivateKey(l.Name)
	if err != nil {
		return nil, err
	}
	c, err := oauth.NewConsumer(l.JiraURL, l.ConsumerKey, key)
	if err != nil {
		return nil, err
	}
	c.HTTPClient = s.client
	c.Now = s.now
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

// StartHandshake asks the link's Jira for a request token with applink's
// callback, records the pending handshake (so that a restart loses
// nothing) and marks the link awaiting_approval. It is what POST
// /api/links/{name}/handshakes does. A failure at Jira marks the link
// failed with the diagnosis as last_error and returns it as an *Error with
// the oauth code; a token approved earlier stays.
func (s *Server) StartHandshake(ctx context.Context, name string) (*HandshakeView, error) {
	l, err := s.getLink(name)
	if err != nil {
		return nil, err
	}
	s.prune(ctx)
	c, err := s.consumer(l)
	if err != nil {
		return nil, err
	}
	rt, err := c.RequestToken(ctx, s.callbackURL)
	if err != nil {
		e := asError(err)
		if e.Code == CodeInternal {
			return nil, e
		}
		logOAuthError(s.audit(ctx, "handshake_failed", name), err).Msg("Jira refused the request token")
		if _, uerr := s.updateLink(name, func(l *store.Link) error {
			l.State = stateAfterFailure(l, store.StateFailed)
			l.LastError = &store.ErrorInfo{Code: e.Code, Message: e.Message, Hint: e.Hint}
			return nil
		}); uerr != nil {
			s.logger(ctx).Error().Err(uerr).Str("link", name).Msg("saving the failure failed")
		}
		return nil, e
	}
	now := s.now().UTC()
	issued := rt.IssuedAt
	if issued.IsZero() {
		issued = now
	}
	expires := issued.Add(oauth.RequestTokenLifetime)
	if !rt.ExpiresAt.IsZero() && rt.ExpiresAt.Before(expires) {
		expires = rt.ExpiresAt
	}
	authorize := rt.AuthorizeURL
	if authorize == "" {
		authorize = c.AuthorizeURL(rt.Token.Token)
	}
	h := &store.Handshake{
		ID:           store.NewHandshakeID(),
		Link:         name,
		RequestToken: rt.Token.Token,
		TokenSecret:  rt.Secret,
		AuthorizeURL: authorize,
		CreatedAt:    issued.UTC(),
		ExpiresAt:    expires.UTC(),
	}
	if err := s.store.SaveHandshake(h); err != nil {
		return nil, err
	}
	if _, err := s.updateLink(name, func(l *store.Link) error {
		l.State = store.StateAwaitingApproval
		l.LastError = nil
		return nil
	}); err != nil {
		return nil, err
	}
	s.audit(ctx, "handshake_started", name).Time("expires_at", h.ExpiresAt).
		Str("service_account", l.ServiceAccount).Msg("handshake started")
	return &HandshakeView{
		AuthorizeURL: h.AuthorizeURL,
		ApprovalURL:  s.publicURL + ApprovalPathPrefix + h.ID,
		ExpiresAt:    h.ExpiresAt,
	}, nil
}

// stateAfterFailure is the state of a link whose latest handshake failed,
// was denied or was rejected: a link that keeps a token approved earlier
// stays authorized (that token still works; last_error tells what became
// of the new attempt), any other link takes state.
func stateAfterFailure(l *store.Link, state string) string {
	if l.AuthorizedAt != nil {
		return store.StateAuthorized
	}
	return state
}

// expired reports whether a pending handshake is too old to use.
func (s *Server) expired(h *store.Handshake) bool {
	now := s.now()
	return !now.Before(h.ExpiresAt) || now.Sub(h.CreatedAt) >= oauth.RequestTokenLifetime
}

// outcome is what a callback did, for its page.
type outcome struct {
	Link     *store.Link
	Approver *oauth.Identity
	// Approved: a token was saved (Warning set when it was approved by
	// someone other than the service account).
	Approved bool
	Warning  string
	// Unverified: a token was saved, but applink cannot tell whether the
	// service account approved it (Jira did not name the approver, or not
	// in the form the service account is written in); Warning says why.
	Unverified bool
	// Rejected: approved by the wrong account and thrown away.
	Rejected bool
	// Err is the failure: denied, rejected or a Jira failure.
	Err *Error
}

// complete finishes a handshake taken from the store: it exchanges the
// verifier, asks who approved, and saves the outcome in the link.
func (s *Server) complete(ctx context.Context, h *store.Handshake, verifier string) (*outcome, error) {
	l, err := s.getLink(h.Link)
	if err != nil {
		return nil, err
	}
	c, err := s.consumer(l)
	if err != nil {
		return nil, err
	}
	rt := &oauth.RequestToken{
		Token:        oauth.Token{Token: h.RequestToken, Secret: h.TokenSecret},
		AuthorizeURL: h.AuthorizeURL,
		IssuedAt:     h.CreatedAt,
		ExpiresAt:    h.ExpiresAt,
	}
	res, err := c.Complete(ctx, rt, verifier, l.ServiceAccount)
	out := &outcome{Link: l}
	switch {
	case err != nil && res != nil && res.AccessToken != nil && s.onMismatch != MismatchReject:
		// Jira issued the token, but who approved it is unknown (myself
		// failed). Keep it, as the CLI does, and say that it is unchecked.
		return s.saveUnverified(ctx, l, res, err)

	case err != nil:
		e := asError(err)
		if e.Code == CodeInternal {
			return nil, e
		}
		out.Err = e
		state, event := store.StateFailed, "handshake_failed"
		if e.Code == string(oauth.CodeDenied) {
			state, event = store.StateDenied, "denied"
		}
		ev := logOAuthError(s.audit(ctx, event, l.Name), err)
		if res != nil && res.Approver != nil {
			ev = ev.Str("approver", identityName(res.Approver))
		}
		ev.Msg("handshake did not complete")
		out.Link, err = s.updateLink(l.Name, func(l *store.Link) error {
			l.State = stateAfterFailure(l, state)
			l.LastError = &store.ErrorInfo{Code: e.Code, Message: e.Message, Hint: e.Hint}
			return nil
		})
		return out, err

	case !res.Match && !res.Unverified && s.onMismatch == MismatchReject:
		out.Approver, out.Rejected = res.Approver, true
		out.Warning = res.Warning
		if out.Warning == "" {
			out.Warning = oauth.MismatchWarning(res.Approver, l.ServiceAccount)
		}
		out.Err = &Error{Code: CodeWrongApprover,
			Message: "The token was approved by " + identityName(res.Approver) + ", not by the service account " + l.ServiceAccount + ", so applink threw it away.",
			Hint:    "Start a new approval and approve it in a private window, logged in to Jira as " + l.ServiceAccount + ". Then revoke the wrong token in Jira, logged in as " + identityName(res.Approver) + ": " + oauth.WhereToRevoke + "."}
		s.audit(ctx, "mismatch", l.Name).Str("approver", identityName(res.Approver)).
			Str("service_account", l.ServiceAccount).Str("policy", MismatchReject).
			Msg("token approved by the wrong account: rejected")
		out.Link, err = s.updateLink(l.Name, func(l *store.Link) error {
			l.State = stateAfterFailure(l, store.StateFailed)
			l.LastError = &store.ErrorInfo{Code: out.Err.Code, Message: out.Err.Message, Hint: out.Err.Hint}
			return nil
		})
		return out, err
	}

	out.Approver, out.Approved, out.Warning, out.Unverified = res.Approver, true, res.Warning, res.Unverified
	if !res.Match && out.Warning == "" {
		out.Warning = oauth.MismatchWarning(res.Approver, l.ServiceAccount)
	}
	at := res.AccessToken
	out.Link, err = s.updateLink(l.Name, func(l *store.Link) error {
		if err := s.keepToken(l, at, res.ApprovedAt); err != nil {
			return err
		}
		match := res.Match
		l.AuthorizedAs = res.Approver
		l.ServiceAccountMatch = &match
		if res.Unverified {
			l.ServiceAccountMatch = nil // unknown, not false: the warning says why
		}
		l.Warnings = []string{}
		if out.Warning != "" {
			l.Warnings = append(l.Warnings, out.Warning)
		}
		l.LastError = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.audit(ctx, "approved", l.Name).Str("approver", identityName(res.Approver)).
		Str("service_account", l.ServiceAccount).Bool("service_account_match", res.Match).
		Msg("token approved")
	if res.Unverified {
		s.audit(ctx, "unverified", l.Name).Str("approver", identityName(res.Approver)).
			Str("service_account", l.ServiceAccount).
			Msg("token approved by an account applink cannot compare with the service account: kept with a notice")
	} else if !res.Match {
		s.audit(ctx, "mismatch", l.Name).Str("approver", identityName(res.Approver)).
			Str("service_account", l.ServiceAccount).Str("policy", MismatchWarn).
			Msg("token approved by the wrong account: kept with a warning")
	}
	return out, nil
}

// saveUnverified keeps a token whose approver Jira did not name (the
// identity check failed), with a warning and the failure as last_error.
func (s *Server) saveUnverified(ctx context.Context, l *store.Link, res *oauth.Result, cause error) (*outcome, error) {
	e := asError(cause)
	warning := "CHECK: applink could not ask Jira who approved this token (" + e.Message + "), so it does not know whether " +
		l.ServiceAccount + " approved it. Check it before the integration uses the token: start a new approval once Jira answers again, " +
		"or look at the approved tokens in Jira, logged in as " + l.ServiceAccount + ": " + oauth.WhereToRevoke + "."
	at := res.AccessToken
	link, err := s.updateLink(l.Name, func(l *store.Link) error {
		if err := s.keepToken(l, at, res.ApprovedAt); err != nil {
			return err
		}
		l.AuthorizedAs, l.ServiceAccountMatch = nil, nil
		l.Warnings = []string{warning}
		l.LastError = &store.ErrorInfo{Code: e.Code, Message: e.Message, Hint: e.Hint}
		return nil
	})
	if err != nil {
		return nil, err
	}
	logOAuthError(s.audit(ctx, "approved_unverified", l.Name), cause).
		Str("service_account", l.ServiceAccount).Msg("token approved, but who approved it is unknown")
	return &outcome{Link: link, Approved: true, Unverified: true, Warning: warning}, nil
}

// keepToken saves a link's new access token and records it in the link:
// authorized, when (approvedAt, now when zero), until when. The caller sets
// who approved it.
func (s *Server) keepToken(l *store.Link, at *oauth.AccessToken, approvedAt time.Time) error {
	if approvedAt.IsZero() {
		approvedAt = s.now()
	}
	approvedAt = approvedAt.UTC()
	if err := s.store.SaveToken(l.Name, &store.Token{
		AccessToken:            at.Token.Token,
		TokenSecret:            at.Secret,
		SessionHandle:          at.SessionHandle,
		ExpiresAt:              at.ExpiresAt.UTC(),
		AuthorizationExpiresAt: at.AuthorizationExpiresAt.UTC(),
		ApprovedAt:             approvedAt,
	}); err != nil {
		return err
	}
	l.State = store.StateAuthorized
	l.AuthorizedAt = &approvedAt
	l.TokenExpiresAt = nil
	if !at.ExpiresAt.IsZero() {
		t := at.ExpiresAt.UTC()
		l.TokenExpiresAt = &t
	}
	return nil
}
