package server

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
)

// fieldErrors is the JSON error of an input with every invalid field.
type fieldErrors struct {
	Error struct {
		Code   fault.Code `json:"code"`
		Errors []struct {
			Code    fault.Code `json:"code"`
			Field   string     `json:"field"`
			Message string     `json:"message"`
		} `json:"errors"`
	} `json:"error"`
}

// fieldCodes lists an error's "field=code" pairs.
func fieldCodes(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	for _, e := range decode[fieldErrors](t, body).Error.Errors {
		if e.Message == "" {
			t.Errorf("field %s: error %s without a message", e.Field, e.Code)
		}
		out = append(out, e.Field+"="+string(e.Code))
	}
	return out
}

// patch sends PATCH /api/links/{name} with the admin token.
func (f *fixture) patch(name string, body any) (*http.Response, []byte) {
	f.t.Helper()
	return f.api("PATCH", "/api/links/"+name, body)
}

// TestEditLinkFields: each field changes alone; the key pair, the consumer
// key and the other fields stay.
func TestEditLinkFields(t *testing.T) {
	f := newFixture(t, options{})
	tls := httptest.NewTLSServer(f.jira)
	t.Cleanup(tls.Close)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tls.Certificate().Raw}))
	tests := []struct {
		field, value string
		got          func(v *LinkView) string
		want         string
	}{
		{"jira_url", f.jiraSrv.URL + "/jira/", func(v *LinkView) string { return v.JiraURL }, f.jiraSrv.URL + "/jira"},
		{"service_account", " alice ", func(v *LinkView) string { return v.ServiceAccount }, "alice"},
		{"environment", "production", func(v *LinkView) string { return v.Environment }, "production"},
		{"consumer_name", "Sync to Jira", func(v *LinkView) string { return v.AppLink.ConsumerName }, "Sync to Jira"},
		{"consumer_name", "", func(v *LinkView) string { return v.AppLink.ConsumerName }, "applink: applink-prod"},
		{"ca_pem", caPEM, func(v *LinkView) string { return v.CAPEM }, strings.TrimSpace(caPEM)},
	}
	before := f.createLink("prod")
	for _, tc := range tests {
		resp, body := f.patch("prod", map[string]string{tc.field: tc.value})
		wantStatus(t, resp, body, http.StatusOK)
		v := decode[*LinkView](t, body)
		if got := tc.got(v); got != tc.want {
			t.Errorf("%s %q: got %q, want %q", tc.field, tc.value, got, tc.want)
		}
		if got := f.getLink("prod"); tc.got(got) != tc.want {
			t.Errorf("%s %q: not kept: %q", tc.field, tc.value, tc.got(got))
		}
		if v.AppLink.PublicKeyFingerprint != before.AppLink.PublicKeyFingerprint || v.AppLink.ConsumerKey != before.AppLink.ConsumerKey {
			t.Errorf("%s: the key pair or consumer key changed: %s %s", tc.field, v.AppLink.PublicKeyFingerprint, v.AppLink.ConsumerKey)
		}
	}
	// Absent fields stayed: the last state holds every change above.
	v := f.getLink("prod")
	if v.JiraURL != f.jiraSrv.URL+"/jira" || v.ServiceAccount != "alice" || v.Environment != "production" || v.CAPEM == "" {
		t.Errorf("an absent field changed: %+v", v)
	}
	wantContains(t, f.logs.String(), `"event":"link_edited"`, `"changed":["ca_pem"]`)
	if strings.Contains(f.logs.String(), "BEGIN CERTIFICATE") {
		t.Error("the audit log holds the field's value")
	}
}

