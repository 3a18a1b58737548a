package server

import (
	"context"
	"fmt"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// maxCallbackTries is how many callbacks of one handshake Jira may refuse
// before applink drops it: enough for an approver's slips, too few to
// guess a verifier.
const maxCallbackTries = 5

// verifierRefused reports whether Jira refused an access-token exchange
// for its verifier or request token: what a callback with a made-up
// verifier gets. Such a callback must not end the handshake, or anyone
// holding the approval link could destroy it. Decided from the code.
func verifierRefused(err error) bool {
	e, ok := fault.As(err)
	if !ok || e.Step != "access_token" {
		return false
	}
	switch e.Code {
	case oauth.CodeTokenRejected, oauth.CodePermissionDenied,
		oauth.CodePermissionUnknown, oauth.CodeParameterRejected:
		return true
	}
	return false
}

// refused handles a callback whose verifier Jira refused: it puts the
// handshake back, one try more, so that the real approver can still
// finish, and returns the refusal with a hint saying so. At the
// maxCallbackTries-th refusal, or when the handshake cannot be saved, the
// handshake stays dropped and the link's last_error says why.
func (s *Server) refused(ctx context.Context, h *store.Handshake, cause error) *Error {
	h.Tries++
	if h.Tries >= maxCallbackTries {
		return s.attemptFailed(ctx, h.Link, "approval_dropped", &Error{Code: CodeApprovalDropped, Err: cause,
			Message: fmt.Sprintf("Jira refused %d callbacks of this approval (a wrong or made-up verification code), so applink dropped it: its approval link no longer works.", h.Tries),
			Hint:    "Start a new approval, and send its link only to the service account's owner."}, nil)
	}
	if err := s.store.SaveHandshake(h); err != nil {
		return s.failedSave(ctx, h.Link, err)
	}
	logOAuthError(s.audit(ctx, "callback_refused", h.Link), cause).Int("tries", h.Tries).
		Msg("Jira refused a callback's verifier; the approval stays pending")
	e := *asError(cause)
	e.Err = cause
	e.Hint = fmt.Sprintf("The approval is still pending (tries left: %d): if you are approving as the service account, open the approval link again and click Allow in Jira.",
		maxCallbackTries-h.Tries)
	return &e
}
