package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/rs/zerolog"

	"github.com/applink/applink/server/store"
)

// wantSignedOut fails unless a copied cookie value opens nothing: the
// dashboard sends it to the sign-in page, a state change (exporting
// credentials) gets 401.
func wantSignedOut(t *testing.T, f *fixture, cookie, why string) {
	t.Helper()
	if resp, _ := f.withCookie("GET", "/", cookie); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("%s: GET / = %d to %q, want the sign-in page", why, resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := f.withCookie("POST", "/links/prod/credentials", cookie); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("%s: export = %d, want 401: %s", why, resp.StatusCode, body)
	}
}

// wantSignedIn fails unless a cookie value opens the dashboard.
func wantSignedIn(t *testing.T, f *fixture, cookie, why string) {
	t.Helper()
	if resp, body := f.withCookie("GET", "/", cookie); resp.StatusCode != http.StatusOK {
		t.Errorf("%s: GET / = %d, want 200: %.200s", why, resp.StatusCode, body)
	}
}

// TestSignOutEndsCopiedCookie: a session cookie copied before sign-out is
// refused after it, also after a restart; a restart alone signs no one
// out.
func TestSignOutEndsCopiedCookie(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	b := f.newBrowser()
	b.signIn()
	copied := b.cookie()
	wantSignedIn(t, f, copied, "before sign-out")
	f.restart()
	wantSignedIn(t, f, copied, "after a restart")

	resp, _ := b.post("/logout", nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("sign-out: %d, cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	wantSignedOut(t, f, copied, "after sign-out")
	f.restart()
	wantSignedOut(t, f, copied, "after sign-out and a restart")
	wantContains(t, f.logs.String(), `"event":"signed_in"`, `"event":"signed_out"`)
}

// TestSignOutEverywhere ends every browser's session, and is a state
// change like any other: it needs a session and same-origin.
func TestSignOutEverywhere(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	mine, other := f.newBrowser(), f.newBrowser()
	mine.signIn()
	other.signIn()
	otherCookie := other.cookie()

	// From another site: refused, nothing ends.
	req, _ := http.NewRequest("POST", f.app.URL+"/logout/everywhere", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: mine.cookie()})
	if resp, _ := f.do(req, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign out everywhere: %d, want 403", resp.StatusCode)
	}
	// Without a session: 401.
	if resp, _ := f.newBrowser().post("/logout/everywhere", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed-out sign out everywhere: %d, want 401", resp.StatusCode)
	}
	wantSignedIn(t, f, otherCookie, "before")

	_, page := mine.get("/")
	wantContains(t, page, `action="/logout/everywhere"`, "Sign out everywhere")
	resp, _ := mine.post("/logout/everywhere", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("sign out everywhere: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	wantSignedOut(t, f, otherCookie, "the other browser")
	if resp, _ := mine.get("/"); resp.Request.URL.Path != "/login" {
		t.Errorf("this browser: at %s, want signed out", resp.Request.URL)
	}
	wantContains(t, f.logs.String(), `"event":"signed_out_everywhere","sessions":2`)
}

// TestTokenRotationEndsSessions: a session made with the old admin token
// ends at the first start with another, for good (going back to the old
// token does not bring it back).
func TestTokenRotationEndsSessions(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	b := f.newBrowser()
	b.signIn()
	old := b.cookie()

	f.opts.adminToken = "rotated-admin-token-0123456789abcdef"
	f.restart()
	wantSignedOut(t, f, old, "after the rotation")
	if resp, _ := b.post("/login", url.Values{"token": {f.opts.adminToken}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-in with the new token: %d", resp.StatusCode)
	}
	wantSignedIn(t, f, b.cookie(), "new token")

	f.opts.adminToken = ""
	f.restart()
	wantSignedOut(t, f, old, "back to the old token")
	wantContains(t, f.logs.String(), `"event":"sessions_pruned","sessions":1`)
}

// TestSessionLifetime: a session lasts Config.SessionLifetime (injected
// clock), its cookie says so, and expired sessions are pruned.
func TestSessionLifetime(t *testing.T) {
	f := newFixture(t, options{sessionLifetime: 30 * time.Minute})
	f.createLink("prod")
	b := f.newBrowser()
	resp, _ := b.post("/login", url.Values{"token": {adminToken}})
	if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "Max-Age=1800") {
		t.Errorf("cookie %q, want Max-Age=1800", c)
	}
	cookie := b.cookie()
	f.clock.Advance(29 * time.Minute)
	wantSignedIn(t, f, cookie, "after 29 minutes")
	f.clock.Advance(time.Minute)
	wantSignedOut(t, f, cookie, "after 30 minutes")

	// Pruned when another session starts.
	var id string
	if err := f.srv.sessions.codec.Decode(sessionCookie, cookie, &id); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.store.Session(id); !ok {
		t.Fatal("the expired session is gone before any pruning")
	}
	f.newBrowser().signIn()
	if _, ok := f.store.Session(id); ok {
		t.Error("the expired session was not pruned")
	}
}

func TestCheckSessionLifetime(t *testing.T) {
	for d, ok := range map[time.Duration]bool{-time.Hour: false, 0: false, 59 * time.Second: false, time.Minute: true, DefaultSessionLifetime: true} {
		if err := CheckSessionLifetime(d); (err == nil) != ok {
			t.Errorf("CheckSessionLifetime(%v) = %v", d, err)
		}
	}
}

// BenchmarkSignedIn: the cost of checking a request's session (cookie
// decoding and the server's lookup), paid by every admin page.
func BenchmarkSignedIn(b *testing.B) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s, err := New(Config{Store: st, PublicURL: "http://127.0.0.1:8080", AdminToken: testToken2, Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	rec, login := httptest.NewRecorder(), httptest.NewRequest("POST", "/login", nil)
	sess, _ := s.sessions.Get(login, sessionCookie)
	if err := sess.Save(login, rec); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", rec.Header().Get("Set-Cookie"))
	for b.Loop() {
		if s.who(req.WithContext(context.Background())) == "" { // a new request: no session read yet
			b.Fatal("not signed in")
		}
	}
}

// sessionOf returns the session the cookie value names, read as a new
// request would read it.
func sessionOf(t *testing.T, f *fixture, cookie string) *sessions.Session {
	t.Helper()
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	sess, err := f.srv.sessions.Get(req, sessionCookie)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

// TestSessionValuesKept: a session's values (such as who signed in) are
// kept on the server with its record, the cookie holding only its id: later requests
// and a restart read them, sign-out ends them, and a session saved after
// its record ended gets a new id rather than the old one back.
func TestSessionValuesKept(t *testing.T) {
	f := newFixture(t, options{})
	b := f.newBrowser()
	b.signIn()
	cookie := b.cookie()
	sess := sessionOf(t, f, cookie)
	id := sess.ID
	sess.Values["who"] = "alice@example.com"
	rec := httptest.NewRecorder()
	if err := sess.Save(httptest.NewRequest("GET", "/", nil), rec); err != nil {
		t.Fatal(err)
	}
	var inCookie string // the cookie carries the id only
	if err := f.srv.sessions.codec.Decode(sessionCookie, rec.Result().Cookies()[0].Value, &inCookie); err != nil || inCookie != id || sess.ID != id {
		t.Errorf("saving a live session: id changed %v, cookie's id matches %v (%v)", sess.ID != id, inCookie == id, err)
	}
	f.restart()
	if got := sessionOf(t, f, cookie); got.IsNew || got.ID != id || got.Values["who"] != "alice@example.com" {
		t.Errorf("after a restart: new %v, id matches %v, who %q", got.IsNew, got.ID == id, got.Values["who"])
	}

	// A value that is not a string is refused, and nothing changes.
	stale := sessionOf(t, f, cookie)
	stale.Values["n"] = 1
	if err := stale.Save(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder()); err == nil {
		t.Error("a value that is not a string was saved")
	}
	if _, ok := sessionOf(t, f, cookie).Values["n"]; ok {
		t.Error("a refused value was kept")
	}

	b.post("/logout/everywhere", nil)
	if got := sessionOf(t, f, cookie); !got.IsNew || len(got.Values) != 0 {
		t.Errorf("after sign-out: new %v, values %v", got.IsNew, got.Values)
	}
	delete(stale.Values, "n")
	if err := stale.Save(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder()); err != nil || stale.ID == id {
		t.Errorf("a session saved after its end: %v, same id %v", err, stale.ID == id)
	}
	wantSignedOut(t, f, cookie, "after a session ended was saved again")
}