// TestEditServiceAccountRejudges: the kept token's approver is judged
// again against the new service account, both ways; the verdict, notices,
// badge and export gate follow, and the token itself stays.
func TestEditServiceAccountRejudges(t *testing.T) {
	f := newFixture(t, options{})
	v := f.authorized("prod")
	if *v.Verdict != oauth.VerdictMatch {
		t.Fatalf("verdict %s", *v.Verdict)
	}
	token := f.credentials("prod").AccessToken

	resp, body := f.patch("prod", map[string]string{"service_account": adminName})
	wantStatus(t, resp, body, http.StatusOK)
	v = f.getLink("prod")
	if *v.Verdict != oauth.VerdictMismatch || v.Badge().Label != "Wrong account" || *v.ServiceAccountMatch {
		t.Errorf("after the edit to %s: verdict %s, badge %v", adminName, *v.Verdict, v.Badge())
	}
	noticeOf(t, v, oauth.CodeWrongApprover)
	resp, body = f.api("GET", "/api/links/prod/credentials", nil)
	wantError(t, resp, body, http.StatusConflict, oauth.CodeApproverNotConfirmed)

	resp, body = f.patch("prod", map[string]string{"service_account": svcName})
	wantStatus(t, resp, body, http.StatusOK)
	v = f.getLink("prod")
	if *v.Verdict != oauth.VerdictMatch || v.Badge().Label != "Authorized" || len(v.Notices) != 0 {
		t.Errorf("back to %s: verdict %s, badge %v, notices %v", svcName, *v.Verdict, v.Badge(), noticeCodes(v))
	}
	if got := f.credentials("prod").AccessToken; got != token {
		t.Error("the edit replaced the token")
	}
	wantContains(t, f.logs.String(), `"changed":["service_account"]`, `"verdict":"mismatch"`)
}

// TestEditServiceAccountToApprover: a token approved by another account
// becomes the service account's when the link is corrected to name it.
func TestEditServiceAccountToApprover(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	resp, body := f.get(f.approve(h.AuthorizeURL, adminName, true), nil)
	wantStatus(t, resp, body, http.StatusOK)
	if v := f.getLink("prod"); *v.Verdict != oauth.VerdictMismatch {
		t.Fatalf("verdict %s", *v.Verdict)
	}
	resp, body = f.patch("prod", map[string]string{"service_account": adminName})
	wantStatus(t, resp, body, http.StatusOK)
	v := f.getLink("prod")
	if *v.Verdict != oauth.VerdictMatch || slices.Contains(noticeCodes(v), oauth.CodeWrongApprover) {
		t.Errorf("verdict %s, notices %v", *v.Verdict, noticeCodes(v))
	}
	f.credentials("prod") // exported without the acknowledgement
}

// TestEditJiraURLForgetsHealthAndAudit: the token's last health result and
// the permission audit no longer describe the link once its Jira URL
// changes; nothing is run again.
func TestEditJiraURLForgetsHealthAndAudit(t *testing.T) {
	f := newFixture(t, options{})
	f.grant()
	f.authorized("prod")
	resp, body := f.api("POST", "/api/links/prod/permissions", map[string]any{"projects": []string{"ABC"}})
	wantStatus(t, resp, body, http.StatusOK)
	f.jira.RevokeAccessTokens(svcName)
	resp, body = f.api("POST", "/api/links/prod/health", nil)
	wantStatus(t, resp, body, http.StatusOK)
	v := f.getLink("prod")
	if v.LastError == nil || v.LastError.Code != CodeTokenNotWorking || v.Permissions == nil {
		t.Fatalf("before: last_error %+v, permissions %v", v.LastError, v.Permissions)
	}
	hits := f.jiraHits.Load()
	resp, body = f.patch("prod", map[string]string{"jira_url": strings.Replace(f.jiraSrv.URL, "127.0.0.1", "localhost", 1)})
	wantStatus(t, resp, body, http.StatusOK)
	v = f.getLink("prod")
	if v.LastError != nil || v.Permissions != nil || slices.Contains(noticeCodes(v), CodeTokenNotWorking) || v.Badge().Label != "Authorized" {
		t.Errorf("after: last_error %+v, permissions %v, notices %v, badge %v", v.LastError, v.Permissions, noticeCodes(v), v.Badge())
	}
	if got := f.jiraHits.Load(); got != hits {
		t.Errorf("the edit called Jira %d times", got-hits)
	}
}

// TestEditJiraURLDropsPendingApprovals: the pending approvals of the old
// Jira URL end with the edit: their approval links no longer lead to Jira
// and the link no longer says an approval is pending; changing another
// field keeps them.
func TestEditJiraURLDropsPendingApprovals(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	resp, body := f.patch("prod", map[string]string{"environment": "staging"})
	wantStatus(t, resp, body, http.StatusOK)
	if resp, _ := f.get(h.ApprovalURL, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("after editing the environment the approval link answers %d, want 200", resp.StatusCode)
	}
	resp, body = f.patch("prod", map[string]string{"jira_url": strings.Replace(f.jiraSrv.URL, "127.0.0.1", "localhost", 1)})
	wantStatus(t, resp, body, http.StatusOK)
	if resp, _ := f.get(h.ApprovalURL, nil); resp.StatusCode == http.StatusOK {
		t.Error("the approval link of the old Jira URL still leads to Jira")
	}
	if v := f.getLink("prod"); v.State == stateAwaitingApproval || f.store.PendingHandshakes("prod", f.clock.Now()) != 0 {
		t.Errorf("after editing the Jira URL: state %s, %d approvals pending", v.State, f.store.PendingHandshakes("prod", f.clock.Now()))
	}
}

