package server

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// authorized creates a link approved by the service account.
func (f *fixture) authorized(name string) *LinkView {
	f.t.Helper()
	f.createLink(name)
	h := f.startHandshake(name)
	resp, body := f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	wantStatus(f.t, resp, body, http.StatusOK)
	f.storedSecrets(name)
	return f.getLink(name)
}

// grant gives the service account the sync's permissions on ABC and GHI
// (whose Story screen lacks Reporter), all but MODIFY_REPORTER on DEF, and
// no global permission.
func (f *fixture) grant() {
	partial := slices.DeleteFunc(slices.Clone(oauth.SyncPermissions), func(k string) bool { return k == "MODIFY_REPORTER" })
	f.jira.AddUser(jiratest.User{Name: svcName, Key: "JIRAUSER10100", AccountID: svcAccount, Email: "svc-jira@example.com",
		DisplayName: "Jira Sync Service", Password: svcPassword,
		Permissions: map[string][]string{"ABC": oauth.SyncPermissions, "DEF": partial, "GHI": oauth.SyncPermissions}})
	f.jira.HideReporter("GHI", "Story")
}

func gaps(s *oauth.AuditScope) []string {
	var out []string
	for _, g := range s.Missing {
		out = append(out, string(g.Code))
	}
	return out
}

func TestPermissionsAPI(t *testing.T) {
	for _, flavor := range []jiratest.Flavor{jiratest.Server, jiratest.Cloud} {
		t.Run(string(flavor), func(t *testing.T) {
			f := newFixture(t, options{flavor: flavor})
			f.grant()
			f.createLink("early")
			resp, body := f.api("POST", "/api/links/early/permissions", map[string]any{"projects": []string{"ABC"}})
			wantError(t, resp, body, http.StatusConflict, CodeNotApproved)

			f.authorized("prod")
			resp, body = f.api("POST", "/api/links/prod/permissions", map[string]any{"projects": []string{"ABC", "def", "GHI", "NOPE"}, "preset": "jira-align"})
			wantStatus(t, resp, body, http.StatusOK)
			v := decode[PermissionsView](t, body)
			want := map[string][]string{"ABC": nil, "DEF": {"MODIFY_REPORTER"}, "GHI": {"reporter_not_on_screen"}, "NOPE": {"project_not_visible"}}
			for p, codes := range want {
				if s := v.Projects[p]; s == nil || !slices.Equal(gaps(s), codes) {
					t.Errorf("%s: %+v, want %v", p, s, codes)
				}
			}
			if v.OK || !slices.Equal(gaps(v.Global), []string{"USER_PICKER"}) || v.CheckedAt.IsZero() {
				t.Errorf("global %+v ok %v", v.Global, v.OK)
			}
			// The link keeps its projects and the audit; a null projects
			// re-runs on the kept ones.
			l := f.getLink("prod")
			if !slices.Equal(l.Projects, []string{"ABC", "DEF", "GHI", "NOPE"}) || l.Permissions == nil || l.Permissions.Projects["DEF"] == nil {
				t.Errorf("link %v %+v", l.Projects, l.Permissions)
			}
			resp, body = f.api("POST", "/api/links/prod/permissions", map[string]any{"preset": nil, "permissions": []string{"BROWSE_PROJECTS"}})
			wantStatus(t, resp, body, http.StatusOK)
			if v := decode[PermissionsView](t, body); !slices.Equal(v.Projects["DEF"].Granted, []string{"BROWSE_PROJECTS"}) || len(v.Projects) != 4 {
				t.Errorf("re-run on kept projects: %+v", v.Projects)
			}

			for _, bad := range []any{
				map[string]any{"projects": []string{"A-B"}},
				map[string]any{"projects": []string{"ABC"}, "preset": "nope"},
				map[string]any{"projects": []string{"ABC"}, "permissions": []string{"not a key"}},
				map[string]any{"projects": []string{}},
			} {
				resp, body := f.api("POST", "/api/links/prod/permissions", bad)
				if resp.StatusCode != http.StatusBadRequest {
					t.Errorf("%v: status %d: %s", bad, resp.StatusCode, body)
				}
			}
			// A token Jira no longer honours: 502 with the diagnosis.
			f.jira.RevokeAccessTokens(svcName)
			resp, body = f.api("POST", "/api/links/prod/permissions", map[string]any{"projects": []string{"ABC"}})
			wantError(t, resp, body, http.StatusBadGateway, oauth.CodeTokenRejected)
			// No answer: 502 too, and the kept audit stays.
			f.jira.SetFaults(jiratest.Faults{Status5xx: 503})
			resp, body = f.api("POST", "/api/links/prod/permissions", nil)
			if resp.StatusCode != http.StatusBadGateway && resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d: %s", resp.StatusCode, body)
			}
			if l := f.getLink("prod"); l.Permissions == nil {
				t.Error("a failed audit dropped the kept one")
			}
		})
	}
}

func TestCreateLinkWithProjects(t *testing.T) {
	f := newFixture(t, options{})
	resp, body := f.api("POST", "/api/links", map[string]any{"name": "p", "jira_url": f.jiraSrv.URL, "service_account": svcName, "projects": []string{"abc", " DEF"}})
	wantStatus(t, resp, body, http.StatusCreated)
	if v := decode[*LinkView](t, body); !slices.Equal(v.Projects, []string{"ABC", "DEF"}) || v.Permissions != nil {
		t.Errorf("projects %v, permissions %v", v.Projects, v.Permissions)
	}
	resp, body = f.api("POST", "/api/links", map[string]any{"name": "q", "jira_url": f.jiraSrv.URL, "service_account": svcName, "projects": []string{"1X"}})
	wantError(t, resp, body, http.StatusBadRequest, CodeInvalidInput)
}

func TestPermissionsPage(t *testing.T) {
	f := newFixture(t, options{})
	f.grant()
	f.authorized("prod")
	b := f.newBrowser()
	b.signIn()
	_, page := b.get("/links/prod")
	wantContains(t, page, `id="permissions"`, `action="/links/prod/permissions"`, "Check permissions")

	resp, _ := b.post("/links/prod/permissions", url.Values{"projects": {"ABC, DEF GHI"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", resp.StatusCode)
	}
	_, page = b.get("/links/prod")
	wantContains(t, page, `data-project="DEF"`, `data-gap="MODIFY_REPORTER"`, "Field &#39;reporter&#39; cannot be set",
		`data-gap="reporter_not_on_screen"`, `data-gap="USER_PICKER"`, "Check again", `value="ABC, DEF, GHI"`)

	resp, page = b.post("/links/prod/permissions", url.Values{"projects": {"A-1"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad key: status %d", resp.StatusCode)
	}
	wantContains(t, page, `id="permissions-error" data-code="bad_input"`)

	f.jira.RevokeAccessTokens(svcName)
	resp, page = b.post("/links/prod/permissions", url.Values{"projects": {"ABC"}})
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("revoked: status %d", resp.StatusCode)
	}
	wantContains(t, page, `data-code="token_rejected"`, `data-gap="MODIFY_REPORTER"`)
}
