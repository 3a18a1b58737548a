package server

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serveFrom sends a request to the app as if from the peer addr (and
// with X-Forwarded-For xff, when not empty), in-process.
func (f *fixture) serveFrom(req *http.Request, addr, xff string) *httptest.ResponseRecorder {
	req.RemoteAddr = addr
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// apiFrom sends GET /api/links with a Bearer token from addr.
func (f *fixture) apiFrom(token, addr, xff string) int {
	req := httptest.NewRequest("GET", "/api/links", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return f.serveFrom(req, addr, xff).Code
}

// signInFrom posts the sign-in form from addr.
func (f *fixture) signInFrom(token, addr string) int {
	req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.serveFrom(req, addr, "").Code
}

func (f *fixture) askedDelays() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.delays)
}

// TestCorrectTokenAfter10000Failures: 10,000 wrong tokens from one
// address are slowed (growing, capped delays past a free budget), never
// locked: the correct token from the same address is then accepted at
// once, by the API and the sign-in form. The alert is logged once, and no
// token tried reaches the log.
func TestCorrectTokenAfter10000Failures(t *testing.T) {
	f := newFixture(t, options{})
	const addr, guess = "198.51.100.7:40000", "wrong-guess-0123456789abcdef0123456789"
	for i := range 10000 {
		if code := f.apiFrom(guess+strconv.Itoa(i%10), addr, ""); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i, code)
		}
	}
	delays := f.askedDelays()
	if len(delays) != 10000-signInFree {
		t.Fatalf("%d delays, want one per failure past the free %d", len(delays), signInFree)
	}
	if want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}; !slices.Equal(delays[:4], want) {
		t.Errorf("first delays %v, want %v", delays[:4], want)
	}
	if slices.Max(delays) != signInMaxDelay || delays[len(delays)-1] != signInMaxDelay {
		t.Errorf("delays reach %v, end at %v; want capped at %v", slices.Max(delays), delays[len(delays)-1], signInMaxDelay)
	}

	if code := f.apiFrom(adminToken, addr, ""); code != http.StatusOK {
		t.Errorf("API with the correct token after 10,000 failures: %d", code)
	}
	if code := f.signInFrom(adminToken, addr); code != http.StatusSeeOther {
		t.Errorf("sign-in with the correct token after 10,000 failures: %d", code)
	}
	if got := f.askedDelays(); len(got) != len(delays) {
		t.Errorf("the correct token waited %v", got[len(delays):])
	}
	logs := f.logs.String()
	if n := strings.Count(logs, `"event":"sign_in_failures_alert"`); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
	wantContains(t, logs, `"failures":100,"window":60000`, `"client":"198.51.100.7"`)
	if strings.Contains(logs, "wrong-guess") {
		t.Error("a token tried reaches the log")
	}
}

// TestForwardedForFromUntrustedPeer: X-Forwarded-For counts only from a
// trusted proxy. Spoofed by any other peer, the peer's address counts (so
// rotating the header escapes nothing); through the proxy, each client
// counts on its own.
func TestForwardedForFromUntrustedPeer(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, options{trustedProxies: proxies})
	for i := range 10 {
		f.apiFrom("wrong", "203.0.113.9:5000", "192.0.2."+strconv.Itoa(i))
	}
	if got := len(f.askedDelays()); got != 10-signInFree {
		t.Errorf("spoofed header from an untrusted peer: %d delays, want %d (the peer counts)", got, 10-signInFree)
	}
	wantContains(t, f.logs.String(), `"client":"203.0.113.9"`)

	for i := range 10 {
		f.apiFrom("wrong", "10.0.0.2:5000", "192.0.2."+strconv.Itoa(i)+", 10.0.0.1")
	}
	if got := len(f.askedDelays()); got != 10-signInFree {
		t.Errorf("clients behind the trusted proxy were slowed together: %d delays", got)
	}
	wantContains(t, f.logs.String(), `"client":"192.0.2.9"`)
	if code := f.apiFrom(adminToken, "10.0.0.2:5000", "203.0.113.9"); code != http.StatusOK {
		t.Errorf("correct token through the proxy: %d", code)
	}
}

