package server

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/applink/applink/fault"
)

// testOP is a real OpenID provider (zitadel's certified op package over
// its example in-memory storage) on loopback, whose users' groups, ID
// token audience and lifetime the tests choose, and which can be down.
type testOP struct {
	*storage.Storage
	srv     *httptest.Server
	clients map[string]*storage.Client
	down    atomic.Bool
	// exchanges counts the calls to the token endpoint.
	exchanges atomic.Int64

	mu       sync.Mutex
	user     string        // who signs in at the provider's login page
	audience string        // when set, the client the ID tokens are issued to instead of applink
	lifetime time.Duration // when set, the ID tokens' lifetime
}

const opClientSecret = "oidc-client-secret-0123456789"

// opUsers are the provider's accounts: their address, whether it is
// verified, their groups.
var opUsers = map[string]struct {
	email    string
	verified bool
	groups   []string
}{
	"alice":  {"Alice@corp.example", true, []string{"staff", "applink-admins"}},
	"bob":    {"bob@corp.example", true, []string{"staff"}},
	"carol":  {"carol@corp.example", false, nil},
	"long-s": {"ſam@corp.example", true, nil}, // "ſam", not "sam"
}

type opUserStore struct{}

func (opUserStore) GetUserByID(id string) *storage.User {
	u, ok := opUsers[id]
	if !ok {
		return nil
	}
	return &storage.User{ID: id, Username: id, Password: "pw", Email: u.email, EmailVerified: u.verified, PreferredLanguage: language.English}
}
func (s opUserStore) GetUserByUsername(name string) *storage.User { return s.GetUserByID(name) }
func (opUserStore) ExampleClientID() string                       { return "service" }

// newTestOP starts the provider.
func newTestOP(t *testing.T) *testOP {
	t.Helper()
	p := &testOP{clients: map[string]*storage.Client{}}
	p.Storage = storage.NewStorageWithClients(opUserStore{}, p.clients)
	p.srv = httptest.NewUnstartedServer(nil)
	issuer := "http://" + p.srv.Listener.Addr().String()
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("test")), CodeMethodS256: true, AuthMethodPost: true},
		p, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/login/username", func(w http.ResponseWriter, r *http.Request) { // the provider's sign-in: p.user, at once
		id := r.URL.Query().Get("authRequestID")
		p.mu.Lock()
		user := p.user
		p.mu.Unlock()
		if err := p.CheckUsernamePassword(user, "pw", id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, "/authorize/callback?id="+url.QueryEscape(id), http.StatusFound)
	})
	mux.Handle("/", provider)
	p.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			p.exchanges.Add(1)
		}
		if p.down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	})
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	return p
}

// GetClientByClientID returns the client, with the address and profile
// in its ID tokens (as Keycloak sends them) and the lifetime chosen.
func (p *testOP) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := p.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return opClient{c, p.lifetime, p.audience}, nil
}

type opClient struct {
	op.Client
	lifetime time.Duration
	id       string // when set, the client's id as the provider sees it at the exchange
}

func (c opClient) GetID() string { return cmp.Or(c.id, c.Client.GetID()) }

func (opClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c opClient) IDTokenLifetime() time.Duration {
	if c.lifetime > 0 {
		return c.lifetime
	}
	return c.Client.IDTokenLifetime()
}

// SetUserinfoFromRequest adds the user's groups to the ID token.
func (p *testOP) SetUserinfoFromRequest(ctx context.Context, ui *zoidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := p.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	u := opUsers[req.GetSubject()]
	ui.AppendClaims("groups", u.groups)
	if !u.verified {
		ui.AppendClaims("email_verified", false) // zitadel omits a false one
	}
	return nil
}

// AuthRequestByCode gives the request the audience chosen, if any: the
// provider issues the ID token to that client (and no other).
func (p *testOP) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	a, err := p.Storage.AuthRequestByCode(ctx, code)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil || p.audience == "" {
		return a, err
	}
	return otherAudience{a, p.audience}, nil
}

type otherAudience struct {
	op.AuthRequest
	aud string
}

func (a otherAudience) GetAudience() []string { return []string{a.aud} }
func (a otherAudience) GetClientID() string   { return a.aud }

// newOIDCFixture starts a provider and applink signing in through it.
func newOIDCFixture(t *testing.T, cfg OIDC) (*fixture, *testOP) {
	t.Helper()
	p := newTestOP(t)
	cfg.Issuer, cfg.ClientID, cfg.ClientSecret = p.srv.URL, "applink", opClientSecret
	f := newFixture(t, options{oidc: &cfg})
	p.clients["applink"] = storage.WebClient("applink", opClientSecret, f.app.URL+oidcCallbackPath)
	f.addSecret(opClientSecret)
	return f, p
}

// signIn clicks "Sign in with" in b, signs in at the provider as user
// and follows the browser back to applink: it returns the last answer and
// the callback URL the provider sent the browser to.
func (p *testOP) signIn(b *browser, user string) (resp *http.Response, body, callback string) {
	b.f.t.Helper()
	p.mu.Lock()
	p.user = user
	p.mu.Unlock()
	resp, body = b.post("/oidc/login", nil)
	return p.follow(b, resp, body)
}

