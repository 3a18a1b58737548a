package server

import (
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/applink/applink/oauth"
)

// OIDC configures the admins' sign-in through an OpenID Connect provider
// (Config.OIDC) whose issuer URL is Issuer (discovered at the first
// sign-in) and where applink is client ClientID with redirect URL
// PublicURL + "/oidc/callback". Who may sign in: a verified address of
// AllowedEmails or a group of AllowedGroups (both comma-separated, at
// least one required) in the ID token's claim GroupsClaim (default
// "groups"). Name names the provider on the sign-in page (default: the
// issuer's host); Only turns the admin token's sign-in off for the pages.
type OIDC struct {
	Issuer, ClientID, ClientSecret, Name      string
	AllowedEmails, AllowedGroups, GroupsClaim string
	Only                                      bool
}

// oidcLogin is a Server's OIDC sign-in: its configuration, its lists and
// the provider once discovered (under mu).
type oidcLogin struct {
	OIDC
	emails, groups []string
	client         *http.Client // each call to the provider within 10 seconds
	mu             sync.Mutex
	provider       *oidc.Provider
}

// oidcCallbackPath is where the provider sends the browser back.
const oidcCallbackPath = "/oidc/callback"

// newOIDC checks c and returns its sign-in (nil when c is nil); a bad
// configuration is an *Error with CodeInvalidInput.
func newOIDC(c *OIDC) (*oidcLogin, error) {
	if c == nil {
		return nil, nil
	}
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	}
	o := &oidcLogin{OIDC: *c, emails: split(c.AllowedEmails), groups: split(c.AllowedGroups), client: &http.Client{Timeout: 10 * time.Second}}
	u, err := url.Parse(c.Issuer)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return nil, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("the OpenID issuer %q is not an absolute http(s) URL", c.Issuer),
			Hint: "give the provider's issuer URL, such as https://sso.example.com/realms/acme"}
	case c.ClientID == "":
		return nil, &Error{Code: CodeInvalidInput, Message: "the OpenID sign-in has no client id", Hint: "give applink's client id at the provider (--oidc-client-id)"}
	case len(o.emails)+len(o.groups) == 0:
		return nil, &Error{Code: CodeInvalidInput, Message: "the OpenID sign-in names nobody who may sign in",
			Hint: "list the admins' addresses (--oidc-allowed-emails), their groups (--oidc-allowed-groups) or both: applink does not admit every account of the provider"}
	}
	o.Name, o.GroupsClaim = cmp.Or(o.Name, u.Hostname()), cmp.Or(o.GroupsClaim, "groups")
	return o, nil
}

// oidcClient returns the OAuth 2 client and the provider, discovered at the
// first sign-in (and after a failure at the next), with r's context
// carrying the HTTP client for the calls to the provider.
func (s *Server) oidcClient(r *http.Request) (*oauth2.Config, *oidc.Provider, *http.Request, error) {
	o := s.oidc
	r = r.WithContext(oidc.ClientContext(r.Context(), o.client))
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider == nil {
		p, err := oidc.NewProvider(r.Context(), o.Issuer)
		if err != nil {
			return nil, nil, r, &Error{Code: CodeProviderDown, Message: o.Name + " cannot be reached to sign you in right now.",
				Hint: "Try again in a few minutes; applink's log names the cause.", Err: err}
		}
		o.provider = p
	}
	return &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: o.provider.Endpoint(),
		RedirectURL: s.publicURL + oidcCallbackPath, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}, o.provider, r, nil
}

// postOIDCLogin is POST /oidc/login: it sends the browser to the
// provider, keeping state, nonce and PKCE verifier in a new session that
// signs no one in and lasts ten minutes.
func (s *Server) postOIDCLogin(w http.ResponseWriter, r *http.Request) {
	conf, _, r, err := s.oidcClient(r)
	if err != nil {
		s.loginFailed(w, r, err)
		return
	}
	sess, _ := s.sessions.Get(r, sessionCookie)
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	sess.ID, sess.Values, sess.Options.MaxAge = "", map[any]any{"oidc_state": state, "oidc_nonce": nonce, "oidc_verifier": verifier}, 600
	if err := sess.Save(r, w); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
}

// pageOIDCCallback is GET /oidc/callback: the state must be the session's
// (which is then used up), the code is exchanged with the PKCE verifier,
// the ID token verified (issuer, audience, expiry, signature, nonce) and
// its person judged (oidcLogin.judge).
func (s *Server) pageOIDCCallback(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.sessions.Get(r, sessionCookie)
	state, _ := sess.Values["oidc_state"].(string)
	nonce, _ := sess.Values["oidc_nonce"].(string)
	verifier, _ := sess.Values["oidc_verifier"].(string)
	invalid := &Error{Code: CodeSignInInvalid, Message: "This sign-in cannot be completed: it was cancelled or refused at the provider, expired, was already used, or was not started here.",
		Hint: "Sign in again from applink's sign-in page."}
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(r.URL.Query().Get("state"))) != 1 {
		s.loginFailed(w, r, invalid)
		return
	}
	conf, p, r, err := s.oidcClient(r)
	if err = errors.Join(s.store.EndSession(sess.ID), err); err != nil {
		s.loginFailed(w, r, err)
		return
	}
	var idt *oidc.IDToken
	tok, err := conf.Exchange(r.Context(), r.URL.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err == nil {
		raw, _ := tok.Extra("id_token").(string)
		idt, err = p.Verifier(&oidc.Config{ClientID: s.oidc.ClientID, Now: s.now}).Verify(r.Context(), raw)
	}
	if err == nil && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		err = errors.New("the ID token's nonce is not the session's")
	}
	who := ""
	if invalid.Err = err; err != nil {
		err = invalid
	} else {
		who, err = s.oidc.judge(idt)
	}
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
	var c map[string]any
	if err := idt.Claims(&c); err != nil {
		return "", &Error{Code: CodeSignInInvalid, Message: "The provider's answer could not be read.", Hint: "Sign in again.", Err: err}
	}
	email, _ := c["email"].(string)
	username, _ := c["preferred_username"].(string)
	verified, sent := c["email_verified"].(bool)
	groups, _ := c[o.GroupsClaim].([]any) // absent or not a list: no groups
	who, verified := cmp.Or(email, username, idt.Subject), verified || !sent
	// Addresses compared as names are (oauth.SameName): lower-cased, never
	// Unicode-folded, so "ſam" is not "sam".
	if slices.ContainsFunc(o.emails, func(a string) bool { return verified && oauth.SameName(a, email) }) ||
		slices.ContainsFunc(groups, func(g any) bool { s, _ := g.(string); return slices.Contains(o.groups, s) }) {
		return who, nil
	}
	why := "neither your address nor a group of yours is on applink's list of admins"
	if !verified {
		why = "your address is not verified and no group of yours is on applink's list of admins"
	}
	return "", &Error{Code: CodeNotAllowed, Message: fmt.Sprintf("You signed in to %s as %s, who may not enter applink: %s.", o.Name, who, why),
		Hint: "Ask whoever runs applink to add you, or sign in to " + o.Name + " with another account."}
}
