package oauth

import (
	"context"
	"crypto/rsa"
	"net/http"
	"time"

	"github.com/dghubble/oauth1"
)

// DefaultTimeout bounds each call to Jira when Consumer.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// RequestTokenLifetime is how long Jira keeps an unapproved request token.
const RequestTokenLifetime = 10 * time.Minute

// Consumer is one OAuth 1.0a consumer of one Jira site. Build it with
// NewConsumer; the zero value is not usable. A Consumer is safe for
// concurrent use.
type Consumer struct {
	// Endpoints of the Jira site.
	Endpoints Endpoints
	// ConsumerKey is the key of the Application Link's incoming
	// authentication.
	ConsumerKey string
	// PrivateKey signs every request (RSA-SHA1).
	PrivateKey *rsa.PrivateKey
	// HTTPClient sends the requests; nil means a client with Timeout and
	// no cookie jar. Its redirects are not followed: a redirect from an
	// OAuth endpoint is diagnosed (usually an SSO page or http→https).
	HTTPClient *http.Client
	// Timeout bounds each call (DefaultTimeout when zero).
	Timeout time.Duration
	// Now is the clock used for oauth_timestamp (time.Now when nil).
	Now func() time.Time
	// Noncer makes oauth_nonce (random when nil).
	Noncer oauth1.Noncer
}

// NewConsumer returns a Consumer for the Jira site at baseURL (normalised by
// ParseBaseURL). It fails with CodeBadBaseURL or CodeBadInput.
func NewConsumer(baseURL, consumerKey string, key *rsa.PrivateKey) (*Consumer, error) {
	panic("not implemented")
}

// Token is a token and its secret: a request token or an access token.
type Token struct {
	Token  string
	Secret string
}

// RequestToken is the answer to the first step.
type RequestToken struct {
	Token
	// AuthorizeURL is where the approving user's browser goes.
	AuthorizeURL string
	// IssuedAt and ExpiresAt (IssuedAt + RequestTokenLifetime), by our clock.
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// AccessToken is the answer to the last step. Expiry fields are zero when
// Jira did not send them.
type AccessToken struct {
	Token
	SessionHandle string
	// ExpiresAt is now + oauth_expires_in.
	ExpiresAt time.Time
	// AuthorizationExpiresAt is now + oauth_authorization_expires_in.
	AuthorizationExpiresAt time.Time
}

// RequestToken asks Jira for a request token (POST request-token with
// oauth_callback; "oob" when callbackURL is empty or "oob"). It refuses an
// answer without oauth_callback_confirmed=true (CodeCallbackNotConfirmed).
func (c *Consumer) RequestToken(ctx context.Context, callbackURL string) (*RequestToken, error) {
	panic("not implemented")
}

// AuthorizeURL returns the URL of Jira's approval page for a request token.
func (c *Consumer) AuthorizeURL(requestToken string) string {
	panic("not implemented")
}

// AccessToken exchanges an approved request token and its verifier for an
// access token. A verifier of "denied" returns CodeDenied without calling
// Jira; a request token older than RequestTokenLifetime returns
// CodeRequestExpired without calling Jira.
func (c *Consumer) AccessToken(ctx context.Context, rt *RequestToken, verifier string) (*AccessToken, error) {
	panic("not implemented")
}

// Sign adds an OAuth Authorization header to req, signed with RSA-SHA1 for
// token (nil for an unsigned-token request). It includes every query
// parameter, repeated keys too, and the body's parameters when the body is
// application/x-www-form-urlencoded (with or without a charset). extra
// holds further oauth_* parameters (oauth_callback, oauth_verifier). It
// returns the base string it signed, which is not a secret.
func (c *Consumer) Sign(req *http.Request, token *Token, extra map[string]string) (baseString string, err error) {
	panic("not implemented")
}

// Client returns an HTTP client that signs every request with token and
// bounds it by Timeout, for other REST calls to Jira.
func (c *Consumer) Client(token Token) *http.Client {
	panic("not implemented")
}

// Get sends a signed GET to path (relative to the base URL, query allowed)
// and returns the body of a 2xx answer. Any other answer is diagnosed into
// an *Error with Step step.
func (c *Consumer) Get(ctx context.Context, token Token, path, step string) ([]byte, error) {
	panic("not implemented")
}
