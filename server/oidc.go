package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDC configures the admins' sign-in through an OpenID Connect provider
// (Config.OIDC): the authorization code flow with PKCE, its state, nonce
// and verifier kept in the server-side session.
type OIDC struct {
	// Issuer is the provider's issuer URL, such as
	// https://sso.example.com/realms/acme, discovered at the first sign-in.
	Issuer string
	// ClientID and ClientSecret are applink's client at the provider, where
	// PublicURL + "/oidc/callback" is registered as its redirect URL.
	ClientID, ClientSecret string
	// Name names the provider on the sign-in page (default: the issuer's host).
	Name string
	// AllowedEmails and AllowedGroups (items may be comma-separated
	// lists) say who may sign in: a verified address of AllowedEmails, or
	// a group of AllowedGroups in the ID token's claim GroupsClaim
	// (default "groups"). At least one of the two is required.
	AllowedEmails, AllowedGroups []string
	GroupsClaim                  string
	// Only turns the admin token's sign-in off for the pages (the API keeps it).
	Only bool
}

// oidcLogin is a Server's OIDC sign-in: its configuration and the
// provider once discovered.
type oidcLogin struct {
	OIDC
	client   *http.Client
	mu       sync.Mutex
	provider *oidc.Provider
}

// oidcTimeout bounds each call to the provider.
const oidcTimeout = 10 * time.Second

// newOIDC checks c and returns its sign-in (nil when c is nil); a bad
// configuration is an *Error with CodeInvalidInput.
func newOIDC(c *OIDC) (*oidcLogin, error) {
	if c == nil {
		return nil, nil
	}
	split := func(l []string) []string {
		return strings.FieldsFunc(strings.Join(l, ","), func(r rune) bool { return r == ',' || r == ' ' })
	}
	o := &oidcLogin{OIDC: *c, client: &http.Client{Timeout: oidcTimeout}}
	o.AllowedEmails, o.AllowedGroups = split(c.AllowedEmails), split(c.AllowedGroups)
	u, err := url.Parse(c.Issuer)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return nil, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("the OpenID issuer %q is not an absolute http(s) URL", c.Issuer),
			Hint: "give the provider's issuer URL, such as https://sso.example.com/realms/acme"}
	case c.ClientID == "":
		return nil, &Error{Code: CodeInvalidInput, Message: "the OpenID sign-in has no client id", Hint: "give the client id applink has at the provider (--oidc-client-id)"}
	case len(o.AllowedEmails)+len(o.AllowedGroups) == 0:
		return nil, &Error{Code: CodeInvalidInput, Message: "the OpenID sign-in names nobody who may sign in",
			Hint: "list the admins' addresses (--oidc-allowed-emails), their groups (--oidc-allowed-groups) or both: applink does not admit every account of the provider"}
	}
	o.Name, o.GroupsClaim = cmp.Or(o.Name, u.Hostname()), cmp.Or(o.GroupsClaim, "groups")
	return o, nil
}

// oidcClient returns the OAuth 2 client and the provider, which is
// discovered at the first sign-in and, after a failure, at the next. ctx
// carries the HTTP client and a deadline (see oidcContext).
func (s *Server) oidcClient(ctx context.Context) (*oauth2.Config, *oidc.Provider, error) {
	o := s.oidc
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider == nil {
		p, err := oidc.NewProvider(ctx, o.Issuer)
		if err != nil {
			return nil, nil, &Error{Code: CodeProviderDown, Message: o.Name + " cannot be reached to sign you in right now.",
				Hint: "Try again in a few minutes; applink's log names the cause.", Err: err}
		}
		o.provider = p
	}
	return &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: o.provider.Endpoint(),
		RedirectURL: s.publicURL + oidcCallbackPath, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}, o.provider, nil
}

// oidcContext is the request's context with the provider's HTTP client
// and a deadline for the calls to the provider.
func (s *Server) oidcContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(oidc.ClientContext(r.Context(), s.oidc.client), oidcTimeout)
}

// oidcCallbackPath is where the provider sends the browser back.
const oidcCallbackPath = "/oidc/callback"

