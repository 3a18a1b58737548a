package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	for _, path := range []string{"/", "/login", "/api/links", "/api/links/prod", "/healthz", "/static/app.css",
		strings.TrimPrefix(h.ApprovalURL, f.app.URL), "/oauth/callback?oauth_token=x&oauth_verifier=y", "/nope"} {
		resp, body := f.apiWith("GET", path, nil, "Bearer "+adminToken)
		if resp.StatusCode >= 500 {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
		hd := resp.Header
		csp := hd.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, want)
			}
		}
		if got := hd.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q", path, got)
		}
		if got := hd.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", path, got)
		}
		if hd.Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id", path)
		}
		if path != "/static/app.css" && hd.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, hd.Get("Cache-Control"))
		}
	}
}

// TestCrossOriginRefused: a state-changing request from another site is
// refused and changes nothing, with the token or a session.
func TestCrossOriginRefused(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	b := f.newBrowser()
	b.signIn()

	send := func(method, path, body string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest(method, f.app.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+adminToken)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, _ := f.do(req, b.client)
		return resp
	}
	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "http://evil.example"},
	} {
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/api/links", `{"name":"evil","jira_url":"http://j.example","service_account":"x"}`},
			{"DELETE", "/api/links/prod", ""},
			{"PATCH", "/api/links/prod", `{"service_account":"evil"}`},
			{"POST", "/api/links/prod/handshakes", ""},
			{"POST", "/links", "name=evil&jira_url=http://j.example&service_account=x"},
			{"POST", "/links/prod/delete", "confirm=prod"},
			{"POST", "/links/prod/edit", "jira_url=http://j.example&service_account=evil"},
			{"POST", "/links/prod/handshakes", ""},
			{"POST", "/logout", ""},
			{"POST", "/login", "token=" + adminToken},
		} {
			if resp := send(r.method, r.path, r.body, hdr); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%v %s %s: status %d, want 403", hdr, r.method, r.path, resp.StatusCode)
			}
		}
	}
	resp, body := f.api("GET", "/api/links", nil)
	list := decode[struct{ Links []*LinkView }](t, body)
	if resp.StatusCode != 200 || len(list.Links) != 1 || list.Links[0].State != "new" {
		t.Errorf("links changed: %s", body)
	}
	// Still signed in: the cross-origin sign-out did nothing.
	if resp, _ := b.get("/"); resp.Request.URL.Path != "/" {
		t.Error("a cross-origin POST signed the admin out")
	}
	// A same-origin API call from a script (no browser headers) works.
	resp, body = f.api("POST", "/api/links/prod/handshakes", nil)
	if resp.StatusCode == http.StatusForbidden {
		t.Errorf("a script's POST was refused: %s", body)
	}
	wantContains(t, f.logs.String(), "cross-origin request refused")
}

