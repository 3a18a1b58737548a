package server

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth/jiratest"
	"github.com/applink/applink/server/store"
)

// testKey is one RSA key for every link of the test binary (links differ
// by consumer key), otherKey a second one: fixed keys of testdata/keys.
var (
	testKey  = sync.OnceValue(func() *rsa.PrivateKey { return fixedKey("rsa2048-pkcs8.pem") })
	otherKey = sync.OnceValue(func() *rsa.PrivateKey { return fixedKey("rsa2048-b.pem") })
)

func fixedKey(name string) *rsa.PrivateKey {
	k, err := keys.LoadPrivateKeyFile(filepath.Join("..", "testdata", "keys", name))
	if err != nil {
		panic(err)
	}
	return k
}

// Accounts of the simulated Jira.
const (
	svcName     = "svc-jira"
	svcPassword = "svc-password-1"
	svcAccount  = "5b10ac8d82e05b22cc7d4ef5" // Cloud account id of svc-jira
	adminName   = "alice"
	adminPass   = "alice-password-1"
	adminToken  = "test-admin-token-0123456789abcdef"
)

// clock is an injected clock that tests move forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects log output written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// swapHandler lets a test replace the app behind a running httptest
// server, as a restart does.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

// options of a fixture.
type options struct {
	flavor     jiratest.Flavor
	onMismatch string
	// serviceAccount as given to links (defaults by flavor).
	serviceAccount string
	// client calls Jira (the server's default when nil).
	client *http.Client
	// jiraHosts is Config.JiraHosts.
	jiraHosts []string
	// adminToken replaces the constant adminToken (a rotation, at the
	// next restart).
	adminToken string
	// sessionLifetime is Config.SessionLifetime.
	sessionLifetime time.Duration
	// trustedProxies is Config.TrustedProxies.
	trustedProxies []netip.Prefix
	// oidc is Config.OIDC.
	oidc *OIDC
}

// fixture is a simulated Jira and an applink server on loopback, sharing
// an injected clock, with the server's log captured.
type fixture struct {
	t        *testing.T
	opts     options
	clock    *clock
	jira     *jiratest.Jira
	jiraSrv  *httptest.Server
	jiraHits atomic.Int64
	dir      string
	store    *store.Store
	srv      *Server
	app      *httptest.Server
	swap     *swapHandler
	logs     *syncBuffer

	mu      sync.Mutex
	secrets []string        // must never appear in the log
	delays  []time.Duration // asked for by the sign-in limiter, never slept
}

func newFixture(t *testing.T, opts options) *fixture {
	t.Helper()
	if opts.flavor == "" {
		opts.flavor = jiratest.Server
	}
	if opts.serviceAccount == "" {
		opts.serviceAccount = svcName
		if opts.flavor == jiratest.Cloud {
			opts.serviceAccount = svcAccount
		}
	}
	f := &fixture{t: t, opts: opts, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, logs: &syncBuffer{}, swap: &swapHandler{}}
	f.jira = jiratest.New(jiratest.Options{Flavor: opts.flavor, Now: f.clock.Now})
	f.jira.AddUser(jiratest.User{Name: svcName, Key: "JIRAUSER10100", AccountID: svcAccount,
		Email: "svc-jira@example.com", DisplayName: "Jira Sync Service", Password: svcPassword})
	f.jira.AddUser(jiratest.User{Name: adminName, Key: "JIRAUSER10000", AccountID: "5a00aa11bb22cc33dd44ee55",
		Email: "alice@example.com", DisplayName: "Alice Admin", Password: adminPass})
	f.jiraSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.jiraHits.Add(1)
		f.jira.ServeHTTP(w, r)
	}))
	t.Cleanup(f.jiraSrv.Close)

	f.dir = t.TempDir()
	f.app = httptest.NewUnstartedServer(f.swap)
	f.start()
	f.app.Start()
	t.Cleanup(f.app.Close)
	f.addSecret(adminToken)
	t.Cleanup(f.checkLogs)
	return f
}

