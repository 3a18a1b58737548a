package jiratest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/applink/applink/oauth/jiratest"
)

type permissionsAnswer struct {
	Permissions map[string]struct {
		ID             string
		Key            string
		Name           string
		Type           string
		HavePermission bool
	}
}

func TestMyPermissions(t *testing.T) {
	for _, flavor := range []jiratest.Flavor{jiratest.Server, jiratest.Cloud} {
		t.Run(string(flavor), func(t *testing.T) {
			e := newEnv(t, jiratest.Options{Flavor: flavor})
			tok := e.handshake(t, svcUser, svcPass)
			resp, body := e.restGet(t, tok, jiratest.PathMyPermissions+"?projectKey="+project+"&permissions=BROWSE_PROJECTS,MODIFY_REPORTER,USER_PICKER")
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			var a permissionsAnswer
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{"BROWSE_PROJECTS": true, "MODIFY_REPORTER": false, "USER_PICKER": true}
			if len(a.Permissions) != len(want) {
				t.Errorf("permissions = %s", body)
			}
			for k, have := range want {
				p := a.Permissions[k]
				if p.Key != k || p.HavePermission != have || p.Name == "" || p.ID == "" {
					t.Errorf("%s = %+v, want havePermission %v", k, p, have)
				}
			}
			if a.Permissions["USER_PICKER"].Type != "GLOBAL" || a.Permissions["BROWSE_PROJECTS"].Type != "PROJECT" {
				t.Errorf("types: %s", body)
			}

			// Global permissions, no project.
			_, body = e.restGet(t, tok, jiratest.PathMyPermissions+"?permissions=USER_PICKER")
			var g permissionsAnswer
			if err := json.Unmarshal(body, &g); err != nil || !g.Permissions["USER_PICKER"].HavePermission {
				t.Errorf("global: %s", body)
			}

			// Without permissions=: 400 on Cloud, everything on Server.
			resp, body = e.restGet(t, tok, jiratest.PathMyPermissions+"?projectKey="+project)
			if flavor == jiratest.Cloud {
				checkRESTError(t, resp, body, 400)
			} else if err := json.Unmarshal(body, &a); err != nil || resp.StatusCode != 200 || len(a.Permissions) < 30 {
				t.Errorf("Server without permissions=: %d, %d permissions", resp.StatusCode, len(a.Permissions))
			}

			// A project the user cannot see, an unknown permission.
			resp, body = e.restGet(t, tok, jiratest.PathMyPermissions+"?projectKey=NOPE&permissions=BROWSE_PROJECTS")
			checkRESTError(t, resp, body, 404)
			resp, body = e.restGet(t, tok, jiratest.PathMyPermissions+"?projectKey="+project+"&permissions=FLY")
			checkRESTError(t, resp, body, 400)
		})
	}
}

// checkRESTError checks Jira's JSON error shape.
func checkRESTError(t *testing.T, resp *http.Response, body []byte, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d (%s)", resp.StatusCode, status, body)
		return
	}
	var e struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(body, &e); err != nil || len(e.ErrorMessages) == 0 || e.Errors == nil {
		t.Errorf("body %s is not Jira's error shape", body)
	}
}

// TestRepeatedQueryKeys: dghubble/oauth1 signs only the first of repeated
// keys, so Jira (which signs all) refuses it; a consumer that signs every
// value is accepted.
func TestRepeatedQueryKeys(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	tok := e.handshake(t, svcUser, svcPass)
	const q = "?jql=project%20%3D%20SYNC&fields=summary&fields=status"
	resp, body := e.restGet(t, tok, jiratest.PathSearch+q)
	v := problemOf(t, resp, body, "signature_invalid")
	if !strings.Contains(v.Get("oauth_signature_base_string"), "fields%3Dstatus%26fields%3Dsummary") {
		t.Errorf("Jira's base string lacks both fields: %s", v.Get("oauth_signature_base_string"))
	}

	s := &testSigner{key: consumerKey(), consumerKey: consumerKeyName}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", e.base+jiratest.PathSearch+q, nil)
	s.sign(t, req, "", map[string]string{"oauth_token": tok.Token})
	resp, body = do(t, req)
	var found struct{ Total *int }
	if err := json.Unmarshal(body, &found); err != nil || resp.StatusCode != 200 || found.Total == nil || *found.Total != 0 {
		t.Errorf("signed with every value: %d %s", resp.StatusCode, body)
	}
	// Without repeated keys dghubble/oauth1 is fine.
	if resp, body := e.restGet(t, tok, jiratest.PathSearch+"?jql=a%2Bb&maxResults=1"); resp.StatusCode != 200 {
		t.Errorf("single keys: %d %s", resp.StatusCode, body)
	}
}

