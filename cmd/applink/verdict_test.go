package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
	"github.com/applink/applink/server"
	"github.com/applink/applink/server/store"
)

// TestOneVerdictEverywhere runs the same approval through the CLI and the
// web service for each verdict, and checks that the exit code, the token
// file, the JSON API, the callback page, the dashboard and the link page
// all say the same thing: the one verdict, its notice's code and
// severity, and the one badge.
func TestOneVerdictEverywhere(t *testing.T) {
	for _, tt := range []struct {
		verdict        oauth.Verdict
		flavor         jiratest.Flavor
		serviceAccount string
		approver       string
		hideEmail      bool
		failMyself     bool
		exit           int
		notice         oauth.Code // "" for none
		severity       oauth.Severity
		match          *bool // the API's service_account_match
		badge, badgeOf string
	}{
		{oauth.VerdictMatch, jiratest.Server, svcUser, svcUser, false, false, exitOK, "", "", ptr(true), "Authorized", "success"},
		{oauth.VerdictMismatch, jiratest.Server, svcUser, adminUser, false, false, exitMismatch, oauth.CodeWrongApprover, oauth.SeverityDanger, ptr(false), "Wrong account", "danger"},
		{oauth.VerdictUnverifiable, jiratest.Cloud, "svc@example.com", svcUser, true, false, exitMismatch, oauth.CodeApproverUnverifiable, oauth.SeverityWarning, nil, "Approver not confirmed", "warning"},
		{oauth.VerdictUnknown, jiratest.Server, svcUser, svcUser, false, true, exitFailure, oauth.CodeApproverUnknown, oauth.SeverityWarning, nil, "Approver not confirmed", "warning"},
	} {
		t.Run(string(tt.verdict), func(t *testing.T) {
			dir, k := keyDir(t)
			j := newJira(t, tt.flavor, &k.PublicKey)
			j.AddUser(jiratest.User{Name: svcUser, Key: "JIRAUSER10100", AccountID: "acc-svc", Email: "svc@example.com",
				DisplayName: "Service Account", Password: svcPass, HideEmail: tt.hideEmail})
			var failMyself atomic.Bool
			failMyself.Store(tt.failMyself)
			jiraSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failMyself.Load() && r.URL.Path == oauth.MyselfPath {
					http.Error(w, "boom", http.StatusInternalServerError)
					return
				}
				j.ServeHTTP(w, r)
			}))
			t.Cleanup(jiraSrv.Close)
			pass := map[string]string{svcUser: svcPass, adminUser: adminPass}[tt.approver]

			// The CLI: exit code, token file.
			out := filepath.Join(t.TempDir(), "token.json")
			authURL, done := startAuthorize(t, "", "--jira-url", jiraSrv.URL, "--key-dir", dir,
				"--consumer-key", "my-integration", "--service-account", tt.serviceAccount, "--out", out)
			approveAndCallback(t, authURL, tt.approver, pass, true)
			res := <-done
			if res.code != tt.exit {
				t.Errorf("CLI exit %d, want %d; stderr:\n%s", res.code, tt.exit, res.stderr)
			}
			tf := readTokenFile(t, out)
			if tf.IdentityCheck != tt.verdict || tf.ServiceAccountMatch != (tt.verdict == oauth.VerdictMatch) ||
				!sameNotice(tf.Notice, tt.notice, tt.severity) {
				t.Errorf("token file: identity_check %q, match %v, notice %+v", tf.IdentityCheck, tf.ServiceAccountMatch, tf.Notice)
			}
			if tt.notice != "" && !strings.Contains(res.stderr, "["+string(tt.notice)+"]") {
				t.Errorf("CLI output lacks [%s]:\n%s", tt.notice, res.stderr)
			}

			// The web service: API, callback page, dashboard, link page.
			app := newApp(t)
			v := app.createLink(t, jiraSrv.URL, tt.serviceAccount)
			if err := j.AddConsumer(v.AppLink.ConsumerKey, v.AppLink.ConsumerName, []byte(v.AppLink.PublicKey), ""); err != nil {
				t.Fatal(err)
			}
			var h server.HandshakeView
			app.api(t, "POST", "/api/links/agree/handshakes", http.StatusCreated, &h)
			cb, _, err := (&jiratest.Browser{}).Approve(t.Context(), h.AuthorizeURL, tt.approver, pass, true)
			if err != nil {
				t.Fatal(err)
			}
			callback := app.page(t, cb.String())
			var got server.LinkView
			app.api(t, "GET", "/api/links/agree", http.StatusOK, &got)
			if got.Verdict == nil || *got.Verdict != tt.verdict || !sameBool(got.ServiceAccountMatch, tt.match) {
				t.Errorf("API: verdict %v, service_account_match %v", got.Verdict, got.ServiceAccountMatch)
			}
			var first *oauth.Notice
			if len(got.Notices) > 0 {
				first = &got.Notices[0]
			}
			if !sameNotice(first, tt.notice, tt.severity) || len(got.Notices) > 1 {
				t.Errorf("API notices %+v, want %s/%s", got.Notices, tt.notice, tt.severity)
			}
			if b := got.Badge(); b.Label != tt.badge || b.Severity != tt.badgeOf {
				t.Errorf("badge %+v, want %s/%s", b, tt.badge, tt.badgeOf)
			}
			wantBadge := `class="badge ` + tt.badgeOf + `">` + tt.badge + `<`
			if dash := app.page(t, app.url+"/"); !strings.Contains(dash, wantBadge) {
				t.Errorf("dashboard lacks %s", wantBadge)
			}
			wantBadge = `class="badge big ` + tt.badgeOf + `" id="badge" data-state="authorized">` + tt.badge + `<`
			linkPage := app.page(t, app.url+"/links/agree")
			if !strings.Contains(linkPage, wantBadge) {
				t.Errorf("link page lacks %s", wantBadge)
			}
			for name, page := range map[string]string{"callback": callback, "link page": linkPage} {
				if tt.notice != "" && !strings.Contains(page, `data-notice="`+string(tt.notice)+`"`) {
					t.Errorf("%s lacks the %s notice", name, tt.notice)
				}
				if tt.notice == "" && strings.Contains(page, "data-notice") {
					t.Errorf("%s shows a notice for a match", name)
				}
			}
			if (tt.verdict == oauth.VerdictMatch) != strings.Contains(callback, `data-verdict="match"`) {
				t.Errorf("callback page's success message does not follow the verdict %s", tt.verdict)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func sameBool(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func sameNotice(n *oauth.Notice, code oauth.Code, severity oauth.Severity) bool {
	if n == nil {
		return code == ""
	}
	return n.Code == code && n.Severity == severity && n.Message != "" && n.Hint != ""
}

// app is the web service on loopback, with a signed-in browser.
type app struct {
	url     string
	browser *http.Client
}

const agreeAdminToken = "agree-admin-token-0123456789abcdef-0123"

func newApp(t *testing.T) *app {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var h atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	s, err := server.New(server.Config{Store: st, PublicURL: srv.URL, AdminToken: agreeAdminToken, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	handler := s.Handler()
	h.Store(&handler)
	jar, _ := cookiejar.New(nil)
	a := &app{url: srv.URL, browser: &http.Client{Jar: jar}}
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(url.Values{"token": {agreeAdminToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := a.browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return a
}

func (a *app) createLink(t *testing.T, jiraURL, serviceAccount string) *server.LinkView {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": "agree", "jira_url": jiraURL, "service_account": serviceAccount})
	var v server.LinkView
	a.do(t, "POST", "/api/links", strings.NewReader(string(body)), http.StatusCreated, &v)
	return &v
}

func (a *app) api(t *testing.T, method, path string, status int, v any) {
	t.Helper()
	a.do(t, method, path, nil, status, v)
}

func (a *app) do(t *testing.T, method, path string, body io.Reader, status int, v any) {
	t.Helper()
	req, _ := http.NewRequest(method, a.url+path, body)
	req.Header.Set("Authorization", "Bearer "+agreeAdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, status, data)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// page opens a page in the signed-in browser and returns its HTML.
func (a *app) page(t *testing.T, rawURL string) string {
	t.Helper()
	resp, err := a.browser.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}