// start opens the store and builds the server (again, after a restart).
func (f *fixture) start() {
	f.t.Helper()
	st, err := store.Open(f.dir)
	if err != nil {
		f.t.Fatalf("store.Open: %v", err)
	}
	f.store = st
	f.t.Cleanup(func() { _ = st.Close() })
	token := adminToken
	if f.opts.adminToken != "" {
		token = f.opts.adminToken
		f.addSecret(token)
	}
	srv, err := New(Config{
		Store:           st,
		PublicURL:       "http://" + f.app.Listener.Addr().String(),
		OnMismatch:      f.opts.onMismatch,
		AdminToken:      token,
		Logger:          zerolog.New(f.logs).With().Timestamp().Logger(),
		Now:             f.clock.Now,
		HTTPClient:      f.opts.client,
		JiraHosts:       f.opts.jiraHosts,
		LookupIP:        fakeDNS,
		SessionLifetime: f.opts.sessionLifetime,
		TrustedProxies:  f.opts.trustedProxies,
		OIDC:            f.opts.oidc,
	})
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	srv.newKey = func() (*rsa.PrivateKey, error) { return testKey(), nil }
	srv.sleep = func(_ context.Context, d time.Duration) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.delays = append(f.delays, d)
	}
	f.srv = srv
	f.swap.set(srv.Handler())
}

// restart closes the data folder and starts a new store and server on it,
// behind the same address.
func (f *fixture) restart() {
	f.t.Helper()
	if err := f.store.Close(); err != nil {
		f.t.Fatalf("closing the store: %v", err)
	}
	f.start()
}

func (f *fixture) addSecret(s string) {
	if s == "" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets = append(f.secrets, s)
}

// checkLogs fails the test when a secret, or a callback query, reached
// the log.
func (f *fixture) checkLogs() {
	logs := f.logs.String()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.secrets {
		if strings.Contains(logs, s) {
			f.t.Errorf("a secret (%.6s...) appears in the log", s)
		}
	}
	for _, s := range []string{"oauth_verifier", "oauth_token=", "PRIVATE KEY"} {
		if strings.Contains(logs, s) {
			f.t.Errorf("%q appears in the log", s)
		}
	}
}

// do sends a request to the app and returns the answer with its body.
func (f *fixture) do(req *http.Request, client *http.Client) (*http.Response, []byte) {
	f.t.Helper()
	if client == nil {
		client = noRedirectClient(nil)
	}
	resp, err := client.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("reading %s: %v", req.URL.Path, err)
	}
	return resp, body
}

// noRedirectClient returns a client that does not follow redirects.
func noRedirectClient(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// api sends an API request with the admin token; body is JSON-encoded
// unless it is a string (sent as is) or nil.
func (f *fixture) api(method, path string, body any) (*http.Response, []byte) {
	f.t.Helper()
	return f.apiWith(method, path, body, "Bearer "+adminToken)
}

func (f *fixture) apiWith(method, path string, body any, auth string) (*http.Response, []byte) {
	f.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, f.app.URL+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return f.do(req, nil)
}

// decode decodes a JSON answer.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return v
}

// wantStatus fails when resp has another status.
func wantStatus(t *testing.T, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, body)
	}
}

// apiError is the JSON error body.
type apiError struct {
	Error struct {
		Code    fault.Code `json:"code"`
		Message string     `json:"message"`
		Hint    string     `json:"hint"`
	} `json:"error"`
}

// wantError checks an API error answer's status and code.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, code fault.Code) {
	t.Helper()
	wantStatus(t, resp, body, status)
	e := decode[apiError](t, body)
	if e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("error %+v, want code %q with a message", e.Error, code)
	}
}

// createLink creates a link through the API and registers it in the
// simulated Jira, as the Jira admin does with the configuration.
func (f *fixture) createLink(name string) *LinkView {
	f.t.Helper()
	resp, body := f.api("POST", "/api/links", map[string]string{
		"name": name, "jira_url": f.jiraSrv.URL, "service_account": f.opts.serviceAccount, "environment": "sandbox",
	})
	wantStatus(f.t, resp, body, http.StatusCreated)
	v := decode[*LinkView](f.t, body)
	if err := f.jira.AddConsumer(v.AppLink.ConsumerKey, v.AppLink.ConsumerName, []byte(v.AppLink.PublicKey), ""); err != nil {
		f.t.Fatalf("AddConsumer: %v", err)
	}
	return v
}

// getLink returns a link through the API.
func (f *fixture) getLink(name string) *LinkView {
	f.t.Helper()
	resp, body := f.api("GET", "/api/links/"+name, nil)
	wantStatus(f.t, resp, body, http.StatusOK)
	return decode[*LinkView](f.t, body)
}

// startHandshake starts a handshake through the API.
func (f *fixture) startHandshake(name string) *HandshakeView {
	f.t.Helper()
	resp, body := f.api("POST", "/api/links/"+name+"/handshakes", nil)
	wantStatus(f.t, resp, body, http.StatusCreated)
	return decode[*HandshakeView](f.t, body)
}

