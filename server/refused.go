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
