package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
	"github.com/applink/applink/server/store"
)

func TestCreateLinkAPI(t *testing.T) {
	f := newFixture(t, options{})
	resp, body := f.api("POST", "/api/links", map[string]string{
		"name": "prod", "jira_url": f.jiraSrv.URL + "/secure/Dashboard.jspa", "service_account": " svc-jira ",
		"environment": "production", "consumer_key": "jira-align-prod",
	})
	wantStatus(t, resp, body, http.StatusCreated)
	if got := resp.Header.Get("Location"); got != "/api/links/prod" {
		t.Errorf("Location = %q", got)
	}
	v := decode[*LinkView](t, body)
	want := LinkView{Name: "prod", JiraURL: f.jiraSrv.URL, ServiceAccount: "svc-jira", Environment: "production", State: "new"}
	if v.Name != want.Name || v.JiraURL != want.JiraURL || v.ServiceAccount != want.ServiceAccount ||
		v.Environment != want.Environment || v.State != want.State {
		t.Errorf("link = %+v, want %+v", v, want)
	}
	a := v.AppLink
	if a.ConsumerKey != "jira-align-prod" || a.ConsumerName != "applink: jira-align-prod" {
		t.Errorf("consumer = %q / %q", a.ConsumerKey, a.ConsumerName)
	}
	if !strings.HasPrefix(a.PublicKey, "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("public key = %q", a.PublicKey)
	}
	if fp := keys.Fingerprint(&testKey().PublicKey); a.PublicKeyFingerprint != fp {
		t.Errorf("fingerprint = %q, want %q", a.PublicKeyFingerprint, fp)
	}
	if a.CallbackURL != f.app.URL+"/oauth/callback" {
		t.Errorf("callback_url = %q", a.CallbackURL)
	}
	if a.RequestTokenURL != f.jiraSrv.URL+"/plugins/servlet/oauth/request-token" ||
		a.AccessTokenURL != f.jiraSrv.URL+"/plugins/servlet/oauth/access-token" ||
		a.AuthorizeURL != f.jiraSrv.URL+"/plugins/servlet/oauth/authorize" {
		t.Errorf("endpoints = %+v", a)
	}

	// Every key is present, null or [] when empty.
	raw := decode[map[string]any](t, body)
	for _, k := range []string{"authorized_as", "service_account_match", "authorized_at", "token_expires_at", "last_error"} {
		if v, ok := raw[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	if w, ok := raw["warnings"].([]any); !ok || len(w) != 0 {
		t.Errorf("warnings = %#v, want []", raw["warnings"])
	}

	// Defaults: consumer key from the name.
	resp, body = f.api("POST", "/api/links", map[string]string{"name": "sandbox", "jira_url": f.jiraSrv.URL, "service_account": "svc"})
	wantStatus(t, resp, body, http.StatusCreated)
	if v := decode[*LinkView](t, body); v.AppLink.ConsumerKey != "applink-sandbox" || v.Environment != "" {
		t.Errorf("defaults: consumer key %q, environment %q", v.AppLink.ConsumerKey, v.Environment)
	}

	// List, sorted by name; get.
	resp, body = f.api("GET", "/api/links", nil)
	wantStatus(t, resp, body, http.StatusOK)
	list := decode[struct{ Links []*LinkView }](t, body)
	if len(list.Links) != 2 || list.Links[0].Name != "prod" || list.Links[1].Name != "sandbox" {
		t.Fatalf("list = %s", body)
	}
	if got := f.getLink("prod"); *got.AppLink != *v.AppLink {
		t.Errorf("get = %+v, want %+v", got.AppLink, v.AppLink)
	}

	// The audit log has the creation, without the key.
	wantContains(t, f.logs.String(), `"audit":true`, `"event":"link_created"`, `"link":"prod"`)
	f.storedSecrets("prod")
}

func TestListEmpty(t *testing.T) {
	f := newFixture(t, options{})
	resp, body := f.api("GET", "/api/links", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if got := strings.Join(strings.Fields(string(body)), ""); got != `{"links":[]}` {
		t.Errorf("body = %s", body)
	}
}

func TestDeleteLinkAPI(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	f.startHandshake("prod")
	resp, body := f.api("DELETE", "/api/links/prod", nil)
	wantStatus(t, resp, body, http.StatusNoContent)
	resp, body = f.api("GET", "/api/links/prod", nil)
	wantError(t, resp, body, http.StatusNotFound, CodeLinkNotFound)
	resp, body = f.api("DELETE", "/api/links/prod", nil)
	wantError(t, resp, body, http.StatusNotFound, CodeLinkNotFound)
	wantContains(t, f.logs.String(), `"event":"link_deleted"`)

	// The name is free again, with a fresh configuration.
	f.createLink("prod")
}

// TestBadInput: every refused input gets its status and code, and changes
// nothing.
func TestBadInput(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("taken")
	good := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"name": "new1", "jira_url": f.jiraSrv.URL, "service_account": "svc"}
		mod(m)
		return m
	}
	tests := []struct {
		name   string
		body   any
		status int
		code   fault.Code
	}{
		{"bad name", good(func(m map[string]any) { m["name"] = "bad name!" }), 400, CodeInvalidName},
		{"name with slash", good(func(m map[string]any) { m["name"] = "../etc" }), 400, CodeInvalidName},
		{"empty name", good(func(m map[string]any) { m["name"] = "" }), 400, CodeInvalidName},
		{"long name", good(func(m map[string]any) { m["name"] = strings.Repeat("a", 65) }), 400, CodeInvalidName},
		{"no name", good(func(m map[string]any) { delete(m, "name") }), 400, CodeInvalidName},
		{"ftp url", good(func(m map[string]any) { m["jira_url"] = "ftp://jira.example.com" }), 400, CodeInvalidJiraURL},
		{"url without scheme", good(func(m map[string]any) { m["jira_url"] = "jira.example.com" }), 400, CodeInvalidJiraURL},
		{"javascript url", good(func(m map[string]any) { m["jira_url"] = "javascript:alert(1)" }), 400, CodeInvalidJiraURL},
		{"empty url", good(func(m map[string]any) { m["jira_url"] = "" }), 400, CodeInvalidJiraURL},
		{"no service account", good(func(m map[string]any) { m["service_account"] = "  " }), 400, CodeInvalidInput},
		{"control characters", good(func(m map[string]any) { m["environment"] = "prod\x00" }), 400, CodeInvalidInput},
		{"consumer key with space", good(func(m map[string]any) { m["consumer_key"] = "my key" }), 400, CodeInvalidInput},
		{"long field", good(func(m map[string]any) { m["consumer_name"] = strings.Repeat("x", 201) }), 400, CodeInvalidInput},
		{"unknown field", good(func(m map[string]any) { m["token_secret"] = "x" }), 400, CodeUnknownField},
		{"wrong type", good(func(m map[string]any) { m["name"] = 42 }), 400, CodeBadRequest},
		{"malformed", `{"name": "x",`, 400, CodeBadRequest},
		{"not an object", `["name"]`, 400, CodeBadRequest},
		{"empty body", ``, 400, CodeBadRequest},
		{"trailing data", `{"name":"new1","jira_url":"http://j","service_account":"s"} {}`, 400, CodeBadRequest},
		{"too large", `{"name":"` + strings.Repeat("a", maxBody) + `"}`, 400, CodeBodyTooLarge},
		{"existing name", good(func(m map[string]any) { m["name"] = "taken" }), 409, store.CodeExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.api("POST", "/api/links", tt.body)
			wantError(t, resp, body, tt.status, tt.code)
			resp, body = f.api("GET", "/api/links", nil)
			wantStatus(t, resp, body, http.StatusOK)
			list := decode[struct{ Links []*LinkView }](t, body)
			if len(list.Links) != 1 || list.Links[0].Name != "taken" {
				t.Errorf("links changed: %s", body)
			}
		})
	}
}

