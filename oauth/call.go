package oauth

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/applink/applink/fault"
)

// Limits on the bodies read from Jira.
const (
	maxBody     = 1 << 20 // OAuth endpoints and error pages
	maxRESTBody = 8 << 20 // REST answers
)

// httpClient returns the client for one call: a copy of HTTPClient (or a
// new client) that does not follow redirects and whose Timeout is at most
// the consumer's.
func (c *Consumer) httpClient() *http.Client {
	var cl http.Client
	if c.HTTPClient != nil {
		cl = *c.HTTPClient
	}
	if t := c.timeout(); cl.Timeout <= 0 || cl.Timeout > t {
		cl.Timeout = t
	}
	// A redirect is returned as it is and diagnosed.
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cl
}

func (c *Consumer) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Consumer) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Consumer) nonce() string {
	if c.Noncer != nil {
		return c.Noncer.Nonce()
	}
	return randomNoncer{}.Nonce()
}

// callSpec is one request to Jira.
type callSpec struct {
	step, method, url string
	sign              bool
	token             *Token
	extra             map[string]string
	limit             int64
	basic             *basicAuth // Basic authentication instead of a signature
}

// call sends one request (send) and tells Observe of it.
func (c *Consumer) call(ctx context.Context, s callSpec) ([]byte, *http.Response, error) {
	start := time.Now()
	body, resp, err := c.send(ctx, s)
	if c.Observe != nil {
		c.Observe(s.step, err, time.Since(start))
	}
	return body, resp, err
}

// send sends one request, bounded by the consumer's timeout, and returns
// the body of a 2xx answer that is not an HTML page. Anything else is an
// *Error: diagnoseTransport for no answer, diagnose for a bad answer (with
// ExpectedBaseString set when the request was signed).
func (c *Consumer) send(ctx context.Context, s callSpec) ([]byte, *http.Response, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, s.method, s.url, nil)
	if err != nil {
		return nil, nil, &Error{Code: CodeBadInput, Step: s.step, URL: withoutQuery(s.url),
			Message: "the request URL does not parse", Err: err}
	}
	if s.step == "request_token" || s.step == "access_token" {
		req.Header.Set("Accept", "text/plain, application/x-www-form-urlencoded")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("User-Agent", "applink")
	if s.basic != nil {
		req.SetBasicAuth(s.basic.user, s.basic.password)
	}
	var base string
	if s.sign {
		if base, err = c.Sign(req, s.token, s.extra); err != nil {
			return nil, nil, withStep(err, s.step, s.url)
		}
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, nil, diagnoseTransport(s.step, s.url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.limit+1))
	if err != nil {
		return nil, resp, diagnoseTransport(s.step, s.url, err)
	}
	tooBig := int64(len(body)) > s.limit
	if tooBig {
		body = body[:s.limit]
	}
	if resp.StatusCode/100 == 2 && !isHTML(resp.Header, body) {
		if tooBig {
			return nil, resp, &Error{Code: CodeBadResponse, Step: s.step, URL: withoutQuery(s.url),
				Status:  resp.StatusCode,
				Message: fmt.Sprintf("Jira's answer at %s is larger than %d bytes", stepLabel(s.step), s.limit),
				Hint:    fix(CodeBadResponse)}
		}
		return body, resp, nil
	}
	e := diagnose(s.step, s.url, resp, body, c.now())
	if s.sign {
		e.ExpectedBaseString = redactVerifier(base)
		if e.Code == CodeSignatureInvalid {
			if f := signatureFinding(e.ExpectedBaseString, e.SignatureBaseString); f != "" {
				e.Message += "; " + f
			}
		}
	}
	return nil, resp, e
}

// withStep sets Step (when generic) and URL (when empty) on an *Error.
func withStep(err error, step, rawURL string) error {
	if e, ok := fault.As(err); ok {
		if e.Step == "" || e.Step == "request" {
			e.Step = step
		}
		if e.URL == "" {
			e.URL = withoutQuery(rawURL)
		}
	}
	return err
}

// tokenCall POSTs to an OAuth token endpoint and returns the token of its
// form-encoded answer (tokenFrom), and the whole answer.
func (c *Consumer) tokenCall(ctx context.Context, step, endpoint string, token *Token,
	extra map[string]string) (Token, url.Values, error) {
	body, resp, err := c.call(ctx, callSpec{
		step: step, method: http.MethodPost, url: endpoint,
		sign: true, token: token, extra: extra, limit: maxBody,
	})
	if err != nil {
		return Token{}, nil, err
	}
	vals, err := parseTokenAnswer(body)
	if err != nil {
		return Token{}, nil, &Error{Code: CodeBadResponse, Step: step, URL: withoutQuery(endpoint),
			Status:  resp.StatusCode,
			Message: fmt.Sprintf("Jira's answer at %s is not form-encoded", stepLabel(step)),
			Hint:    fix(CodeBadResponse), Err: err}
	}
	tok, err := tokenFrom(vals, step, endpoint)
	return tok, vals, err
}

// parseTokenAnswer reads a token endpoint's form-encoded answer. Repeated
// names keep their first value first.
func parseTokenAnswer(body []byte) (url.Values, error) {
	pairs, err := parsePairs(strings.TrimSpace(string(body)))
	if err != nil {
		return nil, err
	}
	vals := url.Values{}
	for _, p := range pairs {
		vals.Add(p.name, p.value)
	}
	return vals, nil
}

// tokenFrom takes oauth_token and oauth_token_secret from an answer.
func tokenFrom(vals url.Values, step, endpoint string) (Token, error) {
	t := Token{Token: vals.Get("oauth_token"), Secret: vals.Get("oauth_token_secret")}
	if t.Token == "" || t.Secret == "" {
		return Token{}, &Error{Code: CodeBadResponse, Step: step, URL: withoutQuery(endpoint),
			Status:  http.StatusOK,
			Message: fmt.Sprintf("Jira's answer at %s lacks oauth_token or oauth_token_secret", stepLabel(step)),
			Hint:    fix(CodeBadResponse)}
	}
	return t, nil
}

// afterSeconds returns now plus a number of seconds Jira sent, or the zero
// time when it sent none, or nothing sensible.
func afterSeconds(now time.Time, s string) time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n > 1<<33 { // 1<<33 s, 272 years, still fits a Duration
		return time.Time{}
	}
	return now.Add(time.Duration(n) * time.Second)
}

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

// Get sends a signed GET; an empty step is "request".
func (t tokenCaller) Get(ctx context.Context, path, step string) ([]byte, error) {
	body, _, err := t.c.call(ctx, callSpec{step: cmp.Or(step, "request"), method: http.MethodGet, url: t.c.restURL(path),
		sign: true, token: &t.token, limit: maxRESTBody})
	return body, err
}

// restURL is the URL of path, relative to the base URL with or without its
// leading slash.
func (c *Consumer) restURL(path string) string {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return c.Endpoints.Base + path
}

func (t tokenCaller) BaseURL() string { return t.c.Endpoints.Base }

// Whoami asks Jira who cl acts as (/rest/api/2/myself).
func Whoami(ctx context.Context, cl Caller) (*Identity, error) {
	body, err := cl.Get(ctx, MyselfPath, "myself")
	if err != nil {
		return nil, err
	}
	id, err := parseIdentity(body)
	if err != nil {
		return nil, withStep(err, "myself", cl.BaseURL()+MyselfPath)
	}
	return id, nil
}
