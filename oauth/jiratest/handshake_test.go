package jiratest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth/jiratest"
)

// TestHandshake runs the whole handshake in every flavor with
// dghubble/oauth1 as the consumer and Browser as the person, then asks
// myself and serverInfo.
func TestHandshake(t *testing.T) {
	for _, c := range []struct {
		flavor     jiratest.Flavor
		deployment string
	}{
		{jiratest.Server, "Server"},
		{jiratest.DataCenter, "DataCenter"},
		{jiratest.Cloud, "Cloud"},
	} {
		t.Run(string(c.flavor), func(t *testing.T) {
			e := newEnv(t, jiratest.Options{Flavor: c.flavor})
			rt, rs, cb, verifier := e.approve(t, svcUser, svcPass, true)
			if cb.Host != "consumer.example" || cb.Path != "/callback" || cb.Query().Get("link") != "1" {
				t.Errorf("callback = %s, want the consumer's callback with its own query kept", cb.Redacted())
			}
			if len(verifier) != 6 || strings.Trim(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
				t.Errorf("verifier %q is not 6 alphanumerics", verifier)
			}
			at, as, err := e.cfg.AccessToken(rt, rs, verifier)
			if err != nil {
				t.Fatal(err)
			}
			if at == rt || as == rs {
				t.Error("the access token or secret repeats the request token's")
			}
			tok := oauthToken(at, as)
			resp, body := e.restGet(t, tok, jiratest.PathMyself)
			if resp.StatusCode != 200 {
				t.Fatalf("myself: %d %s", resp.StatusCode, body)
			}
			var me map[string]any
			if err := json.Unmarshal(body, &me); err != nil {
				t.Fatal(err)
			}
			if c.flavor == jiratest.Cloud {
				want := map[string]any{"accountId": "5b10ac8d82e05b22cc7d4ef5", "accountType": "atlassian", "emailAddress": "svc-jira@example.com",
					"displayName": "Jira Align Service", "active": true}
				for k, v := range want {
					if me[k] != v {
						t.Errorf("myself[%s] = %v, want %v", k, me[k], v)
					}
				}
				for _, k := range []string{"name", "key"} {
					if _, ok := me[k]; ok {
						t.Errorf("Cloud myself has %q", k)
					}
				}
			} else {
				want := map[string]any{"name": svcUser, "key": "JIRAUSER10100", "emailAddress": "svc-jira@example.com",
					"displayName": "Jira Align Service", "active": true}
				for k, v := range want {
					if me[k] != v {
						t.Errorf("myself[%s] = %v, want %v", k, me[k], v)
					}
				}
				if _, ok := me["accountId"]; ok {
					t.Error("Server myself has accountId")
				}
			}
			if self, _ := me["self"].(string); !strings.HasPrefix(self, e.base+"/rest/api/2/user?") {
				t.Errorf("self = %q", self)
			}
			var info map[string]any
			resp, body = e.restGet(t, tok, jiratest.PathServerInfo)
			if err := json.Unmarshal(body, &info); err != nil || resp.StatusCode != 200 {
				t.Fatalf("serverInfo: %d %s", resp.StatusCode, body)
			}
			if info["deploymentType"] != c.deployment || info["baseUrl"] != e.base {
				t.Errorf("serverInfo = %v, want deploymentType %s, baseUrl %s", info, c.deployment, e.base)
			}
		})
	}
}

// TestCloudHiddenEmail: a Cloud user who hides the email has no
// emailAddress at all in myself.
func TestCloudHiddenEmail(t *testing.T) {
	e := newEnv(t, jiratest.Options{Flavor: jiratest.Cloud})
	tok := e.handshake(t, adminUser, adminPass)
	_, body := e.restGet(t, tok, jiratest.PathMyself)
	var me map[string]any
	if err := json.Unmarshal(body, &me); err != nil {
		t.Fatal(err)
	}
	if _, ok := me["emailAddress"]; ok {
		t.Errorf("emailAddress present: %s", body)
	}
	if id, _ := me["accountId"].(string); len(id) != 24 {
		t.Errorf("made-up accountId = %q, want 24 characters", id)
	}
}

