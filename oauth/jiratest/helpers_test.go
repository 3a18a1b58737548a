package jiratest_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth/jiratest"
	"github.com/dghubble/oauth1"
)

// consumerKey and otherKey are two fixed 2048-bit keys of testdata/keys.
var (
	consumerKey = sync.OnceValue(func() *rsa.PrivateKey { return fixedKey("rsa2048-pkcs8.pem") })
	otherKey    = sync.OnceValue(func() *rsa.PrivateKey { return fixedKey("rsa2048-b.pem") })
)

func fixedKey(name string) *rsa.PrivateKey {
	k, err := keys.LoadPrivateKeyFile(filepath.Join("..", "..", "testdata", "keys", name))
	if err != nil {
		panic(err)
	}
	return k
}

// publicPEM is a public key as Jira's Public Key field takes it.
func publicPEM(t testing.TB, k *rsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

const (
	consumerKeyName = "applink-test"
	callback        = "http://consumer.example/callback?link=1"
	svcUser         = "svc-jira"
	svcPass         = "svc-pass"
	adminUser       = "alex.admin"
	adminPass       = "admin-pass"
	project         = "SYNC"
)

// env is a simulated Jira on httptest with two users and one consumer,
// and a dghubble/oauth1 consumer configured for it. Jira's clock stands
// still at now; tests move it with Faults.ClockOffset.
type env struct {
	j    *jiratest.Jira
	srv  *httptest.Server
	base string    // the Jira base URL, context path included
	now  time.Time // the simulated Jira's clock, before any Faults.ClockOffset
	cfg  *oauth1.Config
}

func newEnv(t *testing.T, opts jiratest.Options) *env {
	t.Helper()
	now := time.Now()
	if opts.Now == nil {
		opts.Now = func() time.Time { return now }
	}
	j, srv := jiratest.NewServer(t, opts,
		jiratest.User{Name: svcUser, Key: "JIRAUSER10100", AccountID: "5b10ac8d82e05b22cc7d4ef5", Email: "svc-jira@example.com",
			DisplayName: "Jira Align Service", Password: svcPass,
			Permissions: map[string][]string{project: {"BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES"}, "": {"USER_PICKER"}}},
		jiratest.User{Name: adminUser, Email: "alex@example.com", DisplayName: "Alex Admin", Password: adminPass, HideEmail: true})
	if err := j.AddConsumer(consumerKeyName, "Jira Align", publicPEM(t, consumerKey()), ""); err != nil {
		t.Fatal(err)
	}
	base := srv.URL + j.ContextPath()
	return &env{j: j, srv: srv, base: base, now: now, cfg: config(base, consumerKeyName, consumerKey())}
}

// config is a dghubble/oauth1 consumer of the Jira at base.
func config(base, key string, k *rsa.PrivateKey) *oauth1.Config {
	return &oauth1.Config{
		ConsumerKey: key,
		CallbackURL: callback,
		Endpoint: oauth1.Endpoint{
			RequestTokenURL: base + jiratest.PathRequestToken,
			AuthorizeURL:    base + jiratest.PathAuthorize,
			AccessTokenURL:  base + jiratest.PathAccessToken,
		},
		Signer:     &oauth1.RSASigner{PrivateKey: k},
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		// Set here: dghubble/oauth1 writes a missing Noncer into the
		// Config on every call, a data race when the Config is shared.
		Noncer: oauth1.Base64Noncer{},
	}
}

// approve gets a request token and has user approve it in a browser.
func (e *env) approve(t *testing.T, user, pass string, allow bool) (rt, rs string, cb *url.URL, verifier string) {
	t.Helper()
	rt, rs, err := e.cfg.RequestToken()
	if err != nil {
		t.Fatalf("request token: %v", err)
	}
	au, err := e.cfg.AuthorizationURL(rt)
	if err != nil {
		t.Fatal(err)
	}
	cb, verifier, err = (&jiratest.Browser{}).Approve(t.Context(), au.String(), user, pass, allow)
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	if cb != nil {
		if got := cb.Query().Get("oauth_token"); got != rt {
			t.Fatalf("callback oauth_token = %q, want the request token %q", got, rt)
		}
		verifier = cb.Query().Get("oauth_verifier")
	}
	return rt, rs, cb, verifier
}

// handshake runs the whole handshake as user and returns the access token.
func (e *env) handshake(t *testing.T, user, pass string) *oauth1.Token {
	t.Helper()
	rt, rs, _, verifier := e.approve(t, user, pass, true)
	at, as, err := e.cfg.AccessToken(rt, rs, verifier)
	if err != nil {
		t.Fatalf("access token: %v", err)
	}
	return oauth1.NewToken(at, as)
}

// restGet sends a GET signed by dghubble/oauth1 with tok.
func (e *env) restGet(t *testing.T, tok *oauth1.Token, pathAndQuery string) (*http.Response, []byte) {
	t.Helper()
	client := oauth1.NewClient(t.Context(), e.cfg, tok)
	resp, err := client.Get(e.base + pathAndQuery)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(t, resp)
}

func readAll(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recorder is a RoundTripper that records the requests dghubble/oauth1
// signs and answers them itself, so that tests can replay or alter them.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	body string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Clone(context.Background()))
	r.mu.Unlock()
	body := r.body
	if body == "" {
		body = "oauth_token=x&oauth_token_secret=y&oauth_callback_confirmed=true"
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

func (r *recorder) last(t *testing.T) *http.Request {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("nothing recorded")
	}
	return r.reqs[len(r.reqs)-1]
}

// signedRequestToken is the request-token request dghubble/oauth1 would
// send for cfg, recorded and not sent.
func signedRequestToken(t *testing.T, cfg *oauth1.Config) *http.Request {
	t.Helper()
	rec := &recorder{}
	c := *cfg
	c.HTTPClient = &http.Client{Transport: rec}
	if _, _, err := c.RequestToken(); err != nil {
		t.Fatal(err)
	}
	return rec.last(t)
}

// signedAccessToken is the access-token request dghubble/oauth1 would
// send, recorded and not sent.
func signedAccessToken(t *testing.T, cfg *oauth1.Config, rt, rs, verifier string) *http.Request {
	t.Helper()
	rec := &recorder{body: "oauth_token=x&oauth_token_secret=y"}
	c := *cfg
	c.HTTPClient = &http.Client{Transport: rec}
	if _, _, err := c.AccessToken(rt, rs, verifier); err != nil {
		t.Fatal(err)
	}
	return rec.last(t)
}

// signedGet is a REST GET dghubble/oauth1 would send with tok, recorded.
func signedGet(t *testing.T, cfg *oauth1.Config, tok *oauth1.Token, target string) *http.Request {
	t.Helper()
	rec := &recorder{body: "{}"}
	ctx := context.WithValue(t.Context(), oauth1.HTTPClient, &http.Client{Transport: rec})
	resp, err := oauth1.NewClient(ctx, cfg, tok).Get(target)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return rec.last(t)
}

// send sends a recorded request (again), with its headers as they are.
func send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	out, err := http.NewRequestWithContext(t.Context(), req.Method, req.URL.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	out.Header = req.Header.Clone()
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(t, resp)
}

// authParams reads the Authorization header of a recorded request.
func authParams(t *testing.T, req *http.Request) map[string]string {
	t.Helper()
	h := strings.TrimPrefix(req.Header.Get("Authorization"), "OAuth ")
	out := map[string]string{}
	for _, part := range strings.Split(h, ", ") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			t.Fatalf("bad header part %q", part)
		}
		v, err := url.PathUnescape(strings.Trim(v, `"`))
		if err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

// setAuth writes an Authorization header from params.
func setAuth(req *http.Request, params map[string]string) {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = oauth1.PercentEncode(k) + `="` + oauth1.PercentEncode(params[k]) + `"`
	}
	req.Header.Set("Authorization", "OAuth "+strings.Join(parts, ", "))
}

// problemOf checks that an answer is Jira's oauth_problem answer and
// returns its body fields.
func problemOf(t *testing.T, resp *http.Response, body []byte, want string) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401 (body %s)", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if got := v.Get("oauth_problem"); got != want {
		t.Fatalf("oauth_problem = %q, want %q (body %s)", got, want, body)
	}
	h := resp.Header.Get("WWW-Authenticate")
	if !strings.HasPrefix(h, `OAuth realm="`) || !strings.Contains(h, `oauth_problem="`+want+`"`) {
		t.Errorf("WWW-Authenticate = %q, want the realm and oauth_problem=%q", h, want)
	}
	return v
}

