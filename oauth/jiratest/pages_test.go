package jiratest_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/applink/applink/oauth/jiratest"
)

// manual is a browser driven step by step, to check what Browser does not.
type manual struct {
	t *testing.T
	c *http.Client
}

func newManual(t *testing.T) *manual {
	jar, _ := cookiejar.New(nil)
	return &manual{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (m *manual) get(u string) (*http.Response, string) {
	m.t.Helper()
	resp, err := m.c.Get(u)
	if err != nil {
		m.t.Fatal(err)
	}
	return resp, string(readAll(m.t, resp))
}

func (m *manual) post(u string, form url.Values, header map[string]string) (*http.Response, string) {
	m.t.Helper()
	req, _ := http.NewRequestWithContext(m.t.Context(), "POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := m.c.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	return resp, string(readAll(m.t, resp))
}

var atlToken = regexp.MustCompile(`name="atl_token" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := atlToken.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no atl_token in %s", page)
	}
	return m[1]
}

// TestLoginAndApprovePages walks the pages by hand: the redirect to the
// login page, the cookie, CSRF refusals, the session rotated on login,
// the Allow page's content and headers, and the open-redirect guard.
func TestLoginAndApprovePages(t *testing.T) {
	e := newEnv(t, jiratest.Options{ContextPath: "/jira"})
	rt, _, err := e.cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	au, _ := e.cfg.AuthorizationURL(rt)
	m := newManual(t)

	resp, _ := m.get(au.String())
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Path != "/jira"+jiratest.PathLogin ||
		loc.Query().Get("os_destination") != jiratest.PathAuthorize+"?oauth_token="+rt {
		t.Fatalf("authorize without a session: %d %v", resp.StatusCode, loc)
	}
	resp, page := m.get(loc.String())
	if resp.StatusCode != 200 || !strings.Contains(page, `id="login-form"`) {
		t.Fatalf("login page: %d", resp.StatusCode)
	}
	var anon *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "JSESSIONID" {
			anon = c
		}
	}
	if anon == nil || !anon.HttpOnly || anon.SameSite != http.SameSiteLaxMode || anon.Path != "/jira" {
		t.Fatalf("session cookie = %+v", anon)
	}
	csrf := csrfOf(t, page)
	loginURL := e.base + jiratest.PathLogin
	form := url.Values{"os_username": {svcUser}, "os_password": {svcPass}, "os_destination": {loc.Query().Get("os_destination")}}

	// Without the form token, or cross-site: refused.
	if resp, _ := m.post(loginURL, form, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without atl_token: %d", resp.StatusCode)
	}
	form.Set("atl_token", csrf)
	if resp, _ := m.post(loginURL, form, map[string]string{"Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site login: %d", resp.StatusCode)
	}
	// A wrong password: the form again, with Jira's header.
	bad := url.Values{"os_username": {svcUser}, "os_password": {"x"}, "atl_token": {csrf}}
	if resp, page := m.post(loginURL, bad, nil); resp.Header.Get("X-Seraph-LoginReason") != "AUTHENTICATED_FAILED" || !strings.Contains(page, "login-error") {
		t.Errorf("wrong password: %d %q", resp.StatusCode, resp.Header.Get("X-Seraph-LoginReason"))
	}

	resp, _ = m.post(loginURL, form, nil)
	loc, _ = resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/jira"+jiratest.PathAuthorize {
		t.Fatalf("login: %d %v", resp.StatusCode, loc)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "JSESSIONID" && c.Value == anon.Value {
			t.Error("the session id was not changed on login")
		}
	}

	resp, page = m.get(au.String())
	if resp.StatusCode != 200 || !strings.Contains(page, `id="approve-form"`) || !strings.Contains(page, "Jira Align") ||
		!strings.Contains(page, `data-username="svc-jira"`) || !strings.Contains(page, "Not you?") {
		t.Fatalf("Allow page: %d %s", resp.StatusCode, page)
	}
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
		if resp.Header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, resp.Header.Get(k), v)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}

	// Allow with another session's token: refused, and nothing approved.
	decide := url.Values{"oauth_token": {rt}, "approve": {"Allow"}, "atl_token": {csrf}}
	if resp, _ := m.post(e.base+jiratest.PathAuthorize, decide, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("Allow with a stale atl_token: %d", resp.StatusCode)
	}
	decide.Set("atl_token", csrfOf(t, page))
	resp, _ = m.post(e.base+jiratest.PathAuthorize, decide, nil)
	loc, _ = resp.Location()
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Host != "consumer.example" || loc.Query().Get("oauth_verifier") == "" {
		t.Fatalf("Allow: %d %v", resp.StatusCode, loc)
	}
	// A second click on the spent token.
	resp, page = m.post(e.base+jiratest.PathAuthorize, decide, nil)
	if resp.StatusCode != 400 || !strings.Contains(page, "already") {
		t.Errorf("second Allow: %d", resp.StatusCode)
	}

	// os_destination cannot leave the site.
	_, page = m.get(loginURL + "?os_destination=%2F%2Fevil.example%2F")
	form = url.Values{"os_username": {svcUser}, "os_password": {svcPass}, "atl_token": {csrfOf(t, page)}, "os_destination": {"//evil.example/"}}
	resp, _ = m.post(loginURL, form, nil)
	if loc := resp.Header.Get("Location"); loc != "/jira/" {
		t.Errorf("login with an outside destination redirects to %q", loc)
	}
}

// TestLogout: "Not you? Log out" ends the session; the authorize page asks
// for a login again.
func TestLogout(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	rt, _, err := e.cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	au, _ := e.cfg.AuthorizationURL(rt)
	m := newManual(t)
	resp, _ := m.get(au.String())
	loc, _ := resp.Location()
	_, page := m.get(loc.String())
	resp, _ = m.post(e.base+jiratest.PathLogin, url.Values{"os_username": {adminUser}, "os_password": {adminPass}, "atl_token": {csrfOf(t, page)}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	_, page = m.get(au.String())
	if !strings.Contains(page, "Alex Admin") {
		t.Fatal("not logged in as the admin")
	}
	resp, _ = m.post(e.base+jiratest.PathLogout, url.Values{"atl_token": {csrfOf(t, page)}, "os_destination": {jiratest.PathAuthorize + "?oauth_token=" + rt}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := m.get(au.String()); resp.StatusCode != http.StatusFound {
		t.Errorf("authorize after logout: %d, want the redirect to the login page", resp.StatusCode)
	}
}

// TestWebLoginEndsCaptcha: after MaxLoginFailures wrong Basic logins every
// Basic login of the user is refused with a CAPTCHA challenge until the
// user logs in through the web page, as Jira (and captcha_required's hint)
// says.
func TestWebLoginEndsCaptcha(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	basic := func(pass string) int {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", e.base+jiratest.PathMyself, nil)
		req.SetBasicAuth(svcUser, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		return resp.StatusCode
	}
	for range jiratest.MaxLoginFailures {
		if got := basic("wrong"); got != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d, want 401", got)
		}
	}
	if got := basic(svcPass); got != http.StatusForbidden {
		t.Fatalf("right password after %d failures: %d, want 403 (CAPTCHA)", jiratest.MaxLoginFailures, got)
	}
	m := newManual(t)
	_, page := m.get(e.base + jiratest.PathLogin)
	resp, _ := m.post(e.base+jiratest.PathLogin, url.Values{"os_username": {svcUser}, "os_password": {svcPass}, "atl_token": {csrfOf(t, page)}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("web login: %d", resp.StatusCode)
	}
	if got := basic(svcPass); got != http.StatusOK {
		t.Errorf("right password after the web login: %d, want 200", got)
	}
}