// TestNoSecretsInLogs runs the flows that handle every secret with the log
// at debug level, then checks the log (the fixture checks it at the end of
// every test too).
func TestNoSecretsInLogs(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	f.credentials("prod")
	f.storedSecrets("prod")
	hs := f.startHandshake("prod")
	// The pending request token's secret, from the data folder.
	au, _ := url.Parse(hs.AuthorizeURL)
	pending, err := f.store.HandshakeByRequestToken(au.Query().Get("oauth_token"))
	if err != nil {
		t.Fatal(err)
	}
	f.addSecret(pending.TokenSecret)
	f.get(f.approve(hs.AuthorizeURL, adminName, true), nil)
	f.storedSecrets("prod")
	b := f.newBrowser()
	b.post("/login", url.Values{"token": {"wrong-" + adminToken}})
	f.addSecret("wrong-" + adminToken)
	// The session keys.
	hashKey, encKey, err := f.store.SessionKeys()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range [][]byte{hashKey, encKey} {
		f.addSecret(fmt.Sprintf("%x", k))
		f.addSecret(string(mustJSON(t, k)))
	}
	if !strings.Contains(f.logs.String(), `"path":"/oauth/callback"`) {
		t.Error("the callback's access log line is missing")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b[1 : len(b)-1]
}

func TestSecretRedacted(t *testing.T) {
	s := secret("hunter2")
	var logs strings.Builder
	logger := zerolog.New(&logs)
	logger.Info().Interface("i", s).Object("o", s).Stringer("s", s).Msg(fmt.Sprint(s))
	got := fmt.Sprintf("%v %s %q %x %#v %+v %d", s, s, s, s, s, struct{ S secret }{s}, s) + logs.String()
	if j, err := json.Marshal(struct{ S secret }{s}); err != nil || strings.Contains(string(j), "hunter2") {
		t.Errorf("JSON: %s %v", j, err)
	}
	if strings.Contains(got, "hunter2") || !strings.Contains(got, redacted) {
		t.Errorf("secret printed: %s", got)
	}
	c := credentials{JiraURL: "https://j", ConsumerKey: "k", PrivateKeyPEM: "pk-hunter2", AccessToken: "at", TokenSecret: "ts-hunter2"}
	logs.Reset()
	logger.Info().Interface("c", c).Object("o", c).Msg(fmt.Sprintf("%v %+v %#v %s", c, c, c, c))
	if strings.Contains(logs.String(), "hunter2") || !strings.Contains(logs.String(), `"consumer_key":"k"`) {
		t.Errorf("credentials logged: %s", logs.String())
	}
	if s.reveal() != "hunter2" {
		t.Error("reveal")
	}
}

func TestStatus(t *testing.T) {
	for code, want := range map[fault.Code]int{
		CodeInvalidName: 400, CodeUnknownField: 400, CodeBodyTooLarge: 400, CodeBadRequest: 400,
		CodeUnauthorized: 401, CodeCrossOrigin: 403, oauth.CodeWrongApprover: 403, "denied": 403,
		store.CodeNotFound: 404, CodeLinkNotFound: 404, CodeHandshakeUnknown: 404, store.CodeExists: 409, CodeNotApproved: 409,
		oauth.CodeApproverNotConfirmed: 409, "jira_not_found": 502, "jira_unauthorized": 502, CodeSaveFailed: 503,
		CodeHandshakeExpired: 410, CodeInternal: 500,
		"consumer_key_unknown": 502, "signature_invalid": 502, "html_page": 502, "timeout": 504,
	} {
		if got := Status(code); got != want {
			t.Errorf("Status(%q) = %d, want %d", code, got, want)
		}
	}
}

func TestInternalErrorHidesDetail(t *testing.T) {
	f := newFixture(t, options{})
	req, _ := http.NewRequest("GET", "/x", nil)
	rec := &recorder{h: http.Header{}}
	f.srv.writeError(rec, req, fmt.Errorf("open /data/links/x/private.pem: disk on fire"))
	if e := decode[apiError](t, []byte(rec.body.String())); rec.status != 500 || strings.Contains(rec.body.String(), "disk on fire") || e.Error.Code != CodeInternal {
		t.Errorf("%d %s", rec.status, rec.body.String())
	}
	wantContains(t, f.logs.String(), "disk on fire")
}

type recorder struct {
	h      http.Header
	status int
	body   strings.Builder
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }

func TestLogPath(t *testing.T) {
	for in, want := range map[string]string{
		"/approve/abcdef0123456789abcdef": "/approve/{id}",
		"/oauth/callback":                 "/oauth/callback",
		"/" + strings.Repeat("a", 300):    "/" + strings.Repeat("a", 255) + "...",
	} {
		if got := logPath(in); got != want {
			t.Errorf("logPath(%.20q) = %.30q, want %.30q", in, got, want)
		}
	}
}

func TestParsePublicURL(t *testing.T) {
	for _, tt := range []struct{ raw, want string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{" https://Applink.Example.com/ ", "https://applink.example.com"},
		{"", ""},
		{"applink.example.com", ""},
		{"ftp://x.example", ""},
		{"https://x.example/applink", ""},
		{"https://x.example/?a=b", ""},
		{"https://x.example/#top", ""},
		{"https://user@x.example", ""},
	} {
		got, err := ParsePublicURL(tt.raw)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("ParsePublicURL(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
		}
		if err != nil && fault.CodeOf(err) != CodeInvalidInput {
			t.Errorf("ParsePublicURL(%q): code %q, want %q", tt.raw, fault.CodeOf(err), CodeInvalidInput)
		}
	}
}

func TestParseMismatchMode(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", MismatchWarn}, {"warn", MismatchWarn}, {"reject", MismatchReject},
		{"ignore", ""}, {"Warn", ""}, {" reject", ""},
	} {
		got, err := ParseMismatchMode(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") || (err != nil && fault.CodeOf(err) != CodeInvalidInput) {
			t.Errorf("ParseMismatchMode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	good := Config{Store: st, PublicURL: "http://127.0.0.1:8080", AdminToken: testToken2}
	for name, mod := range map[string]func(c *Config){
		"no store":         func(c *Config) { c.Store = nil },
		"no token":         func(c *Config) { c.AdminToken = "  " },
		"short token":      func(c *Config) { c.AdminToken = testToken2[:31] },
		"bad mismatch":     func(c *Config) { c.OnMismatch = "ignore" },
		"no public url":    func(c *Config) { c.PublicURL = "" },
		"ftp public url":   func(c *Config) { c.PublicURL = "ftp://x" },
		"public url path":  func(c *Config) { c.PublicURL = "https://x.example/applink" },
		"public url query": func(c *Config) { c.PublicURL = "https://x.example/?a=b" },
	} {
		c := good
		mod(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	c := good
	c.PublicURL = "https://Applink.Example.com/"
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.callbackURL != "https://applink.example.com/oauth/callback" || !s.secureCookies || s.onMismatch != MismatchWarn {
		t.Errorf("callback %s, secure %v, mismatch %s", s.callbackURL, s.secureCookies, s.onMismatch)
	}
	// https: the cookie is Secure and HSTS is sent.
	rec := &recorder{h: http.Header{}}
	req, _ := http.NewRequest("POST", "/login", strings.NewReader("token="+testToken2))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "192.0.2.1:1234"
	s.Handler().ServeHTTP(rec, req)
	if rec.status != http.StatusSeeOther || !strings.Contains(rec.h.Get("Set-Cookie"), "Secure") || rec.h.Get("Strict-Transport-Security") == "" {
		t.Errorf("https sign-in: %d, cookie %q, HSTS %q", rec.status, rec.h.Get("Set-Cookie"), rec.h.Get("Strict-Transport-Security"))
	}
}

func TestAdminTokenFrom(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	tok, created, err := AdminTokenFrom(st, getenv)
	if err != nil || !created || len(tok) < 20 {
		t.Fatalf("first: %q %v %v", tok, created, err)
	}
	again, created, err := AdminTokenFrom(st, getenv)
	if err != nil || created || again != tok {
		t.Errorf("second: %q %v %v", again, created, err)
	}
	env["APPLINK_ADMIN_TOKEN"] = "  " + testToken2 + "\n"
	if got, created, err := AdminTokenFrom(st, getenv); got != testToken2 || created || err != nil {
		t.Errorf("env: %q %v %v", got, created, err)
	}
	// A short token, or one with white space inside, is refused with a
	// message naming the variable and how to make a good one, never the
	// token itself.
	for _, bad := range []string{"a", testToken2[:31], "0123456789abcdef 0123456789abcdef", "0123456789abcdef\x000123456789abcdef"} {
		env["APPLINK_ADMIN_TOKEN"] = bad
		_, _, err := AdminTokenFrom(st, getenv)
		if fault.CodeOf(err) != CodeInvalidInput {
			t.Errorf("%q: %v, want %s", bad, err, CodeInvalidInput)
			continue
		}
		e := asError(err)
		wantContains(t, e.Message+" "+e.Hint, "APPLINK_ADMIN_TOKEN", "openssl rand -base64 32")
		if len(bad) > 1 && strings.Contains(e.Message+e.Hint, bad) {
			t.Errorf("the error quotes the token: %v", e)
		}
	}
}

// testToken2 is an admin token of tests that build their own Server.
const testToken2 = "second-test-token-0123456789abcdef"

// TestServe: Serve answers on its listener and returns nil after a
// graceful shutdown.
func TestServe(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: st, PublicURL: "http://" + ln.Addr().String(), AdminToken: testToken2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return")
	}
}