// follow follows the redirects from resp in b (see signIn).
func (p *testOP) follow(b *browser, resp *http.Response, body string) (_ *http.Response, _, callback string) {
	b.f.t.Helper()
	for range 10 {
		loc, err := resp.Location()
		if err != nil {
			return resp, body, callback
		}
		if strings.HasPrefix(loc.String(), b.f.app.URL+oidcCallbackPath) {
			callback = loc.String()
		}
		r, bd := b.f.get(loc.String(), b.client)
		resp, body = r, string(bd)
	}
	b.f.t.Fatal("too many redirects")
	return
}

// auditBy returns the "by" of the last audit event named event in the log.
func auditBy(t *testing.T, f *fixture, event string) (by string, found bool) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(f.logs.String()))
	for sc.Scan() {
		var e struct {
			Event string  `json:"event"`
			By    *string `json:"by"`
		}
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Event == event {
			by, found = "", e.By != nil
			if found {
				by = *e.By
			}
		}
	}
	return by, found
}

func TestOIDCSignIn(t *testing.T) {
	f, p := newOIDCFixture(t, OIDC{Name: "Corp SSO", AllowedEmails: "nobody@corp.example", AllowedGroups: "applink-admins"})
	b := f.newBrowser()
	_, login := b.get("/login")
	wantContains(t, login, `action="/oidc/login"`, "Sign in with Corp SSO", `name="token"`)

	resp, body, callback := p.signIn(b, "alice")
	wantStatus(t, resp, []byte(body), http.StatusOK)
	wantContains(t, body, "Signed in as <strong>Alice@corp.example</strong>")
	if strings.Contains(callback, "verifier") || !strings.Contains(callback, "state=") {
		t.Errorf("callback URL %q: want the state and no verifier", callback)
	}
	if by, _ := auditBy(t, f, "signed_in"); by != "Alice@corp.example" {
		t.Errorf("signed_in by %q, want Alice@corp.example", by)
	}

	// Every audit event names who: the admin token through the API, the
	// person signed in on the pages.
	f.createLink("crm")
	if by, _ := auditBy(t, f, "link_created"); by != "admin token" {
		t.Errorf("link_created by %q, want admin token", by)
	}
	resp, _ = b.post("/links/crm/delete", url.Values{"confirm": {"crm"}})
	if by, found := auditBy(t, f, "link_deleted"); by != "Alice@corp.example" {
		t.Errorf("link_deleted by %q (found %v, status %d), want Alice@corp.example", by, found, resp.StatusCode)
	}

	// Sign-out ends the session for good: its cookie opens nothing more.
	cookie := b.cookie()
	if resp, _ := b.post("/logout", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: status %d", resp.StatusCode)
	}
	if resp, _ := f.withCookie("GET", "/", cookie); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("the signed-out cookie: status %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if by, _ := auditBy(t, f, "signed_out"); by != "Alice@corp.example" {
		t.Errorf("signed_out by %q", by)
	}
}

func TestOIDCRefused(t *testing.T) {
	for _, tc := range []struct {
		name       string
		user       string
		audience   string
		lifetime   time.Duration
		advance    time.Duration
		wantStatus int
		wantBody   string
		wantLog    string
	}{
		{name: "not allowed", user: "bob", wantStatus: http.StatusForbidden, wantBody: "bob@corp.example"},
		{name: "a Unicode look-alike of an allowed address", user: "long-s", wantStatus: http.StatusForbidden, wantBody: "ſam@corp.example"},
		{name: "address not verified", user: "carol", wantStatus: http.StatusForbidden, wantBody: "not verified"},
		{name: "wrong audience", user: "alice", audience: "another-app", wantStatus: http.StatusUnauthorized, wantLog: "audience"},
		{name: "expired ID token", user: "alice", lifetime: time.Second, advance: time.Minute, wantStatus: http.StatusUnauthorized, wantLog: "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, p := newOIDCFixture(t, OIDC{AllowedEmails: "alice@corp.example,carol@corp.example,sam@corp.example", AllowedGroups: "applink-admins"})
			p.mu.Lock()
			p.audience, p.lifetime, p.user = tc.audience, tc.lifetime, tc.user
			p.mu.Unlock()
			if tc.advance > 0 {
				b := f.newBrowser()
				resp, _ := b.post("/oidc/login", nil)
				loc, _ := resp.Location()
				for !strings.HasPrefix(loc.String(), f.app.URL) { // through the provider, stopping before applink
					resp, _ = f.get(loc.String(), b.client)
					loc, _ = resp.Location()
				}
				f.clock.Advance(tc.advance)
				resp, body := f.get(loc.String(), b.client)
				check(t, f, b, resp, string(body), tc.wantStatus, tc.wantBody, tc.wantLog)
				return
			}
			b := f.newBrowser()
			resp, body, _ := p.signIn(b, tc.user)
			check(t, f, b, resp, body, tc.wantStatus, tc.wantBody, tc.wantLog)
		})
	}
}