// TestConsumerKeyChecks: a consumer key is checked by oauth.CheckConsumerKey,
// whose message and hint the service keeps, as sentences, under its own code.
func TestConsumerKeyChecks(t *testing.T) {
	for _, tt := range []struct{ key, want string }{
		{"", ""}, // defaults to applink-prod
		{"jira-align-prod", ""},
		{"my key", "white space"},
		{"my\u00a0key", "white space"},
		{strings.Repeat("k", oauth.MaxConsumerKeyLen+1), "longer than"},
	} {
		_, err := normalize(LinkInput{Name: "prod", JiraURL: "https://jira.example.com", ServiceAccount: "svc", ConsumerKey: tt.key})
		if tt.want == "" {
			if err != nil {
				t.Errorf("consumer key %.20q: %v", tt.key, err)
			}
			continue
		}
		e, _ := fault.As(err)
		oe, _ := fault.As(oauth.CheckConsumerKey(tt.key))
		if e == nil || e.Code != CodeInvalidInput || e.Message != upperFirst(oe.Message)+"." || e.Hint != upperFirst(oe.Hint)+"." || !strings.Contains(e.Message, tt.want) {
			t.Errorf("consumer key %.20q: got %+v, want code %s and oauth's message (%q) and hint", tt.key, e, CodeInvalidInput, tt.want)
		}
	}
}

