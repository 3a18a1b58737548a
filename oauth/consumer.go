package oauth

import (
	"context"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dghubble/oauth1"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
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
	// Observe, when set, is told of each call to Jira: its step, its
	// failure (nil for none) and how long it took.
	Observe func(step string, err error, took time.Duration)
}

// NewConsumer returns a Consumer for the Jira site at baseURL (normalised by
// ParseBaseURL). It fails with CodeBadBaseURL or CodeBadInput.
func NewConsumer(baseURL, consumerKey string, key *rsa.PrivateKey) (*Consumer, error) {
	base, err := ParseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	bad := func(msg, hint string) error {
		return &Error{Code: CodeBadInput, Step: "consumer", Message: msg, Hint: hint}
	}
	if err := CheckConsumerKey(consumerKey); err != nil {
		return nil, err
	}
	if key == nil || key.N == nil {
		return nil, bad("no private key", "give the consumer's RSA private key (applink keys makes one)")
	}
	if err := keys.CheckSize(&key.PublicKey); err != nil {
		e, _ := fault.As(err)
		return nil, bad(e.Message, e.Hint)
	}
	return &Consumer{Endpoints: EndpointsFor(base), ConsumerKey: consumerKey, PrivateKey: key}, nil
}

// CheckConsumerKey checks a consumer key as Jira's incoming authentication
// holds it: not empty, no white space (around or inside) nor control
// characters, valid UTF-8 and at most MaxConsumerKeyLen bytes. It fails
// with CodeBadInput, the message saying what is wrong.
func CheckConsumerKey(key string) error {
	var msg string
	switch {
	case key == "":
		msg = "the consumer key is empty"
	case !utf8.ValidString(key):
		msg = "the consumer key is not valid UTF-8 text"
	case strings.ContainsFunc(key, unicode.IsSpace):
		msg = "the consumer key holds white space"
	case strings.ContainsFunc(key, unicode.IsControl):
		msg = "the consumer key holds a control character"
	case len(key) > MaxConsumerKeyLen:
		msg = fmt.Sprintf("the consumer key is longer than %d bytes", MaxConsumerKeyLen)
	default:
		return nil
	}
	return fault.New(CodeBadInput, msg, "give the Consumer Key exactly as Jira's incoming authentication shows it")
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

// Expired reports whether the request token is too old to exchange at
// now: the one expiry rule of a request token (and of the pending
// approval that holds it). A token without ExpiresAt lives
// RequestTokenLifetime from IssuedAt; one with neither never expires.
func (rt *RequestToken) Expired(now time.Time) bool {
	expires := rt.ExpiresAt
	if expires.IsZero() && !rt.IssuedAt.IsZero() {
		expires = rt.IssuedAt.Add(RequestTokenLifetime)
	}
	return !expires.IsZero() && !now.Before(expires)
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
	cb := strings.TrimSpace(callbackURL)
	if cb == "" {
		cb = "oob"
	}
	issued := c.now()
	tok, vals, err := c.tokenCall(ctx, "request_token", c.Endpoints.RequestToken, nil,
		map[string]string{"oauth_callback": cb})
	if err != nil {
		return nil, err
	}
	if vals.Get("oauth_callback_confirmed") != "true" {
		return nil, &Error{Code: CodeCallbackNotConfirmed, Step: "request_token",
			URL:     withoutQuery(c.Endpoints.RequestToken),
			Message: "Jira's request-token answer lacks oauth_callback_confirmed=true",
			Hint:    fix(CodeCallbackNotConfirmed)}
	}
	return &RequestToken{
		Token:        tok,
		AuthorizeURL: c.AuthorizeURL(tok.Token),
		IssuedAt:     issued,
		ExpiresAt:    issued.Add(RequestTokenLifetime),
	}, nil
}

// AuthorizeURL returns the URL of Jira's approval page for a request token.
func (c *Consumer) AuthorizeURL(requestToken string) string {
	return c.Endpoints.Authorize + "?oauth_token=" + url.QueryEscape(requestToken)
}

// AccessToken exchanges an approved request token and its verifier for an
// access token. A verifier of "denied" (the browser's word, which anyone
// can forge) is put to Jira too: CodeDenied when Jira confirms the denial
// (permission_denied), Jira's answer otherwise (permission_unknown: nobody
// decided yet). A request token older than RequestTokenLifetime returns
// CodeRequestExpired without calling Jira.
func (c *Consumer) AccessToken(ctx context.Context, rt *RequestToken, verifier string) (*AccessToken, error) {
	const step = "access_token"
	where := withoutQuery(c.Endpoints.AccessToken)
	verifier = strings.TrimSpace(verifier)
	switch {
	case rt == nil || rt.Token.Token == "":
		return nil, &Error{Code: CodeBadInput, Step: step, URL: where,
			Message: "no request token to exchange", Hint: "start with the request-token step"}
	case verifier == "":
		return nil, &Error{Code: CodeBadInput, Step: step, URL: where,
			Message: "no verification code", Hint: "give the code Jira showed after Allow, or use the callback"}
	}
	now := c.now()
	if rt.Expired(now) {
		return nil, &Error{Code: CodeRequestExpired, Step: step, URL: where,
			Message: fmt.Sprintf("the request token is older than %s, the time Jira keeps it", RequestTokenLifetime),
			Hint:    fix(CodeRequestExpired)}
	}
	tok, vals, err := c.tokenCall(ctx, step, c.Endpoints.AccessToken, &rt.Token,
		map[string]string{"oauth_verifier": verifier})
	if verifier == "denied" && fault.Is(err, CodePermissionDenied) {
		return nil, &Error{Code: CodeDenied, Step: step, URL: where, Err: err,
			Message: "the approval was denied in Jira (someone clicked Deny)",
			Hint:    fix(CodeDenied)}
	}
	if err != nil {
		return nil, err
	}
	return &AccessToken{
		Token:                  tok,
		SessionHandle:          vals.Get("oauth_session_handle"),
		ExpiresAt:              afterSeconds(now, vals.Get("oauth_expires_in")),
		AuthorizationExpiresAt: afterSeconds(now, vals.Get("oauth_authorization_expires_in")),
	}, nil
}
