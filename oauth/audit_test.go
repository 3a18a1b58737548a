package oauth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// auditJira is a simulated Jira whose service account holds every sync
// permission on ABC, all but MODIFY_REPORTER on DEF, and every one on
// GHI, whose Bug and Epic create screens lack Reporter.
func auditJira(t *testing.T, opts jiratest.Options) (*jiratest.Jira, string) {
	t.Helper()
	withoutReporter := slices.DeleteFunc(slices.Clone(oauth.SyncPermissions), func(k string) bool { return k == "MODIFY_REPORTER" })
	j, srv := jiratest.NewServer(t, opts, jiratest.User{Name: svcName, Key: "JIRAUSER10100", AccountID: svcAccount, Email: "svc-jira@example.com",
		DisplayName: "Jira Align Service", Password: svcPassword, APIToken: "api-token-1",
		Permissions: map[string][]string{"ABC": oauth.SyncPermissions, "DEF": withoutReporter, "GHI": oauth.SyncPermissions, "": {}}})
	j.HideReporter("GHI", "Bug", "Epic")
	return j, srv.URL
}

// basicCaller logs in to the simulated Jira as the service account.
func basicCaller(t *testing.T, j *jiratest.Jira, url string) *oauth.BasicClient {
	t.Helper()
	user, pass := svcName, svcPassword
	if j.Flavor() == jiratest.Cloud {
		user, pass = "svc-jira@example.com", "api-token-1"
	}
	b, err := oauth.NewBasicClient(url, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRunAuditEveryCreateMetaForm audits the same projects on a Jira that
// serves the old createmeta only (8.0), one that serves only Jira 9's
// per-project form, and Cloud (both; paged answers named differently).
func TestRunAuditEveryCreateMetaForm(t *testing.T) {
	for _, opts := range []jiratest.Options{
		{Flavor: jiratest.Server, Version: "8.0.0"},
		{Flavor: jiratest.DataCenter, Version: "8.20.1"},
		{Flavor: jiratest.DataCenter},
		{Flavor: jiratest.Cloud},
	} {
		t.Run(string(opts.Flavor)+opts.Version, func(t *testing.T) {
			j, url := auditJira(t, opts)
			a, err := oauth.RunAudit(testCtx(t), basicCaller(t, j, url),
				oauth.AuditRequest{Projects: []string{"abc", "DEF", "GHI", "NOPE", "ABC"}, Preset: oauth.PresetJiraAlign})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]string{"ABC": nil, "DEF": {"MODIFY_REPORTER"}, "GHI": {"reporter_not_on_screen"}, "NOPE": {"project_not_visible"}}
			if len(a.Projects) != len(want) {
				t.Fatalf("projects %v, want %v", a.Projects, want)
			}
			for p, codes := range want {
				if got := gapCodesOf(t, a.Projects[p]); !slices.Equal(got, codes) {
					t.Errorf("%s missing %v, want %v", p, got, codes)
				}
			}
			if got := a.Projects["GHI"].Missing[0].Consequence; !strings.Contains(got, "Bug, Epic") || !strings.Contains(got, "Field 'reporter' cannot be set") {
				t.Errorf("GHI consequence %q", got)
			}
			if got := a.Projects["DEF"].Missing[0].Consequence; got != "Field 'reporter' cannot be set" {
				t.Errorf("DEF consequence %q", got)
			}
			if got := gapCodesOf(t, a.Global); !slices.Equal(got, []string{"USER_PICKER"}) {
				t.Errorf("global missing %v", got)
			}
			if len(a.Projects["ABC"].Granted) != len(oauth.SyncPermissions) || a.OK() {
				t.Errorf("ABC granted %v, OK %v", a.Projects["ABC"].Granted, a.OK())
			}
			b, _ := json.Marshal(a)
			for _, k := range []string{`"projects":{`, `"global":{"missing":[{"code":"USER_PICKER"`, `"granted":[]`} {
				if !strings.Contains(string(b), k) {
					t.Errorf("JSON lacks %s: %s", k, b)
				}
			}
		})
	}
}

// countingCaller counts the calls of a Caller by path, query left out.
type countingCaller struct {
	oauth.Caller
	calls map[string]int
}

func (c countingCaller) Get(ctx context.Context, path, step string) ([]byte, error) {
	p, _, _ := strings.Cut(path, "?")
	c.calls[p]++
	return c.Caller.Get(ctx, path, step)
}

// TestRunAuditAsksOldCreateMetaOnce: on Jira 9, whose old createmeta is
// gone (404), one audit of several projects asks for it once, not once a
// project.
func TestRunAuditAsksOldCreateMetaOnce(t *testing.T) {
	j, url := auditJira(t, jiratest.Options{Flavor: jiratest.DataCenter})
	cl := countingCaller{basicCaller(t, j, url), map[string]int{}}
	if _, err := oauth.RunAudit(testCtx(t), cl, oauth.AuditRequest{Projects: []string{"ABC", "GHI"}, Preset: oauth.PresetJiraAlign}); err != nil {
		t.Fatal(err)
	}
	if got := cl.calls[oauth.CreateMetaPath]; got != 1 {
		t.Errorf("old createmeta asked %d times, want 1", got)
	}
}

func gapCodesOf(t *testing.T, s *oauth.AuditScope) []string {
	t.Helper()
	var out []string
	for _, g := range s.Missing {
		out = append(out, string(g.Code))
		if g.Consequence == "" || g.Fix == "" {
			t.Errorf("gap %s lacks its consequence or fix", g.Code)
		}
	}
	return out
}

func TestRunAuditRequests(t *testing.T) {
	j, url := auditJira(t, jiratest.Options{})
	cl := basicCaller(t, j, url)
	a, err := oauth.RunAudit(testCtx(t), cl, oauth.AuditRequest{Projects: []string{"DEF"}, Permissions: []string{"browse_projects", "USER_PICKER"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Projects["DEF"].Granted; !slices.Equal(got, []string{"BROWSE_PROJECTS"}) || len(a.Projects["DEF"].Missing) != 0 {
		t.Errorf("DEF %+v", a.Projects["DEF"])
	}
	if got := gapCodesOf(t, a.Global); !slices.Equal(got, []string{"USER_PICKER"}) {
		t.Errorf("global %v", got)
	}
	for _, bad := range []oauth.AuditRequest{
		{Projects: []string{"ABC"}, Preset: "jira-aling"},
		{Projects: []string{"ABC"}, Permissions: []string{"MODIFY REPORTER"}},
		{Projects: []string{"A-1"}},
		{Projects: []string{"1ABC"}},
	} {
		if _, err := oauth.RunAudit(testCtx(t), cl, bad); fault.CodeOf(err) != oauth.CodeBadInput {
			t.Errorf("%+v: %v, want bad_input", bad, err)
		}
	}
}

// webLogin logs in to the simulated Jira's web page as user.
func webLogin(t *testing.T, base, user, pass string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + jiratest.PathLogin)
	if err != nil {
		t.Fatal(err)
	}
	page := new(strings.Builder)
	_, _ = io.Copy(page, resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="atl_token" value="([^"]+)"`).FindStringSubmatch(page.String())
	if m == nil {
		t.Fatal("no atl_token on the login page")
	}
	resp, err = c.PostForm(base+jiratest.PathLogin, url.Values{"os_username": {user}, "os_password": {pass}, "atl_token": {m[1]}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("web login: %v, %v", resp, err)
	}
	resp.Body.Close()
}

// TestBasicClientFailures: a wrong password is basic_auth_failed; after
// jiratest.MaxLoginFailures of them, Server asks for a CAPTCHA, even with
// the right password; Cloud refuses the account password (it wants an API
// token). The password never reaches an error.
func TestBasicClientFailures(t *testing.T) {
	j, url := auditJira(t, jiratest.Options{})
	wrong, err := oauth.NewBasicClient(url, svcName, "not-the-password")
	if err != nil {
		t.Fatal(err)
	}
	for range jiratest.MaxLoginFailures {
		_, err := oauth.Whoami(testCtx(t), wrong)
		if fault.CodeOf(err) != oauth.CodeBasicAuthFailed || strings.Contains(err.Error(), "not-the-password") {
			t.Fatalf("wrong password: %v", err)
		}
	}
	_, err = oauth.Whoami(testCtx(t), basicCaller(t, j, url))
	if fault.CodeOf(err) != oauth.CodeCaptchaRequired {
		t.Fatalf("after %d failures: %v, want captcha_required", jiratest.MaxLoginFailures, err)
	}
	webLogin(t, url, svcName, svcPassword) // what captcha_required's hint says to do
	id, err := oauth.Whoami(testCtx(t), basicCaller(t, j, url))
	if err != nil || id.Name != svcName {
		t.Fatalf("after the CAPTCHA: %v, %v", id, err)
	}

	cj, curl := auditJira(t, jiratest.Options{Flavor: jiratest.Cloud})
	pw, _ := oauth.NewBasicClient(curl, "svc-jira@example.com", svcPassword)
	if _, err := oauth.Whoami(testCtx(t), pw); fault.CodeOf(err) != oauth.CodeBasicAuthFailed || !strings.Contains(err.Error(), "API token") {
		t.Errorf("Cloud with the account password: %v", err)
	}
	id, err = oauth.Whoami(testCtx(t), basicCaller(t, cj, curl))
	if err != nil || id.AccountID != svcAccount || oauth.Judge(id, svcAccount, "", nil, time.Time{}).Verdict != oauth.VerdictMatch {
		t.Errorf("Cloud with the API token: %v, %v", id, err)
	}
	for _, in := range [][2]string{{"", "x"}, {"a:b", "x"}, {svcName, ""}} {
		if _, err := oauth.NewBasicClient(url, in[0], in[1]); fault.CodeOf(err) != oauth.CodeBadInput {
			t.Errorf("NewBasicClient(%q): %v", in[0], err)
		}
	}
}

// TestAuditWithToken: the audit through an OAuth token is the same code,
// and a token Jira no longer honours ends it with token_rejected.
func TestAuditWithToken(t *testing.T) {
	e := newJiraEnv(t, jiratest.Options{})
	rt, verifier := e.approve(t, "", svcName, svcPassword, true)
	res, err := e.c.Complete(testCtx(t), rt, verifier, svcName, "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := oauth.RunAudit(testCtx(t), e.c.As(res.AccessToken.Token), oauth.AuditRequest{Projects: []string{"ABC"}})
	if err != nil || !a.OK() {
		t.Fatalf("audit %+v, %v", a, err)
	}
	e.jira.RevokeAccessTokens(svcName)
	if _, err := oauth.RunAudit(testCtx(t), e.c.As(res.AccessToken.Token), oauth.AuditRequest{Projects: []string{"ABC"}}); fault.CodeOf(err) != oauth.CodeTokenRejected {
		t.Errorf("revoked: %v, want token_rejected", err)
	}
}

func TestSameAccount(t *testing.T) {
	a := &oauth.Identity{Name: "svc", Key: "JIRAUSER1"}
	tests := []struct {
		b    *oauth.Identity
		want bool
	}{
		{&oauth.Identity{Name: "renamed", Key: "JIRAUSER1"}, true},
		{&oauth.Identity{Name: "svc", Key: "JIRAUSER2"}, false},
		{&oauth.Identity{Name: "SVC"}, true},
		{nil, false},
	}
	for _, tc := range tests {
		if got := a.SameAccount(tc.b); got != tc.want {
			t.Errorf("SameAccount(%+v) = %v", tc.b, got)
		}
	}
	if (&oauth.Identity{AccountID: "x", Key: "K"}).SameAccount(&oauth.Identity{AccountID: "y", Key: "K"}) {
		t.Error("different account ids match")
	}
}