func TestNotFound(t *testing.T) {
	f := newFixture(t, options{})
	for _, tt := range []struct {
		method, path string
		code         fault.Code
	}{
		{"GET", "/api/links/nope", CodeLinkNotFound},
		{"DELETE", "/api/links/nope", CodeLinkNotFound},
		{"POST", "/api/links/nope/handshakes", CodeLinkNotFound},
		{"GET", "/api/links/nope/credentials", CodeLinkNotFound},
		{"GET", "/api/links/bad%20name", CodeLinkNotFound},
		{"GET", "/api/nothing", store.CodeNotFound},
	} {
		resp, body := f.api(tt.method, tt.path, nil)
		wantError(t, resp, body, http.StatusNotFound, tt.code)
	}
}

func TestUnauthorized(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	for _, auth := range []string{"", "Bearer", "Bearer wrong-token", "Basic " + adminToken, "Bearer " + adminToken + "x"} {
		for _, r := range []struct{ method, path string }{
			{"GET", "/api/links"}, {"POST", "/api/links"}, {"GET", "/api/links/prod"},
			{"DELETE", "/api/links/prod"}, {"POST", "/api/links/prod/handshakes"}, {"GET", "/api/links/prod/credentials"},
		} {
			resp, body := f.apiWith(r.method, r.path, nil, auth)
			wantError(t, resp, body, http.StatusUnauthorized, CodeUnauthorized)
			if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		}
	}
	if f.getLink("prod").Name != "prod" {
		t.Error("the link is gone")
	}
	wantContains(t, f.logs.String(), "wrong admin token")
}

func TestCredentialsBeforeApproval(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	resp, body := f.api("GET", "/api/links/prod/credentials", nil)
	wantError(t, resp, body, http.StatusConflict, CodeNotApproved)
}