// testSigner signs requests as a careful consumer does, independently of
// both the simulated Jira and dghubble/oauth1: every query and form
// parameter takes part, repeated ones included.
type testSigner struct {
	key         *rsa.PrivateKey
	consumerKey string
	now         func() time.Time
}

// sign adds an OAuth Authorization header to req. body is the form body
// (when the request has one), extra the oauth_* parameters besides the
// common ones (oauth_token, oauth_callback...).
func (s *testSigner) sign(t *testing.T, req *http.Request, body string, extra map[string]string) {
	t.Helper()
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	oauthParams := map[string]string{
		"oauth_consumer_key":     s.consumerKey,
		"oauth_signature_method": "RSA-SHA1",
		"oauth_timestamp":        strconv.FormatInt(now().Unix(), 10),
		"oauth_nonce":            base64.RawURLEncoding.EncodeToString(nonce),
		"oauth_version":          "1.0",
	}
	for k, v := range extra {
		oauthParams[k] = v
	}
	var pairs [][2]string
	add := func(k, v string) { pairs = append(pairs, [2]string{oauth1.PercentEncode(k), oauth1.PercentEncode(v)}) }
	for k, v := range oauthParams {
		if k != "realm" { // RFC 5849 3.4.1.3.1: the realm is not signed
			add(k, v)
		}
	}
	q, err := url.ParseQuery(req.URL.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range q {
		for _, v := range vs {
			add(k, v)
		}
	}
	if body != "" {
		f, err := url.ParseQuery(body)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range f {
			for _, v := range vs {
				add(k, v)
			}
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	joined := make([]string, len(pairs))
	for i, p := range pairs {
		joined[i] = p[0] + "=" + p[1]
	}
	baseURI := req.URL.Scheme + "://" + req.URL.Host + req.URL.EscapedPath()
	base := req.Method + "&" + oauth1.PercentEncode(baseURI) + "&" + oauth1.PercentEncode(strings.Join(joined, "&"))
	sum := sha1.Sum([]byte(base))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA1, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	oauthParams["oauth_signature"] = base64.StdEncoding.EncodeToString(sig)
	setAuth(req, oauthParams)
}

// do sends req with the default client.
func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(t, resp)
}

// oauthToken makes a dghubble/oauth1 token.
func oauthToken(token, secret string) *oauth1.Token { return oauth1.NewToken(token, secret) }

// parseForm reads a form-encoded answer.
func parseForm(t *testing.T, body []byte) url.Values {
	t.Helper()
	v, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatalf("%q: %v", body, err)
	}
	return v
}
