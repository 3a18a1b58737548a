// Package jiratest is a simulated Jira that behaves, as an OAuth 1.0a
// provider, the way Jira Server, Data Center and Cloud do: it verifies
// RSA-SHA1 signatures with the consumer's public key (parsed as Jira parses
// its Public Key field), refuses reused nonces and timestamps more than 5
// minutes off, issues request tokens that expire after 10 minutes and
// verifiers that work once, serves a login form and an Allow/Deny page,
// answers errors as Jira does (401, oauth_problem in the body and in
// WWW-Authenticate, Jira's base string on signature_invalid), and serves
// /rest/api/2/myself (Server or Cloud shape), mypermissions and serverInfo.
//
// It can be told to misbehave (Faults): a clock offset, an HTML SSO page in
// front of the OAuth endpoints, slowness, 5xx answers.
//
// It computes signature base strings on its own, from the request as
// received, independently of package oauth, so that it catches the
// consumer's mistakes instead of sharing them.
//
// The tests use it through net/http/httptest; `applink demo` serves it on
// loopback.
package jiratest

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Flavor selects the shape of /rest/api/2/myself and serverInfo.
type Flavor string

// Flavors.
const (
	Server Flavor = "server" // Server/Data Center: name, key, emailAddress
	Cloud  Flavor = "cloud"  // Cloud: accountId, accountType; email may be hidden
)

// User is an account of the simulated Jira.
type User struct {
	Name        string // username (Server) ; also the login name on Cloud
	Key         string // user key, e.g. JIRAUSER10100 (Server)
	AccountID   string // Cloud account id
	Email       string
	DisplayName string
	Password    string
	HideEmail   bool // Cloud privacy: no emailAddress in myself
	// Permissions held, by project key ("" for global permissions).
	Permissions map[string][]string
}

// Faults make the simulated Jira misbehave. The zero value is a healthy
// Jira.
type Faults struct {
	// ClockOffset is added to the simulated Jira's clock.
	ClockOffset time.Duration
	// SSOPage answers every OAuth and REST endpoint with a 200 HTML login
	// page of an SSO proxy, as a SAML proxy in front of Jira does.
	SSOPage bool
	// Latency delays every answer (honouring the request's context).
	Latency time.Duration
	// Status5xx, when not zero, is the status of every answer (502, 503...)
	// with an HTML proxy error page.
	Status5xx int
}

// Options configure a new simulated Jira.
type Options struct {
	Flavor Flavor
	// ContextPath such as "/jira"; empty for none. Requests outside it get
	// Jira's 404 page.
	ContextPath string
	// Now is the clock (time.Now when nil); Faults.ClockOffset is added.
	Now func() time.Time
	// TimestampWindow is how far a timestamp may be from the clock
	// (5 minutes when zero).
	TimestampWindow time.Duration
	// RequestTokenTTL is the life of a request token (10 minutes when zero).
	RequestTokenTTL time.Duration
	// AccessTokenTTL is sent as oauth_expires_in (5 years when zero).
	AccessTokenTTL time.Duration
}

// Jira is a simulated Jira. It is an http.Handler; serve it with
// httptest.NewServer or net/http. It is safe for concurrent use.
type Jira struct {
	// unexported state
}

// New returns a simulated Jira with no consumers and no users.
func New(opts Options) *Jira {
	panic("not implemented")
}

// ServeHTTP serves Jira's endpoints.
func (j *Jira) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	panic("not implemented")
}

// AddConsumer registers an Application Link's incoming authentication, as
// an admin does in Jira's form: publicKey is parsed the way Jira parses the
// Public Key field (X.509 SubjectPublicKeyInfo, with or without the PEM
// header lines). Editing an existing consumer (same key) deletes every token
// issued to it, as Jira does.
func (j *Jira) AddConsumer(consumerKey, name string, publicKey []byte, callbackURL string) error {
	panic("not implemented")
}

// RemoveConsumer deletes an Application Link and its tokens.
func (j *Jira) RemoveConsumer(consumerKey string) {
	panic("not implemented")
}

// AddUser adds or replaces a user, by Name.
func (j *Jira) AddUser(u User) {
	panic("not implemented")
}

// SetFaults replaces the current faults.
func (j *Jira) SetFaults(f Faults) {
	panic("not implemented")
}

// RevokeAccessTokens revokes every access token approved by the named
// user, as the user does in Profile > Tools > View OAuth Access Tokens.
func (j *Jira) RevokeAccessTokens(userName string) {
	panic("not implemented")
}

// ApproveRequest approves or denies a request token as the named user
// would by logging in and clicking Allow or Deny, without HTTP. It returns
// the verifier ("denied" on deny) and the callback URL the browser would be
// sent to ("" for oob).
func (j *Jira) ApproveRequest(requestToken, userName string, allow bool) (verifier, callback string, err error) {
	panic("not implemented")
}

// Browser is a person at a web browser on the simulated Jira: it follows
// the authorize URL, logs in on the login form, and clicks Allow or Deny,
// all over HTTP like a real browser, with its own cookie jar.
type Browser struct {
	Client *http.Client // nil: a new client with a cookie jar that stops at the consumer's callback
}

// Approve opens authorizeURL, logs in as user with password, clicks Allow
// (allow) or Deny, and returns where Jira sends the browser: the consumer's
// callback URL with oauth_token and oauth_verifier, not followed. For an
// oob request token it returns a nil URL and the verification code shown on
// the page.
func (b *Browser) Approve(ctx context.Context, authorizeURL, user, password string, allow bool) (callback *url.URL, verifier string, err error) {
	panic("not implemented")
}
