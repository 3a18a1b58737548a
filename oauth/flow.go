package oauth

import (
	"context"
	"time"
)

// Result is the outcome of a completed handshake: the access token, who
// approved it, and whether that is the designated service account.
type Result struct {
	AccessToken    *AccessToken
	Approver       *Identity
	ServiceAccount string
	Match          bool
	// Warning is empty when Match is true; otherwise it is the mismatch
	// warning of MismatchWarning.
	Warning    string
	ApprovedAt time.Time
}

// Complete finishes a handshake that the CLI and the web service share:
// it exchanges the verifier for an access token, asks Jira who approved
// (myself), and compares that identity with serviceAccount. A failure at
// myself still returns the access token in a non-nil Result along with the
// error, so that the caller can keep it.
func (c *Consumer) Complete(ctx context.Context, rt *RequestToken, verifier, serviceAccount string) (*Result, error) {
	panic("not implemented")
}

// MismatchWarning is the warning shown when a token was approved by
// someone other than the designated service account: it names both
// accounts, says that everything the integration does will show in Jira as
// the approver, and how to fix it (approve again in a private window logged
// in as the service account; revoke the wrong token in Jira: Server/DC
// Profile > Tools > View OAuth Access Tokens, Cloud: Profile > Connected
// apps). Several lines, no trailing newline.
func MismatchWarning(approver *Identity, serviceAccount string) string {
	panic("not implemented")
}

// BeforeApproval is the reminder shown before anyone opens the authorize
// URL: log in to Jira as serviceAccount, in a private window, not as
// yourself. Several lines, no trailing newline.
func BeforeApproval(jiraURL, serviceAccount string) string {
	panic("not implemented")
}
