package oauth

import "context"

// Caller sends authenticated GETs to one Jira's REST API: an OAuth
// consumer acting with an access token (Consumer.As) or a Basic-auth
// client (BasicClient). The identity check (Whoami) and the permission
// audit (RunAudit) take any Caller, so that every way an integration
// authenticates gets the same checks.
type Caller interface {
	// Get sends GET path (relative to the base URL, query allowed) and
	// returns the body of a 2xx answer; any other answer is an *Error
	// with Step step.
	Get(ctx context.Context, path, step string) ([]byte, error)
	// BaseURL is the Jira base URL, without a trailing slash.
	BaseURL() string
}

// As returns a Caller that signs every request with token.
func (c *Consumer) As(token Token) Caller { return tokenCaller{c, token} }

// tokenCaller is a Consumer acting with one access token.
type tokenCaller struct {
	c     *Consumer
	token Token
}

func (t tokenCaller) Get(ctx context.Context, path, step string) ([]byte, error) {
	return t.c.Get(ctx, t.token, path, step)
}

func (t tokenCaller) BaseURL() string { return t.c.Endpoints.Base }

// Whoami asks Jira who cl acts as (/rest/api/2/myself).
func Whoami(ctx context.Context, cl Caller) (*Identity, error) {
	body, err := cl.Get(ctx, MyselfPath, "myself")
	if err != nil {
		return nil, err
	}
	id, err := ParseIdentity(body)
	if err != nil {
		return nil, withStep(err, "myself", cl.BaseURL()+MyselfPath)
	}
	return id, nil
}
