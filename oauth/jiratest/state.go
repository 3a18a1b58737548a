package jiratest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"math/big"
	"time"
)

// consumer is an Application Link's incoming authentication.
type consumer struct {
	key, name string
	pub       *rsa.PublicKey
	callback  string
}

// tokenKind tells request tokens from access tokens.
type tokenKind int

const (
	requestToken tokenKind = iota + 1
	accessToken
)

// approval is the state of a request token.
type approval int

const (
	pending approval = iota
	approved
	denied
)

// token is a request token or an access token. Its secret is given to the
// consumer and not kept: RSA-SHA1 signatures do not use it.
type token struct {
	value       string
	kind        tokenKind
	consumerKey string
	created     time.Time
	expires     time.Time

	// Request tokens.
	callback string // "oob" or an absolute URL
	state    approval
	verifier string

	// user is the Name of the user who approved (request tokens once
	// approved, access tokens).
	user string
}

// expired reports whether t has reached its end of life at now.
func (t *token) expired(now time.Time) bool { return !now.Before(t.expires) }

// session is a browser's login session, keyed by the hash of its cookie.
type session struct {
	csrf     string
	user     string // Name of the logged-in user; "" before login
	lastUsed time.Time
}

// sessionLife is how long an unused session lasts.
const sessionLife = 8 * time.Hour

// nonceKey identifies a nonce: Jira remembers nonces per consumer.
type nonceKey struct {
	consumer, nonce string
}

// pruneEvery is how often (by the simulated clock) expired state is
// dropped.
const pruneEvery = time.Minute

// pruneLocked drops expired tokens, nonces and sessions. Expired tokens are
// kept for a grace period (the request token life) so that their use is
// answered token_expired, as Jira does, before they are forgotten.
func (j *Jira) pruneLocked(now time.Time) {
	if !j.lastPrune.IsZero() && now.Sub(j.lastPrune) < pruneEvery && !now.Before(j.lastPrune) {
		return
	}
	j.lastPrune = now
	maps.DeleteFunc(j.tokens, func(_ string, t *token) bool { return now.Sub(t.expires) > j.requestTTL })
	oldest := now.Add(-j.window).Unix()
	maps.DeleteFunc(j.nonces, func(_ nonceKey, ts int64) bool { return ts < oldest })
	maps.DeleteFunc(j.sessions, func(_ string, s *session) bool { return now.Sub(s.lastUsed) > sessionLife })
}

// deleteTokensLocked deletes every token of a consumer.
func (j *Jira) deleteTokensLocked(consumerKey string) {
	maps.DeleteFunc(j.tokens, func(_ string, t *token) bool { return t.consumerKey == consumerKey })
}

// randomToken returns a random token value: 32 characters of base32
// (160 bits).
func randomToken() string {
	return rand.Text() + rand.Text()[:6]
}

// verifierAlphabet is the alphabet of verifiers.
const verifierAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// verifierLen is the length of a verifier, as Jira's are short.
const verifierLen = 6

// randomVerifier returns a verifier of verifierLen alphanumerics, drawn
// without bias.
func randomVerifier() string {
	out := make([]byte, verifierLen)
	for i := range out {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(verifierAlphabet)))) // crypto/rand never fails
		out[i] = verifierAlphabet[n.Int64()]
	}
	return string(out)
}

// sessionID hashes a session cookie value into its map key, so that the
// map is never searched with the secret itself.
func sessionID(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:])
}
