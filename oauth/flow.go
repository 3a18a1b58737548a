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
// (myself), and judges that identity against serviceAccount and the id the
// link pinned, if any (see Judge). Once Jira has
// issued the token, Complete returns it with a nil error: when myself
// fails the Verdict is VerdictUnknown and Approval.IdentityError says why.
// An error means no token was issued.
func (c *Consumer) Complete(ctx context.Context, rt *RequestToken, verifier, serviceAccount, pinned string) (*Result, error) {
	at, err := c.AccessToken(ctx, rt, verifier)
	if err != nil {
		return nil, err
	}
	approvedAt := c.now()
	id, err := c.Myself(ctx, at.Token)
	return &Result{AccessToken: at, Approval: Judge(id, serviceAccount, pinned, err, approvedAt)}, nil
}

// WhereToRevoke is where a user sees and revokes the tokens they approved,
// in each Jira, for the notices that say how to revoke a wrong token.
const WhereToRevoke = "on Jira Server/Data Center, Profile > Tools > View OAuth Access Tokens; " +
	"on Jira Cloud, account settings > Connected apps"

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