// postOIDCLogin is POST /oidc/login: it sends the browser to the
// provider, keeping state, nonce and PKCE verifier in a new session that
// signs no one in and lasts ten minutes.
func (s *Server) postOIDCLogin(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.oidcContext(r)
	defer cancel()
	conf, _, err := s.oidcClient(ctx)
	if err != nil {
		s.loginFailed(w, r, err)
		return
	}
	sess, _ := s.sessions.Get(r, sessionCookie)
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	sess.ID, sess.Values = "", map[any]any{"oidc_state": state, "oidc_nonce": nonce, "oidc_verifier": verifier}
	sess.Options.MaxAge = 600
	if err := sess.Save(r, w); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
}

// pageOIDCCallback is GET /oidc/callback: the state must be the session's
// (which is then used up), the code is exchanged with the PKCE verifier,
// the ID token verified (issuer, audience, expiry, signature, nonce) and
// the person judged by the allowed addresses and groups.
func (s *Server) pageOIDCCallback(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.sessions.Get(r, sessionCookie)
	state, _ := sess.Values["oidc_state"].(string)
	nonce, _ := sess.Values["oidc_nonce"].(string)
	verifier, _ := sess.Values["oidc_verifier"].(string)
	invalid := &Error{Code: CodeSignInInvalid, Message: "This sign-in cannot be completed: it expired, was already used or was not started here.",
		Hint: "Sign in again from applink's sign-in page."}
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(r.URL.Query().Get("state"))) != 1 {
		s.loginFailed(w, r, invalid)
		return
	}
	if err := s.store.EndSession(sess.ID); err != nil {
		s.renderError(w, r, err)
		return
	}
	ctx, cancel := s.oidcContext(r)
	defer cancel()
	conf, p, err := s.oidcClient(ctx)
	if err != nil {
		s.loginFailed(w, r, err)
		return
	}
	var idt *oidc.IDToken
	tok, err := conf.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err == nil {
		raw, _ := tok.Extra("id_token").(string)
		idt, err = p.Verifier(&oidc.Config{ClientID: s.oidc.ClientID, Now: s.now}).Verify(ctx, raw)
	}
	if err == nil && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		err = fmt.Errorf("the ID token's nonce is not the session's")
	}
	if err != nil {
		invalid.Err = err
		s.loginFailed(w, r, invalid)
		return
	}
	who, err := s.oidc.judge(idt)
	if err != nil {
		s.loginFailed(w, r, err)
		return
	}
	s.signIn(w, r, who)
}

// judge returns who the ID token names (address, else user name, else
// subject) when they may sign in, else an *Error (CodeNotAllowed) saying
// who they are and why not.
func (o *oidcLogin) judge(idt *oidc.IDToken) (string, error) {
	var c struct {
		Email    string `json:"email"`
		Verified *bool  `json:"email_verified"`
		Username string `json:"preferred_username"`
	}
	var raw map[string]json.RawMessage
	var groups []string
	if err := idt.Claims(&c); err != nil || idt.Claims(&raw) != nil {
		return "", &Error{Code: CodeSignInInvalid, Message: "The provider's answer could not be read.", Hint: "Sign in again.", Err: err}
	}
	_ = json.Unmarshal(raw[o.GroupsClaim], &groups) // absent or not a list: no groups
	who := cmp.Or(c.Email, c.Username, idt.Subject)
	if slices.ContainsFunc(o.AllowedEmails, func(a string) bool { return (c.Verified == nil || *c.Verified) && foldASCII(a) == foldASCII(c.Email) }) ||
		slices.ContainsFunc(groups, func(g string) bool { return slices.Contains(o.AllowedGroups, g) }) {
		return who, nil
	}
	why := "your address is not on applink's list of admins"
	if c.Verified != nil && !*c.Verified {
		why = "your address is not verified at " + o.Name
	}
	if len(o.AllowedGroups) > 0 {
		why += ", and none of your groups is one of its admin groups"
	}
	return "", &Error{Code: CodeNotAllowed, Message: fmt.Sprintf("You signed in to %s as %s, who may not enter applink: %s.", o.Name, who, why),
		Hint: "Ask whoever runs applink to add you, or sign in to " + o.Name + " with another account."}
}

// foldASCII lower-cases the ASCII letters of s, and only those: Unicode's
// folding would let "ſ" (long s) stand for an "s" of an allowed address.
func foldASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}, s)
}