// approve plays the person at the browser on the simulated Jira: log in
// as user and click Allow or Deny. It returns the callback URL, not
// followed.
func (f *fixture) approve(authorizeURL, user string, allow bool) string {
	f.t.Helper()
	pass := svcPassword
	if user == adminName {
		pass = adminPass
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cb, _, err := (&jiratest.Browser{}).Approve(ctx, authorizeURL, user, pass, allow)
	if err != nil {
		f.t.Fatalf("approving in the simulated Jira as %s: %v", user, err)
	}
	if cb == nil {
		f.t.Fatal("the simulated Jira sent no callback")
	}
	if v := cb.Query().Get("oauth_verifier"); v != "denied" {
		f.addSecret(v)
	}
	return cb.String()
}

// get sends a GET with client (a fresh client without cookies when nil).
func (f *fixture) get(rawURL string, client *http.Client) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.do(req, client)
}

// credentials exports a link's credentials through the API and records
// its secrets; accept acknowledges an approver that is not confirmed to be
// the service account, naming the approval the link shows.
func (f *fixture) credentials(name string, accept ...bool) credentials {
	f.t.Helper()
	q := ""
	if len(accept) > 0 && accept[0] {
		q = "?accept_approver=" + url.QueryEscape(f.getLink(name).AuthorizedAt.Format(time.RFC3339Nano))
	}
	resp, body := f.api("GET", "/api/links/"+name+"/credentials"+q, nil)
	wantStatus(f.t, resp, body, http.StatusOK)
	c := decode[credentials](f.t, body)
	f.addSecret(c.TokenSecret)
	f.addSecret(pemBody(c.PrivateKeyPEM))
	return c
}

// pemBody returns a line from the middle of a PEM block: it would appear
// in any log that held the key.
func pemBody(p string) string {
	lines := strings.Split(strings.TrimSpace(p), "\n")
	if len(lines) < 3 {
		return p
	}
	return lines[len(lines)/2]
}

// storedSecrets records the secrets kept in the data folder for a link.
func (f *fixture) storedSecrets(name string) {
	f.t.Helper()
	if tok, err := f.store.Token(name); err == nil {
		f.addSecret(tok.TokenSecret)
	}
	if key, err := f.store.PrivateKey(name); err == nil {
		pemKey, err := keys.MarshalPrivateKey(key)
		if err != nil {
			f.t.Fatal(err)
		}
		f.addSecret(pemBody(string(pemKey)))
	}
}

// browser is a person at a web browser on applink's pages: a cookie jar,
// and form posts that carry Sec-Fetch-Site as browsers do.
type browser struct {
	f      *fixture
	client *http.Client
}

func (f *fixture) newBrowser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return &browser{f: f, client: noRedirectClient(jar)}
}

// get opens a page, following redirects; it returns the final answer.
func (b *browser) get(path string) (*http.Response, string) {
	b.f.t.Helper()
	target := path
	if strings.HasPrefix(path, "/") {
		target = b.f.app.URL + path
	}
	for range 5 {
		resp, body := b.f.get(target, b.client)
		if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
			return resp, string(body)
		}
		loc, err := resp.Location()
		if err != nil {
			b.f.t.Fatal(err)
		}
		target = loc.String()
	}
	b.f.t.Fatalf("too many redirects from %s", path)
	return nil, ""
}

// post submits a form like a browser on applink's own page (Sec-Fetch-Site:
// same-origin), without following the redirect.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.f.t.Helper()
	req, err := http.NewRequest("POST", b.f.app.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.f.app.URL)
	resp, body := b.f.do(req, b.client)
	return resp, string(body)
}

// cookie returns the value of the browser's session cookie ("" if none).
func (b *browser) cookie() string {
	u, _ := url.Parse(b.f.app.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			return c.Value
		}
	}
	return ""
}

// withCookie sends method path with only the session cookie value given,
// as someone who copied it would, and returns the answer.
func (f *fixture) withCookie(method, path, value string) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.app.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: value})
	return f.do(req, nil)
}

// signIn signs the browser in with the admin token.
func (b *browser) signIn() {
	b.f.t.Helper()
	resp, body := b.post("/login", url.Values{"token": {adminToken}})
	if resp.StatusCode != http.StatusSeeOther {
		b.f.t.Fatalf("sign-in: status %d: %s", resp.StatusCode, body)
	}
}

// find returns the first submatch of re in s, HTML-unescaped.
func find(t *testing.T, re, s string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s not found in:\n%s", re, s)
	}
	return html.UnescapeString(m[1])
}

// wantContains fails when s lacks any of subs.
func wantContains(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("missing %q in:\n%s", sub, s)
		}
	}
}