// TestSignInAlert: failures from many addresses (each within its free
// budget, so never slowed) raise the alert once per window.
func TestSignInAlert(t *testing.T) {
	f := newFixture(t, options{})
	k := 0 // a new address for each failure
	fail := func(n int) {
		for range n {
			k++
			f.apiFrom("wrong", netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(k >> 8), byte(k)}), 1).String(), "")
		}
	}
	alerts := func() int { return strings.Count(f.logs.String(), `"event":"sign_in_failures_alert"`) }
	fail(signInAlertAt - 1)
	if alerts() != 0 {
		t.Fatal("alert below the threshold")
	}
	fail(signInAlertAt * 3)
	if alerts() != 1 {
		t.Errorf("%d alerts within one window, want 1", alerts())
	}
	wantContains(t, f.logs.String(), `"failures":100,"window":60000,"addresses":100`)
	f.clock.Advance(signInAlertWindow)
	fail(signInAlertAt)
	if alerts() != 2 {
		t.Errorf("%d alerts after a second window, want 2", alerts())
	}
	if len(f.askedDelays()) != 0 {
		t.Error("failures within each address's budget were slowed")
	}
}

func TestFailureDelay(t *testing.T) {
	for n, want := range map[int]time.Duration{
		1: 0, signInFree: 0, signInFree + 1: 250 * time.Millisecond, signInFree + 2: 500 * time.Millisecond,
		signInFree + 6: 8 * time.Second, signInFree + 7: signInMaxDelay, signInFree + 64: signInMaxDelay, 1 << 40: signInMaxDelay,
	} {
		if got := failureDelay(n); got != want {
			t.Errorf("failureDelay(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestLimiterBounded: the limiter's memory stays bounded, and a window
// ends.
func TestLimiterBounded(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l := newLimiter(c.Now)
	for i := range maxLimiterKeys + 10 {
		l.fail(strconv.Itoa(i))
	}
	if len(l.fails) > maxLimiterKeys {
		t.Errorf("%d keys kept", len(l.fails))
	}
	for range signInFree + 1 {
		l.fail("a")
	}
	c.Advance(signInWindow)
	if f := l.fail("a"); f.n != 1 || f.delay != 0 {
		t.Errorf("after the window: %+v", f)
	}
}

func TestForwardedClient(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 2001:db8:ffff::/48,192.168.1.1")
	if err != nil {
		t.Fatal(err)
	}
	peer := netip.MustParseAddr("10.0.0.2")
	for _, tc := range []struct {
		name    string
		headers []string
		want    string
	}{
		{"no header", nil, "10.0.0.2"},
		{"one client", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed left of the real client", []string{"1.2.3.4, 198.51.100.1, 10.0.0.9"}, "198.51.100.1"},
		{"two header lines", []string{"1.2.3.4", "198.51.100.1, 192.168.1.1"}, "198.51.100.1"},
		{"with ports", []string{"[2001:db8::5]:443, 10.1.1.1:80"}, "2001:db8::5"},
		{"v4 in v6", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"garbage hop", []string{"198.51.100.1, unknown, 10.0.0.9"}, "10.0.0.9"},
		{"garbage only", []string{"x"}, "10.0.0.2"},
		{"all trusted", []string{"10.9.9.9, 2001:db8:ffff::1"}, "10.9.9.9"},
	} {
		if got := forwardedClient(tc.headers, proxies, peer); got.String() != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
	// Only from a trusted peer.
	s := &Server{trustedProxies: proxies}
	for _, tc := range []struct{ remote, xff, want string }{
		{"203.0.113.9:1", "198.51.100.1", "203.0.113.9"},
		{"10.0.0.2:1", "198.51.100.1", "198.51.100.1"},
		{"[::ffff:10.0.0.2]:1", "198.51.100.1", "198.51.100.1"},
		{"nonsense", "198.51.100.1", "invalid IP"},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.remote
		req.Header.Set("X-Forwarded-For", tc.xff)
		if got := s.clientAddr(req).String(); got != tc.want {
			t.Errorf("from %s: %s, want %s", tc.remote, got, tc.want)
		}
	}
	// IPv6 clients count by their /64.
	if a, b := limitKey(netip.MustParseAddr("2001:db8:1:2::1")), limitKey(netip.MustParseAddr("2001:db8:1:2:ffff::9")); a != b || a != "2001:db8:1:2::/64" {
		t.Errorf("limit keys %s, %s", a, b)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.0.0.0/8 ,192.0.2.7,fd00::1/8")
	if err != nil || len(got) != 3 || got[0].String() != "10.0.0.0/8" || got[1].String() != "192.0.2.7/32" || got[2].String() != "fd00::/8" {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "10.0.0.0/33", "proxy.example.com", "10.0.0.0/8,", "10.0.0.0/8;10.0.0.1"} {
		if _, err := ParseTrustedProxies(bad); asError(err).Code != CodeInvalidInput {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// BenchmarkSignInFailure: the cost of one wrong token in the limiter
// (the delay itself aside), from rotating addresses.
func BenchmarkSignInFailure(b *testing.B) {
	l := newLimiter(time.Now)
	for i := 0; b.Loop(); i++ {
		l.fail(strconv.Itoa(i % 5000))
	}
}