func TestContextPath(t *testing.T) {
	e := newEnv(t, jiratest.Options{ContextPath: "/jira/"})
	if e.j.ContextPath() != "/jira" {
		t.Fatalf("ContextPath = %q", e.j.ContextPath())
	}
	tok := e.handshake(t, svcUser, svcPass)
	resp, body := e.restGet(t, tok, jiratest.PathMyself)
	if resp.StatusCode != 200 {
		t.Fatalf("myself under /jira: %d %s", resp.StatusCode, body)
	}
	// The same endpoints without the context path are Jira's 404 page.
	for _, p := range []string{jiratest.PathRequestToken, jiratest.PathMyself, "/jirax/rest/api/2/myself"} {
		resp, err := http.Post(e.srv.URL+p, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(body), "Oops, you&#39;ve found a dead link.") {
			t.Errorf("%s: %d %q, want Jira's 404 page", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	// A consumer that forgets the context path signs the wrong URL: 404.
	cfg := config(e.srv.URL, consumerKeyName, consumerKey())
	if _, _, err := cfg.RequestToken(); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("request token without /jira: err = %v, want a 404", err)
	}
}

func TestOOB(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	e.cfg.CallbackURL = "oob"
	rt, rs, cb, verifier := e.approve(t, svcUser, svcPass, true)
	if cb != nil {
		t.Fatalf("oob approval redirected to %s", cb.Redacted())
	}
	if len(verifier) != 6 {
		t.Fatalf("verifier from the page = %q", verifier)
	}
	if _, _, err := e.cfg.AccessToken(rt, rs, verifier); err != nil {
		t.Fatalf("exchange with the code from the page: %v", err)
	}
}

func TestDeny(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	rt, rs, cb, verifier := e.approve(t, svcUser, svcPass, false)
	if verifier != "denied" || cb.Query().Get("oauth_verifier") != "denied" {
		t.Fatalf("deny: callback %s, verifier %q; want oauth_verifier=denied", cb.Redacted(), verifier)
	}
	resp, body := send(t, signedAccessToken(t, e.cfg, rt, rs, "denied"))
	problemOf(t, resp, body, "permission_denied")
	// A denied request token is decided: it cannot be approved again.
	var je *fault.Error
	if _, _, err := e.j.ApproveRequest(rt, svcUser, true); !errors.As(err, &je) || je.Code != jiratest.CodeTokenUsed {
		t.Errorf("approving a denied token: %v, want %s", err, jiratest.CodeTokenUsed)
	}
	// A forged Deny of an undecided token: Jira says nobody decided it.
	rt, rs, err := e.cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	resp, body = send(t, signedAccessToken(t, e.cfg, rt, rs, "denied"))
	problemOf(t, resp, body, "permission_unknown")

	// Deny with oob shows a page; Browser reports "denied".
	e.cfg.CallbackURL = "oob"
	_, _, cb, verifier = e.approve(t, svcUser, svcPass, false)
	if cb != nil || verifier != "denied" {
		t.Errorf("oob deny: %v %q", cb, verifier)
	}
}

func TestVerifierWorksOnce(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	rt, rs, _, verifier := e.approve(t, svcUser, svcPass, true)
	if _, _, err := e.cfg.AccessToken(rt, rs, verifier); err != nil {
		t.Fatal(err)
	}
	resp, body := send(t, signedAccessToken(t, e.cfg, rt, rs, verifier))
	problemOf(t, resp, body, "token_rejected")
}

func TestWrongVerifier(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	rt, rs, _, verifier := e.approve(t, svcUser, svcPass, true)
	resp, body := send(t, signedAccessToken(t, e.cfg, rt, rs, verifier+"x"))
	problemOf(t, resp, body, "permission_denied")
	// The right verifier still works afterwards (a mistyped oob code).
	if _, _, err := e.cfg.AccessToken(rt, rs, verifier); err != nil {
		t.Errorf("right verifier after a wrong one: %v", err)
	}
}

func TestWrongPassword(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	rt, _, err := e.cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	au, _ := e.cfg.AuthorizationURL(rt)
	_, _, err = (&jiratest.Browser{}).Approve(t.Context(), au.String(), svcUser, "nope", true)
	var je *fault.Error
	if !errors.As(err, &je) || je.Code != jiratest.CodeLoginFailed {
		t.Fatalf("err = %v, want CodeLoginFailed", err)
	}
	if strings.Contains(err.Error(), "nope") {
		t.Error("the error shows the password")
	}
	_, _, err = (&jiratest.Browser{}).Approve(t.Context(), au.String(), "nobody", "x", true)
	if !errors.As(err, &je) || je.Code != jiratest.CodeLoginFailed {
		t.Fatalf("unknown user: err = %v, want CodeLoginFailed", err)
	}
}

// TestLoginByEmail: the login form takes an email too (Cloud logins).
func TestLoginByEmail(t *testing.T) {
	e := newEnv(t, jiratest.Options{Flavor: jiratest.Cloud})
	tok := e.handshake(t, "SVC-JIRA@example.com", svcPass)
	_, body := e.restGet(t, tok, jiratest.PathMyself)
	var me struct{ AccountID string }
	if err := json.Unmarshal(body, &me); err != nil || me.AccountID != "5b10ac8d82e05b22cc7d4ef5" {
		t.Errorf("myself = %s", body)
	}
}

// TestLoggedInAsSomeoneElse: a browser already logged in as the admin
// (the classic mistake) shows the admin on the Allow page; Browser logs
// out through "Not you?" and approves as the user it was asked to be.
func TestLoggedInAsSomeoneElse(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	jar, _ := cookiejar.New(nil)
	b := &jiratest.Browser{Client: &http.Client{Jar: jar}}
	approveWith := func(user, pass string) string {
		rt, rs, err := e.cfg.RequestToken()
		if err != nil {
			t.Fatal(err)
		}
		au, _ := e.cfg.AuthorizationURL(rt)
		cb, _, err := b.Approve(t.Context(), au.String(), user, pass, true)
		if err != nil {
			t.Fatal(err)
		}
		at, as, err := e.cfg.AccessToken(rt, rs, cb.Query().Get("oauth_verifier"))
		if err != nil {
			t.Fatal(err)
		}
		_, body := e.restGet(t, oauthToken(at, as), jiratest.PathMyself)
		var me struct{ Name string }
		_ = json.Unmarshal(body, &me)
		return me.Name
	}
	if got := approveWith(adminUser, adminPass); got != adminUser {
		t.Fatalf("first approval by %q", got)
	}
	// The jar now holds the admin's session: a wrong password for the
	// service account is not even asked for unless Browser logs out.
	if got := approveWith(svcUser, svcPass); got != svcUser {
		t.Errorf("second approval by %q, want %q", got, svcUser)
	}
	if got := approveWith(svcUser, "wrong-but-logged-in"); got != svcUser {
		t.Errorf("third approval (already logged in) by %q", got)
	}
}

// TestApproveRequest approves without HTTP.
func TestApproveRequest(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	rt, rs, err := e.cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	var je *fault.Error
	if _, _, err := e.j.ApproveRequest(rt, "nobody", true); !errors.As(err, &je) || je.Code != jiratest.CodeUnknownUser {
		t.Errorf("unknown user: %v", err)
	}
	if _, _, err := e.j.ApproveRequest("no-such-token", svcUser, true); !errors.As(err, &je) || je.Code != jiratest.CodeUnknownToken {
		t.Errorf("unknown token: %v", err)
	}
	v, cb, err := e.j.ApproveRequest(rt, svcUser, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cb, "http://consumer.example/callback?link=1&oauth_token="+rt+"&oauth_verifier="+v) {
		t.Errorf("callback = %q", cb)
	}
	if _, _, err := e.j.ApproveRequest(rt, svcUser, false); !errors.As(err, &je) || je.Code != jiratest.CodeTokenUsed {
		t.Errorf("second decision: %v", err)
	}
	if _, _, err := e.cfg.AccessToken(rt, rs, v); err != nil {
		t.Fatal(err)
	}

	e.cfg.CallbackURL = "oob"
	rt, _, err = e.cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	v, cb, err = e.j.ApproveRequest(rt, adminUser, false)
	if err != nil || v != "denied" || cb != "" {
		t.Errorf("oob deny = %q, %q, %v", v, cb, err)
	}
}

// TestConcurrentHandshakes runs handshakes in parallel (for -race).
func TestConcurrentHandshakes(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user, pass := svcUser, svcPass
			if i%2 == 1 {
				user, pass = adminUser, adminPass
			}
			rt, rs, err := e.cfg.RequestToken()
			if err != nil {
				t.Error(err)
				return
			}
			au, _ := e.cfg.AuthorizationURL(rt)
			cb, _, err := (&jiratest.Browser{}).Approve(t.Context(), au.String(), user, pass, true)
			if err != nil {
				t.Error(err)
				return
			}
			if _, _, err := e.cfg.AccessToken(rt, rs, cb.Query().Get("oauth_verifier")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// TestNamesCompareLowerCased: Jira compares user names and emails
// lower-cased, without Unicode folding: "ſ" (long s) is not "s" for a
// Basic login, the login form or the Browser's check of who is logged in.
func TestNamesCompareLowerCased(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	for login, want := range map[string]int{"SVC-Jira": http.StatusOK, "ſvc-jira": http.StatusUnauthorized} {
		req, _ := http.NewRequest("GET", e.base+jiratest.PathMyself, nil)
		req.SetBasicAuth(login, svcPass)
		if resp, body := send(t, req); resp.StatusCode != want {
			t.Errorf("Basic login %q: %d %s, want %d", login, resp.StatusCode, body, want)
		}
	}
	jar, _ := cookiejar.New(nil)
	b := &jiratest.Browser{Client: &http.Client{Jar: jar}}
	for i, login := range []string{"SVC-JIRA@example.com", "ſvc-jira@example.com"} {
		rt, _, err := e.cfg.RequestToken()
		if err != nil {
			t.Fatal(err)
		}
		au, _ := e.cfg.AuthorizationURL(rt)
		_, _, err = b.Approve(t.Context(), au.String(), login, svcPass, true)
		var fe *fault.Error
		if failed := errors.As(err, &fe) && fe.Code == jiratest.CodeLoginFailed; failed != (i == 1) {
			t.Errorf("approve as %q: err = %v, want CodeLoginFailed only for the long s", login, err)
		}
	}
}