func TestHealthz(t *testing.T) {
	f := newFixture(t, options{})
	resp, body := f.get(f.app.URL+"/healthz", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if string(body) != "ok" {
		t.Errorf("body = %q", body)
	}
}

// TestHandshakeJiraFailure: Jira refuses the request token (the link is not
// configured there yet): 502 with the diagnosis, the link failed with
// last_error; once configured, it works.
func TestHandshakeJiraFailure(t *testing.T) {
	f := newFixture(t, options{})
	resp, body := f.api("POST", "/api/links", map[string]string{"name": "prod", "jira_url": f.jiraSrv.URL, "service_account": svcName})
	wantStatus(t, resp, body, http.StatusCreated)
	v := decode[*LinkView](t, body)

	resp, body = f.api("POST", "/api/links/prod/handshakes", nil)
	wantError(t, resp, body, http.StatusBadGateway, "consumer_key_unknown")
	if e := decode[apiError](t, body); e.Error.Hint == "" {
		t.Error("no hint")
	}
	got := f.getLink("prod")
	if got.State != "failed" || got.LastError == nil || got.LastError.Code != "consumer_key_unknown" || got.LastError.Hint == "" {
		t.Errorf("link = %+v, last_error %+v", got, got.LastError)
	}
	wantContains(t, f.logs.String(), `"event":"handshake_failed"`, `"oauth_problem":"consumer_key_unknown"`)

	if err := f.jira.AddConsumer(v.AppLink.ConsumerKey, v.AppLink.ConsumerName, []byte(v.AppLink.PublicKey), ""); err != nil {
		t.Fatal(err)
	}
	h := f.startHandshake("prod")
	if got := f.getLink("prod"); got.State != "awaiting_approval" || got.LastError != nil {
		t.Errorf("after a good start: state %s, last_error %+v", got.State, got.LastError)
	}
	if !strings.HasPrefix(h.AuthorizeURL, f.jiraSrv.URL+"/plugins/servlet/oauth/authorize?oauth_token=") {
		t.Errorf("authorize_url = %q", h.AuthorizeURL)
	}
	if !strings.HasPrefix(h.ApprovalURL, f.app.URL+"/approve/") {
		t.Errorf("approval_url = %q", h.ApprovalURL)
	}
	if want := f.clock.Now().Add(10 * 60e9); !h.ExpiresAt.Equal(want) {
		t.Errorf("expires_at = %v, want %v", h.ExpiresAt, want)
	}
}

// TestHandshakeSSOPage: an SSO proxy in front of Jira is diagnosed.
func TestHandshakeSSOPage(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	f.jira.SetFaults(jiratest.Faults{SSOPage: true})
	resp, body := f.api("POST", "/api/links/prod/handshakes", nil)
	wantError(t, resp, body, http.StatusBadGateway, "html_page")
}

// TestCreateLinkGo: the Go API used by `applink demo` reports an existing
// name as both *Error CodeExists and *fault.Error store.CodeExists.
func TestCreateLinkGo(t *testing.T) {
	f := newFixture(t, options{})
	in := LinkInput{Name: "demo", JiraURL: f.jiraSrv.URL, ServiceAccount: svcName, Environment: "sandbox"}
	v, err := f.srv.CreateLink(context.Background(), in)
	if err != nil || v.Name != "demo" || v.State != "new" || v.Warnings == nil {
		t.Fatalf("CreateLink = %+v, %v", v, err)
	}
	_, err = f.srv.CreateLink(context.Background(), in)
	var e *Error
	if !errors.As(err, &e) || e.Code != store.CodeExists || !fault.Is(err, store.CodeExists) {
		t.Errorf("second CreateLink = %v", err)
	}
	wantContains(t, f.logs.String(), `"event":"link_created"`, `"link":"demo"`)
	got, err := f.srv.Link("demo")
	if err != nil || *got.AppLink != *v.AppLink {
		t.Errorf("Link = %+v, %v", got, err)
	}
	if _, err := f.srv.Link("nope"); !errors.As(err, &e) || e.Code != CodeLinkNotFound {
		t.Errorf("Link(nope) = %v", err)
	}
}

// TestHandshakeJiraDown: Jira's failures map to 502, a timeout to 504,
// each with the diagnosis in last_error.
func TestHandshakeJiraDown(t *testing.T) {
	f := newFixture(t, options{client: &http.Client{Timeout: 300 * time.Millisecond}})
	f.createLink("prod")
	for _, tt := range []struct {
		faults jiratest.Faults
		status int
		code   fault.Code
	}{
		{jiratest.Faults{Status5xx: 503}, http.StatusBadGateway, "server_error"},
		{jiratest.Faults{Latency: time.Minute}, http.StatusGatewayTimeout, "timeout"},
	} {
		f.jira.SetFaults(tt.faults)
		resp, body := f.api("POST", "/api/links/prod/handshakes", nil)
		wantError(t, resp, body, tt.status, tt.code)
		if v := f.getLink("prod"); v.State != "failed" || v.LastError == nil || v.LastError.Code != tt.code {
			t.Errorf("%s: link %+v", tt.code, v.LastError)
		}
	}
}

// TestCreateLinkConsumerKeyTaken: two links cannot share a consumer key on
// one Jira (Jira keeps one public key per consumer key); on another Jira
// they may.
func TestCreateLinkConsumerKeyTaken(t *testing.T) {
	f := newFixture(t, options{})
	resp, body := f.api("POST", "/api/links", map[string]string{"name": "a", "jira_url": f.jiraSrv.URL, "service_account": "svc", "consumer_key": "same"})
	wantStatus(t, resp, body, http.StatusCreated)
	resp, body = f.api("POST", "/api/links", map[string]string{"name": "b", "jira_url": f.jiraSrv.URL + "/", "service_account": "svc", "consumer_key": "same"})
	wantError(t, resp, body, http.StatusConflict, CodeConsumerKeyTaken)
	wantContains(t, string(body), `\"a\"`)
	if resp, body := f.api("GET", "/api/links/b", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the refused link exists: %d %s", resp.StatusCode, body)
	}
	resp, body = f.api("POST", "/api/links", map[string]string{"name": "c", "jira_url": "https://other.example.com", "service_account": "svc", "consumer_key": "same"})
	wantStatus(t, resp, body, http.StatusCreated)
}

// TestDecodeWrongType: a field of the wrong type is refused with the type
// it must have, which is not always a string (projects is a list).
func TestDecodeWrongType(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{`{"name": 42}`, "The field name has the wrong type; it must be a string."},
		{`{"projects": "ABC"}`, "The field projects has the wrong type; it must be a list of strings."},
		{`["name"]`, "The body is not a JSON object, or a field has the wrong type."},
	} {
		var in LinkInput
		err := decodeJSON(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/links", strings.NewReader(tt.body)), &in)
		if e, ok := err.(*Error); !ok || e.Code != CodeBadRequest || e.Message != tt.want {
			t.Errorf("%s: %v, want %s", tt.body, err, tt.want)
		}
	}
}
