package oauth_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/applink/applink/oauth"
)

const permissionsAnswer = `{"permissions":{
 "BROWSE_PROJECTS":{"id":"10","key":"BROWSE_PROJECTS","name":"Browse Projects","type":"PROJECT","description":"","havePermission":true},
 "CREATE_ISSUES":{"id":"11","key":"CREATE_ISSUES","name":"Create Issues","type":"PROJECT","havePermission":true},
 "MODIFY_REPORTER":{"id":"30","key":"MODIFY_REPORTER","name":"Modify Reporter","type":"PROJECT","havePermission":false},
 "EDIT_ISSUES":{"id":"12","name":"Edit Issues","type":"PROJECT","havePermission":true}}}`

func TestParsePermissions(t *testing.T) {
	got, err := oauth.ParsePermissions([]byte(permissionsAnswer))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || !got["BROWSE_PROJECTS"].HavePermission || got["MODIFY_REPORTER"].HavePermission {
		t.Errorf("got %+v", got)
	}
	if got["EDIT_ISSUES"].Key != "EDIT_ISSUES" || got["CREATE_ISSUES"].Name != "Create Issues" {
		t.Errorf("keys and names: %+v", got)
	}
	for _, bad := range []string{"", "{}", `{"permissions":null}`, `{"permissions":[]}`, "<html>"} {
		_, err := oauth.ParsePermissions([]byte(bad))
		if e := asError(t, err); e.Code != oauth.CodeBadResponse {
			t.Errorf("%q: code %s", bad, e.Code)
		}
	}
}

func FuzzParsePermissions(f *testing.F) {
	f.Add([]byte(permissionsAnswer))
	f.Add([]byte(`{"permissions":{"":{}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		perms, err := oauth.ParsePermissions(body)
		if err != nil {
			return
		}
		if perms == nil {
			t.Fatal("nil map without an error")
		}
		for k, p := range perms {
			if p.Key == "" && k != "" {
				t.Errorf("entry %q has no key", k)
			}
		}
	})
}

func TestCheckPermissions(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		io.WriteString(w, permissionsAnswer)
	})
	c := consumerFor(t, f, "")
	ask := []string{"BROWSE_PROJECTS", "MODIFY_REPORTER", " CREATE_ISSUES", "BROWSE_PROJECTS", "MANAGE_SPRINTS_PERMISSION", ""}
	r, err := c.CheckPermissions(context.Background(), oauth.Token{Token: "at"}, "ABC", ask)
	if err != nil {
		t.Fatal(err)
	}
	want := oauth.PermissionReport{Project: "ABC",
		Have:    []string{"BROWSE_PROJECTS", "CREATE_ISSUES"},
		Missing: []string{"MODIFY_REPORTER", "MANAGE_SPRINTS_PERMISSION"}}
	if r.Project != want.Project || !slices.Equal(r.Have, want.Have) || !slices.Equal(r.Missing, want.Missing) || r.OK() {
		t.Errorf("got %+v, want %+v", r, want)
	}
	req := f.requests()[0]
	if req.Path != "/rest/api/2/mypermissions" || !req.Verified ||
		req.Query.Get("projectKey") != "ABC" ||
		req.Query.Get("permissions") != "BROWSE_PROJECTS,MODIFY_REPORTER,CREATE_ISSUES,MANAGE_SPRINTS_PERMISSION" {
		t.Errorf("got %s %v verified=%v", req.Path, req.Query, req.Verified)
	}

	// Global permissions: no projectKey, permissions= still sent.
	r, err = c.CheckPermissions(context.Background(), oauth.Token{Token: "at"}, "", []string{"BROWSE_PROJECTS"})
	if err != nil || !r.OK() {
		t.Fatalf("got %+v, %v", r, err)
	}
	req = f.requests()[1]
	if _, ok := req.Query["projectKey"]; ok || req.Query.Get("permissions") != "BROWSE_PROJECTS" {
		t.Errorf("global check sent %v", req.Query)
	}

	_, err = c.CheckPermissions(context.Background(), oauth.Token{Token: "at"}, "ABC", []string{" "})
	if e := asError(t, err); e.Code != oauth.CodeBadInput {
		t.Errorf("no keys: code %s", e.Code)
	}
	if len(f.requests()) != 2 {
		t.Errorf("Jira was called without keys")
	}
}

func TestCheckPermissionsBadAnswer(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		io.WriteString(w, `{"errorMessages":[]}`)
	})
	_, err := consumerFor(t, f, "").CheckPermissions(context.Background(), oauth.Token{Token: "at"}, "ABC", oauth.SyncPermissions)
	if e := asError(t, err); e.Code != oauth.CodeBadResponse || e.Step != "mypermissions" || e.URL == "" {
		t.Errorf("got %s at %s (%s)", e.Code, e.Step, e.URL)
	}
}
