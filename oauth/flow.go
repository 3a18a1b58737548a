package oauth

import (
	"context"
	"fmt"
	"strings"
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
	at, err := c.AccessToken(ctx, rt, verifier)
	if err != nil {
		return nil, err
	}
	res := &Result{AccessToken: at, ServiceAccount: strings.TrimSpace(serviceAccount), ApprovedAt: c.now()}
	id, err := c.Myself(ctx, at.Token)
	if err != nil {
		return res, err
	}
	res.Approver = id
	res.Match = id.Matches(serviceAccount)
	if !res.Match {
		res.Warning = MismatchWarning(id, serviceAccount)
	}
	return res, nil
}

// MismatchWarning is the warning shown when a token was approved by
// someone other than the designated service account: it names both
// accounts, says that everything the integration does will show in Jira as
// the approver, and how to fix it (approve again in a private window logged
// in as the service account; revoke the wrong token in Jira: Server/DC
// Profile > Tools > View OAuth Access Tokens, Cloud: Profile > Connected
// apps). Several lines, no trailing newline.
func MismatchWarning(approver *Identity, serviceAccount string) string {
	who := approver.String()
	sa := fmt.Sprintf("%q", short(serviceAccount, 80))
	if strings.TrimSpace(serviceAccount) == "" {
		sa = "the integration's service account (none was named)"
	}
	lines := []string{
		fmt.Sprintf("WARNING: this token was approved by %s, not by the service account %s.", who, sa),
		fmt.Sprintf("Everything the integration does in Jira will appear as done by %s: "+
			"every issue, comment and change it makes.", who),
		"To fix it:",
		fmt.Sprintf("  1. Authorize again in a private/incognito browser window, logged in to Jira as %s "+
			"(not as yourself), and click Allow.", sa),
		fmt.Sprintf("  2. Revoke the token approved by %s: on Jira Server/Data Center, logged in as that "+
			"account, Profile > Tools > View OAuth Access Tokens; on Jira Cloud, account settings > "+
			"Connected apps.", who),
	}
	return strings.Join(lines, "\n")
}

// BeforeApproval is the reminder shown before anyone opens the authorize
// URL: log in to Jira as serviceAccount, in a private window, not as
// yourself. Several lines, no trailing newline.
func BeforeApproval(jiraURL, serviceAccount string) string {
	sa := fmt.Sprintf("the service account %q", short(serviceAccount, 80))
	if strings.TrimSpace(serviceAccount) == "" {
		sa = "the integration's service account"
	}
	site := "Jira"
	if u := short(withoutQuery(jiraURL), 120); u != "" {
		site = u
	}
	lines := []string{
		"Before you open the authorize link: Jira gives the token to whoever is logged in when Allow is clicked.",
		fmt.Sprintf("Open it in a private/incognito browser window and log in to %s as %s, not as yourself.", site, sa),
		"Everything the integration does will show in Jira as done by that account.",
	}
	return strings.Join(lines, "\n")
}