// TestEditInvalid: every invalid field at once, with creation's codes;
// nothing changes.
func TestEditInvalid(t *testing.T) {
	f := newFixture(t, options{})
	f.authorized("prod")
	before := f.getLink("prod")
	resp, body := f.patch("prod", map[string]string{"jira_url": "ftp://x", "service_account": " ", "environment": "a\x01b", "ca_pem": "nope"})
	wantError(t, resp, body, http.StatusBadRequest, CodeInvalidJiraURL)
	want := []string{"jira_url=invalid_jira_url", "service_account=invalid_input", "environment=invalid_input", "ca_pem=invalid_input"}
	if got := fieldCodes(t, body); !slices.Equal(got, want) {
		t.Errorf("errors %v, want %v", got, want)
	}
	// Creation reports the same codes for the same values.
	resp, body = f.api("POST", "/api/links", map[string]string{"name": "bad name", "jira_url": "ftp://x", "service_account": " ", "environment": "a\x01b", "ca_pem": "nope"})
	wantError(t, resp, body, http.StatusBadRequest, CodeInvalidName)
	if got := fieldCodes(t, body); !slices.Equal(got, append([]string{"name=invalid_name"}, want...)) {
		t.Errorf("creation: errors %v", got)
	}
	// The host guard, as on creation.
	resp, body = f.patch("prod", map[string]string{"jira_url": "http://169.254.169.254/"})
	wantError(t, resp, body, http.StatusBadRequest, CodeInvalidJiraURL)
	resp, body = f.patch("prod", map[string]string{"consumer_key": "other"})
	wantError(t, resp, body, http.StatusBadRequest, CodeUnknownField)
	if after := f.getLink("prod"); after.JiraURL != before.JiraURL || after.ServiceAccount != before.ServiceAccount ||
		after.Environment != before.Environment || after.CAPEM != before.CAPEM || *after.Verdict != *before.Verdict {
		t.Errorf("a refused edit changed the link: %+v", after)
	}
	resp, body = f.patch("nope", map[string]string{"environment": "x"})
	wantError(t, resp, body, http.StatusNotFound, CodeLinkNotFound)
	resp, body = f.apiWith("PATCH", "/api/links/prod", map[string]string{"environment": "x"}, "")
	wantError(t, resp, body, http.StatusUnauthorized, CodeUnauthorized)
	resp, body = f.apiWith("PATCH", "/api/links/prod", map[string]string{"environment": "x"}, "Bearer wrong")
	wantError(t, resp, body, http.StatusUnauthorized, CodeUnauthorized)
	if after := f.getLink("prod"); after.Environment != before.Environment {
		t.Errorf("an edit without the token changed the environment to %q", after.Environment)
	}
}

// TestEditCorrectsScheme is "What was seen" case 4: a link made with
// https:// against an http-only Jira is corrected in place, with the same
// key pair, and its approval then works.
func TestEditCorrectsScheme(t *testing.T) {
	f := newFixture(t, options{})
	resp, body := f.api("POST", "/api/links", map[string]string{
		"name": "prod", "jira_url": strings.Replace(f.jiraSrv.URL, "http://", "https://", 1), "service_account": svcName})
	wantStatus(t, resp, body, http.StatusCreated)
	v := decode[*LinkView](t, body)
	if err := f.jira.AddConsumer(v.AppLink.ConsumerKey, v.AppLink.ConsumerName, []byte(v.AppLink.PublicKey), ""); err != nil {
		t.Fatal(err)
	}
	resp, _ = f.api("POST", "/api/links/prod/handshakes", nil)
	if resp.StatusCode == http.StatusCreated {
		t.Fatal("an https link to an http-only Jira started an approval")
	}
	resp, body = f.patch("prod", map[string]string{"jira_url": f.jiraSrv.URL})
	wantStatus(t, resp, body, http.StatusOK)
	after := decode[*LinkView](t, body)
	if after.AppLink.PublicKeyFingerprint != v.AppLink.PublicKeyFingerprint || after.AppLink.PublicKey != v.AppLink.PublicKey {
		t.Errorf("the key pair changed: %s, was %s", after.AppLink.PublicKeyFingerprint, v.AppLink.PublicKeyFingerprint)
	}
	if after.AppLink.RequestTokenURL != f.jiraSrv.URL+"/plugins/servlet/oauth/request-token" {
		t.Errorf("request token URL %s", after.AppLink.RequestTokenURL)
	}
	h := f.startHandshake("prod")
	resp, body = f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	wantStatus(t, resp, body, http.StatusOK)
	if v := f.getLink("prod"); *v.Verdict != oauth.VerdictMatch {
		t.Errorf("verdict %s", *v.Verdict)
	}
}

