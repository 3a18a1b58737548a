package oauth

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// Result is the outcome of a completed handshake: the access token and
// who approved it (Approval, with its Verdict and Notice).
type Result struct {
	AccessToken *AccessToken
	Approval
}

// Complete finishes a handshake that the CLI and the web service share:
// it exchanges the verifier for an access token, asks Jira who approved
// (myself), and judges that identity against serviceAccount. Once Jira has
// issued the token, Complete returns it with a nil error: when myself
// fails the Verdict is VerdictUnknown and Approval.IdentityError says why.
// An error means no token was issued.
func (c *Consumer) Complete(ctx context.Context, rt *RequestToken, verifier, serviceAccount string) (*Result, error) {
	at, err := c.AccessToken(ctx, rt, verifier)
	if err != nil {
		return nil, err
	}
	approvedAt := c.now()
	id, err := c.Myself(ctx, at.Token)
	return &Result{AccessToken: at, Approval: Judge(id, serviceAccount, err, approvedAt)}, nil
}

// WhereToRevoke is where a user sees and revokes the tokens they approved,
// in each Jira, for the notices that say how to revoke a wrong token.
const WhereToRevoke = "on Jira Server/Data Center, Profile > Tools > View OAuth Access Tokens; " +
	"on Jira Cloud, account settings > Connected apps"

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
		fmt.Sprintf("  2. Revoke the token approved by %s, logged in to Jira as that account: %s.", who, WhereToRevoke),
	}
	return strings.Join(lines, "\n")
}

// UnverifiedWarning is the notice shown when Jira's answer about the
// approver lacks the field the service account is written in, so applink
// can neither confirm nor deny that the approver is the service account
// (Compare's VerdictUnverifiable). Unlike MismatchWarning it never says the
// wrong account approved. It starts with "CHECK:", says which field Jira
// did not show and why (Jira Cloud hides email addresses by the user's
// privacy settings and has no usernames or user keys; Server/Data Center
// has no account ids), what to designate the service account by instead
// (the approver's account id on Cloud, its username on Server/Data
// Center), and the fix for the case that the approver is not the service
// account. Several lines, no trailing newline.
func UnverifiedWarning(approver *Identity, serviceAccount string) string {
	who := approver.String()
	sa := fmt.Sprintf("%q", short(serviceAccount, 80))
	if strings.TrimSpace(serviceAccount) == "" {
		sa = "the integration's service account (none was named)"
	}
	var missing, why string
	switch designation(strings.TrimSpace(serviceAccount)) {
	case byEmail:
		missing = "email address"
		why = "Jira can hide email addresses: Jira Cloud does so by each user's privacy settings."
		if approver != nil && approver.AccountID != "" {
			why = "Jira Cloud hides email addresses by each user's privacy settings, and it has no " +
				"usernames: it names people by account id."
		}
	case byAccountID:
		missing = "account id"
		why = "Account ids are Jira Cloud's; Jira Server and Data Center do not have them."
	default:
		missing = "username or user key"
		why = "Jira Cloud has no usernames or user keys; it names people by account id."
	}
	var use []string
	if approver != nil && approver.AccountID != "" {
		use = append(use, fmt.Sprintf("on Jira Cloud, its account id; the approver's is %s", short(approver.AccountID, 80)))
	}
	if approver != nil && approver.Name != "" {
		use = append(use, fmt.Sprintf("on Jira Server/Data Center, its username; the approver's is %s", short(approver.Name, 80)))
	}
	if len(use) == 0 {
		use = append(use, "on Jira Cloud its account id, on Jira Server/Data Center its username")
	}
	lines := []string{
		fmt.Sprintf("CHECK: applink cannot confirm that %s is the service account %s: "+
			"Jira does not show the approver's %s.", who, sa, missing),
		why,
		"This does not mean the wrong account approved; applink cannot tell either way.",
		"To check:",
		fmt.Sprintf("  1. Designate the service account by what Jira shows: %s. "+
			"If %s is the service account, designate it that way and applink can compare them.",
			strings.Join(use, "; "), who),
		fmt.Sprintf("  2. If %s is not the service account, fix it as for a wrong approver: authorize again "+
			"in a private/incognito browser window, logged in to Jira as %s, and revoke this token, "+
			"logged in as %s: %s.", who, sa, who, WhereToRevoke),
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

// MaxCallbackParam is the longest oauth_token and oauth_verifier
// ParseCallback accepts.
const MaxCallbackParam = 512

// ParseCallback reads oauth_token and oauth_verifier from the raw query of
// Jira's redirect to the consumer callback: the one reading of a callback,
// shared by the CLI and the web service. Each must be present once,
// non-empty and at most MaxCallbackParam bytes; otherwise the error is
// CodeBadCallback and says nothing of the values.
func ParseCallback(rawQuery string) (token, verifier string, err error) {
	bad := &Error{Code: CodeBadCallback, Step: "callback",
		Message: "this is not a valid answer from Jira: oauth_token or oauth_verifier is missing or malformed",
		Hint:    "open the approval link again, or ask for a new approval; nothing was changed"}
	q, perr := url.ParseQuery(rawQuery)
	if perr != nil {
		return "", "", bad
	}
	tokens, verifiers := q["oauth_token"], q["oauth_verifier"]
	if len(tokens) != 1 || len(verifiers) != 1 {
		return "", "", bad
	}
	token, verifier = tokens[0], verifiers[0]
	if token == "" || verifier == "" || len(token) > MaxCallbackParam || len(verifier) > MaxCallbackParam {
		return "", "", bad
	}
	return token, verifier, nil
}