// TestFormBodyParameters: a URL-encoded form body takes part in the
// signature (whatever the charset parameter), and OAuth parameters may
// come in the query or the body instead of the header.
func TestFormBodyParameters(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	s := &testSigner{key: consumerKey(), consumerKey: consumerKeyName}
	const body = "a=1&a=2&b=x+y"
	for _, ct := range []string{"application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8"} {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", e.base+jiratest.PathRequestToken, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		s.sign(t, req, body, map[string]string{"oauth_callback": "oob"})
		resp, got := do(t, req)
		if resp.StatusCode != 200 || parseForm(t, got).Get("oauth_callback_confirmed") != "true" {
			t.Errorf("%s: %d %s", ct, resp.StatusCode, got)
		}
	}
	// The body signed as if absent: Jira counts it, so the signature fails.
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.base+jiratest.PathRequestToken, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s.sign(t, req, "", map[string]string{"oauth_callback": "oob"})
	resp, got := do(t, req)
	problemOf(t, resp, got, "signature_invalid")

	// A JSON body does not take part.
	req, _ = http.NewRequestWithContext(t.Context(), "POST", e.base+jiratest.PathRequestToken, strings.NewReader(`{"a":1}`))
	req.Header.Set("Content-Type", "application/json")
	s.sign(t, req, "", map[string]string{"oauth_callback": "oob"})
	if resp, got := do(t, req); resp.StatusCode != 200 {
		t.Errorf("JSON body: %d %s", resp.StatusCode, got)
	}

	// Every OAuth parameter in the form body, none in the header.
	req, _ = http.NewRequestWithContext(t.Context(), "POST", e.base+jiratest.PathRequestToken, nil)
	s.sign(t, req, "", map[string]string{"oauth_callback": "oob", "realm": "ignored"})
	form := url.Values{}
	for k, v := range authParams(t, req) {
		if k != "realm" {
			form.Set(k, v)
		}
	}
	req, _ = http.NewRequestWithContext(t.Context(), "POST", e.base+jiratest.PathRequestToken, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, got := do(t, req); resp.StatusCode != 200 {
		t.Errorf("OAuth parameters in the body: %d %s", resp.StatusCode, got)
	}
}

// TestRealmIgnored: a realm in the Authorization header is not signed.
func TestRealmIgnored(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	e.cfg.Realm = e.base
	if _, _, err := e.cfg.RequestToken(); err != nil {
		t.Errorf("with a realm: %v", err)
	}
}

func TestAnonymousREST(t *testing.T) {
	e := newEnv(t, jiratest.Options{Flavor: jiratest.DataCenter, ContextPath: "/jira"})
	resp, err := http.Get(e.base + jiratest.PathServerInfo)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	var info map[string]any
	if err := json.Unmarshal(body, &info); err != nil || resp.StatusCode != 200 {
		t.Fatalf("serverInfo: %d %s", resp.StatusCode, body)
	}
	if info["deploymentType"] != "DataCenter" || info["baseUrl"] != e.base || info["serverTime"] == "" || info["version"] == "" {
		t.Errorf("serverInfo = %s", body)
	}

	resp, err = http.Get(e.base + jiratest.PathMyself)
	if err != nil {
		t.Fatal(err)
	}
	checkRESTError(t, resp, readAll(t, resp), 401)

	resp, err = http.Get(e.base + jiratest.PathProject)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 200 || string(body) != "[]" {
		t.Errorf("anonymous projects: %d %s", resp.StatusCode, body)
	}
}

func TestProjects(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	tok := e.handshake(t, svcUser, svcPass)
	resp, body := e.restGet(t, tok, jiratest.PathProject)
	var ps []struct{ ID, Key string }
	if err := json.Unmarshal(body, &ps); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if len(ps) != 1 || ps[0].Key != project || ps[0].ID == "" {
		t.Errorf("projects = %s", body)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	for _, c := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/secure/Dashboard.jspa", 404, ""},
		{"GET", "/rest/api/2/issue/X-1", 404, ""},
		{"GET", jiratest.PathRequestToken, 405, "POST"},
		{"GET", jiratest.PathAccessToken, 405, "POST"},
		{"POST", jiratest.PathMyself, 405, "GET, HEAD"},
		{"GET", jiratest.PathLogout, 405, "POST"},
		{"GET", "/", 200, ""},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), c.method, e.base+c.path, nil)
		resp, body := do(t, req)
		if resp.StatusCode != c.status || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want %d %q (%s)", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), c.status, c.allow, body)
		}
	}
}