// TestEditForm: the link page offers Edit; the form is prefilled, saves,
// shows every error at its field, and is refused from another site.
func TestEditForm(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	b := f.newBrowser()
	b.signIn()
	_, page := b.get("/links/prod")
	wantContains(t, page, `href="/links/prod/edit"`)
	resp, page := b.get("/links/prod/edit")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("edit page: %d", resp.StatusCode)
	}
	wantContains(t, page, `action="/links/prod/edit"`, `value="`+f.jiraSrv.URL+`"`, `value="`+svcName+`"`, `value="sandbox"`,
		`value="applink: applink-prod"`, "applink-prod")
	if strings.Contains(page, `name="name"`) || strings.Contains(page, `name="consumer_key"`) {
		t.Error("the edit form offers to change the name or the consumer key")
	}

	form := url.Values{"jira_url": {"ftp://x"}, "service_account": {""}, "environment": {"production"}, "consumer_name": {""}, "ca_pem": {""}}
	resp, page = b.post("/links/prod/edit", form)
	wantStatus(t, resp, []byte(page), http.StatusBadRequest)
	wantContains(t, page, `aria-describedby="jira_url-help jira_url-error" aria-invalid="true"`, `id="jira_url-error"`,
		`aria-describedby="service_account-help service_account-error" aria-invalid="true"`, `id="service_account-error"`,
		`value="production"`)
	if n := strings.Count(page, `aria-invalid="true"`); n != 2 {
		t.Errorf("%d fields marked invalid, want 2", n)
	}
	if v := f.getLink("prod"); v.Environment != "sandbox" {
		t.Errorf("a refused form changed the environment to %q", v.Environment)
	}

	form.Set("jira_url", f.jiraSrv.URL)
	form.Set("service_account", adminName)
	resp, _ = b.post("/links/prod/edit", form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/links/prod" {
		t.Fatalf("save: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if v := f.getLink("prod"); v.Environment != "production" || v.ServiceAccount != adminName || v.AppLink.ConsumerName != "applink: applink-prod" {
		t.Errorf("after the form: %+v", v)
	}

	resp, _ = b.get("/links/nope/edit")
	wantStatus(t, resp, nil, http.StatusNotFound)
	resp, _ = b.post("/links/nope/edit", form)
	wantStatus(t, resp, nil, http.StatusNotFound)
	// Signed out: the sign-in page, and nothing changes.
	resp, _ = f.newBrowser().post("/links/prod/edit", url.Values{"environment": {"evil"}})
	if resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "/links/prod" {
		t.Error("an edit without a session was saved")
	}
	if v := f.getLink("prod"); v.Environment != "production" {
		t.Errorf("environment %q", v.Environment)
	}
}

// TestEditConsumerKeyTaken: a new Jira URL where another link already uses
// the consumer key is refused (Jira holds one public key per consumer key);
// the same URL written otherwise is no change.
func TestEditConsumerKeyTaken(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("a")
	other := strings.Replace(f.jiraSrv.URL, "127.0.0.1", "localhost", 1)
	resp, body := f.api("POST", "/api/links", map[string]string{"name": "b", "jira_url": other, "service_account": svcName, "consumer_key": "applink-a"})
	wantStatus(t, resp, body, http.StatusCreated)
	resp, body = f.patch("b", map[string]string{"jira_url": f.jiraSrv.URL})
	wantError(t, resp, body, http.StatusConflict, CodeConsumerKeyTaken)
	if v := f.getLink("b"); v.JiraURL != other {
		t.Errorf("a refused edit moved the link to %s", v.JiraURL)
	}
	resp, body = f.patch("a", map[string]string{"jira_url": f.jiraSrv.URL + "/", "environment": "production"})
	wantStatus(t, resp, body, http.StatusOK)
	wantContains(t, f.logs.String(), `"changed":["environment"]`)
}
