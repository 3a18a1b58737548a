package oauth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/applink/applink/fault"
)

// Codes of Basic authentication's failures.
const (
	// CodeBasicAuthFailed: Jira refused the user and password (or API
	// token) with a 401.
	CodeBasicAuthFailed Code = "basic_auth_failed"
	// CodeCaptchaRequired: Jira Server/Data Center refuses every Basic
	// login of the account until someone logs in as it in a browser and
	// answers the CAPTCHA (after too many failed logins).
	CodeCaptchaRequired Code = "captcha_required"
)

// basicAuth is a user and its password (or Cloud API token).
type basicAuth struct {
	user, password string
}

// BasicClient calls Jira's REST API with Basic authentication, as
// integrations that do not use OAuth do: on Server/Data Center a username
// and its password, on Cloud an email address and an API token. It is a
// Caller, so Whoami and RunAudit check it as they check an OAuth token.
// The password is kept unexported and never appears in an error.
type BasicClient struct {
	c    *Consumer // endpoints, HTTP client, timeout and clock; no key
	auth basicAuth
}

// NewBasicClient returns a client for the Jira at baseURL (normalised by
// ParseBaseURL) acting as user with password. It fails with
// CodeBadBaseURL, or CodeBadInput for an empty user or password.
func NewBasicClient(baseURL, user, password string) (*BasicClient, error) {
	base, err := ParseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	user = strings.TrimSpace(user)
	switch {
	case user == "" || strings.Contains(user, ":"):
		return nil, &Error{Code: CodeBadInput, Step: "consumer", Message: "the Basic-auth user is empty or holds a colon",
			Hint: "give the username (Server/Data Center) or the email address (Cloud) of the account"}
	case password == "":
		return nil, &Error{Code: CodeBadInput, Step: "consumer", Message: "the password is empty",
			Hint: "set the environment variable to the account's password (Server/Data Center) or API token (Cloud)"}
	}
	return &BasicClient{c: &Consumer{Endpoints: EndpointsFor(base)}, auth: basicAuth{user, password}}, nil
}

// SetHTTP sets the client that sends the calls (nil: a new one), the
// timeout of each call (DefaultTimeout when zero) and the clock.
func (b *BasicClient) SetHTTP(client *http.Client, timeout time.Duration, now func() time.Time) {
	b.c.HTTPClient, b.c.Timeout, b.c.Now = client, timeout, now
}

// BaseURL is the Jira base URL.
func (b *BasicClient) BaseURL() string { return b.c.Endpoints.Base }

// User is the account the client logs in as.
func (b *BasicClient) User() string { return b.auth.user }

// Get sends an authenticated GET. Jira's refusal of the login is
// CodeBasicAuthFailed (401) or CodeCaptchaRequired (403 with
// X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE); other failures are
// diagnosed as for OAuth calls.
func (b *BasicClient) Get(ctx context.Context, path, step string) ([]byte, error) {
	body, resp, err := b.c.call(ctx, callSpec{step: step, method: http.MethodGet, url: b.c.restURL(path),
		limit: maxRESTBody, basic: &b.auth})
	e, ok := fault.As(err)
	if !ok || resp == nil {
		return body, err
	}
	who := fmt.Sprintf("%q", short(b.auth.user, 80))
	switch {
	case resp.StatusCode == http.StatusForbidden && strings.Contains(resp.Header.Get("X-Authentication-Denied-Reason"), "CAPTCHA"):
		e.Code = CodeCaptchaRequired
		e.Message = fmt.Sprintf("Jira refuses every Basic login of %s until someone answers a CAPTCHA (too many failed logins)", who)
	case resp.StatusCode == http.StatusUnauthorized:
		e.Code = CodeBasicAuthFailed
		e.Message = fmt.Sprintf("Jira refused the login of %s at %s (401)", who, stepLabel(step))
	default:
		return body, err
	}
	e.Hint = fix(e.Code)
	return body, err
}

// Notice is Approval.Notice for the judged identity of b's login, worded
// for a login, which is not approved nor revoked but replaced.
func (b *BasicClient) Notice(a Approval) *Notice {
	n := a.Notice()
	who, sa, login := a.Approver.String(), quoteAccount(a.ServiceAccount), fmt.Sprintf("%q", short(b.auth.user, 80))
	give := fmt.Sprintf("the integration the login of %s (its username and password on Server/Data Center, its email address and API token on Cloud) instead", sa)
	switch a.Verdict {
	case VerdictMismatch:
		n.Message = fmt.Sprintf("The login %s acts as %s, not as the service account %s. "+
			"Everything the integration does in Jira will appear as done by %s: every issue, comment and change it makes.", login, who, sa, who)
		n.Hint = "Give " + give + "."
	case VerdictUnverifiable:
		n.Message = fmt.Sprintf("applink cannot confirm that the login %s, which acts as %s, is the service account %s: "+
			"%s This does not mean it is another account.", login, who, sa, strings.ReplaceAll(unverifiableReason(a.Approver, a.ServiceAccount), "approver", "login"))
		n.Hint = fmt.Sprintf("Designate the service account by what Jira shows of it (on Jira Cloud its account id, on Jira Server/Data Center "+
			"its username): this login acts as %s. If that is not the service account, give %s.", who, give)
	}
	return n
}