// check wants a refused sign-in: the status, the body's and log's words,
// and no session.
func check(t *testing.T, f *fixture, b *browser, resp *http.Response, body string, status int, wantBody, wantLog string) {
	t.Helper()
	wantStatus(t, resp, []byte(body), status)
	wantContains(t, body, wantBody, `action="/oidc/login"`)
	wantContains(t, f.logs.String(), wantLog)
	if resp, _ := b.get("/"); resp.Request.URL.Path != "/login" {
		t.Errorf("after a refused sign-in / opened %s, want the sign-in page", resp.Request.URL.Path)
	}
}

func TestOIDCReplayedState(t *testing.T) {
	f, p := newOIDCFixture(t, OIDC{AllowedEmails: "alice@CORP.example"}) // letters compared without case
	b := f.newBrowser()
	p.mu.Lock()
	p.user = "alice"
	p.mu.Unlock()
	resp, body := b.post("/oidc/login", nil)
	preLogin := b.cookie() // the session holding the state, as a thief would copy it
	resp, _, callback := p.follow(b, resp, body)
	if resp.StatusCode != http.StatusOK || callback == "" {
		t.Fatalf("sign-in: status %d, callback %q", resp.StatusCode, callback)
	}
	exchanges := p.exchanges.Load()
	for name, cookie := range map[string]string{"same browser": b.cookie(), "the state's session": preLogin, "no session": ""} {
		req, _ := http.NewRequest("GET", callback, nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
		}
		resp, body := f.do(req, nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: replayed callback: status %d, want 401: %s", name, resp.StatusCode, body)
		}
	}
	if n := p.exchanges.Load() - exchanges; n != 0 {
		t.Errorf("replayed states reached the provider's token endpoint %d times, want 0", n)
	}
	other := f.newBrowser()
	f.get(callback, other.client)
	if resp, _ := other.get("/"); resp.Request.URL.Path != "/login" {
		t.Errorf("a replayed callback signed another browser in (opened %s)", resp.Request.URL.Path)
	}
}

func TestOIDCProviderDown(t *testing.T) {
	f, p := newOIDCFixture(t, OIDC{AllowedGroups: "applink-admins"})
	p.down.Store(true)
	b := f.newBrowser()
	resp, body := b.post("/oidc/login", nil)
	wantStatus(t, resp, []byte(body), http.StatusServiceUnavailable)
	wantContains(t, body, "cannot be reached", `name="token"`)

	b.signIn() // the admin token still signs in
	if resp, body := b.get("/"); resp.Request.URL.Path != "/" {
		t.Fatalf("after the token's sign-in: %s: %s", resp.Request.URL.Path, body)
	}
	if by, _ := auditBy(t, f, "signed_in"); by != "admin token" {
		t.Errorf("signed_in by %q, want admin token", by)
	}

	p.down.Store(false) // discovery is retried at the next sign-in
	if resp, body, _ := p.signIn(f.newBrowser(), "alice"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Alice@corp.example") {
		t.Errorf("once the provider is back: status %d: %s", resp.StatusCode, body)
	}
}

func TestOIDCOnly(t *testing.T) {
	f, _ := newOIDCFixture(t, OIDC{AllowedGroups: "applink-admins", Only: true})
	b := f.newBrowser()
	if _, body := b.get("/login"); strings.Contains(body, `name="token"`) {
		t.Error("the sign-in page offers the admin token with Only")
	}
	resp, body := b.post("/login", url.Values{"token": {adminToken}})
	wantStatus(t, resp, []byte(body), http.StatusForbidden)
	if resp, _ := b.get("/"); resp.Request.URL.Path != "/login" {
		t.Errorf("the admin token signed in to the pages with Only")
	}
	if resp, body := f.api("GET", "/api/links", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("the API with the admin token: status %d: %s", resp.StatusCode, body)
	}
}

func TestOIDCConfig(t *testing.T) {
	for name, c := range map[string]OIDC{
		"no list":     {Issuer: "https://sso.example.com/realms/acme", ClientID: "applink", AllowedEmails: " , "},
		"bad issuer":  {Issuer: "sso.example.com", ClientID: "applink", AllowedGroups: "g"},
		"no clientid": {Issuer: "https://sso.example.com", AllowedGroups: "g"},
	} {
		if _, err := newOIDC(&c); fault.CodeOf(err) != CodeInvalidInput {
			t.Errorf("%s: error %v, want %s", name, err, CodeInvalidInput)
		}
	}
	o, err := newOIDC(&OIDC{Issuer: "https://sso.example.com:8443/realms/acme", ClientID: "applink", AllowedEmails: "a@x, b@x,c@x"})
	if err != nil || o.Name != "sso.example.com" || o.GroupsClaim != "groups" || len(o.emails) != 3 {
		t.Errorf("newOIDC: %+v, %v; want name sso.example.com, claim groups, 3 addresses", o, err)
	}
}
