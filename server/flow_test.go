package server

import (
	"context"
	"encoding/json"
	"github.com/applink/applink/oauth"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth/jiratest"
)

// callMyself calls /rest/api/2/myself with exported credentials through
// another OAuth 1.0a client (dghubble/oauth1 with RSA-SHA1), as an
// integration would.
func callMyself(t *testing.T, f *fixture, c credentials) map[string]any {
	t.Helper()
	key, err := keys.ParsePrivateKey([]byte(c.PrivateKeyPEM))
	if err != nil {
		t.Fatalf("the exported private key does not parse: %v", err)
	}
	cfg := &oauth1.Config{ConsumerKey: c.ConsumerKey, Signer: &oauth1.RSASigner{PrivateKey: key}}
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, f.jiraSrv.Client())
	client := cfg.Client(ctx, oauth1.NewToken(c.AccessToken, c.TokenSecret))
	resp, err := client.Get(c.JiraURL + "/rest/api/2/myself")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("myself with the exported credentials: %d %s", resp.StatusCode, body)
	}
	return decode[map[string]any](t, body)
}

func TestFlowRightApprover(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	wantContains(t, f.logs.String(), `"event":"handshake_started"`)
	if got := f.getLink("prod").State; got != "awaiting_approval" {
		t.Errorf("state = %s", got)
	}

	cb := f.approve(h.AuthorizeURL, svcName, true)
	if !strings.HasPrefix(cb, f.app.URL+"/oauth/callback?") {
		t.Fatalf("callback = %s", cb)
	}
	resp, body := f.get(cb, nil)
	wantStatus(t, resp, body, http.StatusOK)
	wantContains(t, string(body), "Approved by Jira Sync Service (svc-jira)")

	v := f.getLink("prod")
	if v.State != "authorized" || v.LastError != nil || len(v.Warnings) != 0 {
		t.Errorf("state %s, last_error %+v, warnings %q", v.State, v.LastError, v.Warnings)
	}
	wantID := oauth.Identity{Name: svcName, Key: "JIRAUSER10100", Email: "svc-jira@example.com", DisplayName: "Jira Sync Service"}
	if v.AuthorizedAs == nil || v.AuthorizedAs.Name != wantID.Name || v.AuthorizedAs.Key != wantID.Key ||
		v.AuthorizedAs.Email != wantID.Email || v.AuthorizedAs.DisplayName != wantID.DisplayName {
		t.Errorf("authorized_as = %+v, want %+v", v.AuthorizedAs, wantID)
	}
	if v.ServiceAccountMatch == nil || !*v.ServiceAccountMatch {
		t.Errorf("service_account_match = %v", v.ServiceAccountMatch)
	}
	if v.AuthorizedAt == nil || !v.AuthorizedAt.Equal(f.clock.Now()) {
		t.Errorf("authorized_at = %v, want %v", v.AuthorizedAt, f.clock.Now())
	}
	if v.TokenExpiresAt == nil || !v.TokenExpiresAt.After(f.clock.Now().AddDate(1, 0, 0)) {
		t.Errorf("token_expires_at = %v", v.TokenExpiresAt)
	}

	c := f.credentials("prod")
	if c.JiraURL != f.jiraSrv.URL || c.ConsumerKey != "applink-prod" || c.AccessToken == "" || c.TokenSecret == "" {
		t.Errorf("credentials = %+v", c)
	}
	if me := callMyself(t, f, c); me["name"] != svcName {
		t.Errorf("myself with the exported credentials = %v", me)
	}
	logs := f.logs.String()
	wantContains(t, logs, `"event":"approved"`, `"approver":"Jira Sync Service (svc-jira)"`, `"event":"credentials_exported"`)
	if strings.Contains(logs, `"event":"mismatch"`) {
		t.Error("mismatch logged for the right approver")
	}
	f.storedSecrets("prod")
}

func TestFlowCloud(t *testing.T) {
	f := newFixture(t, options{flavor: jiratest.Cloud})
	f.createLink("cloud")
	h := f.startHandshake("cloud")
	resp, body := f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	wantStatus(t, resp, body, http.StatusOK)
	v := f.getLink("cloud")
	if v.State != "authorized" || v.AuthorizedAs == nil || v.AuthorizedAs.AccountID != svcAccount || v.AuthorizedAs.Name != "" {
		t.Fatalf("link = %+v, authorized_as %+v", v, v.AuthorizedAs)
	}
	if v.ServiceAccountMatch == nil || !*v.ServiceAccountMatch {
		t.Errorf("service_account_match = %v", v.ServiceAccountMatch)
	}
	if me := callMyself(t, f, f.credentials("cloud")); me["accountId"] != svcAccount {
		t.Errorf("myself = %v", me)
	}
	f.storedSecrets("cloud")
}

func TestFlowWrongApproverWarn(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	resp, body := f.get(f.approve(h.AuthorizeURL, adminName, true), nil)
	wantStatus(t, resp, body, http.StatusOK)
	wantContains(t, string(body), "Approved by the wrong account", "Alice Admin (alice)", "alert danger big",
		`data-notice="wrong_approver"`, "View OAuth Access Tokens", "private (incognito)")

	v := f.getLink("prod")
	if v.State != "authorized" || v.ServiceAccountMatch == nil || *v.ServiceAccountMatch {
		t.Errorf("state %s, match %v", v.State, v.ServiceAccountMatch)
	}
	if v.AuthorizedAs == nil || v.AuthorizedAs.Name != adminName {
		t.Errorf("authorized_as = %+v", v.AuthorizedAs)
	}
	if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "Alice Admin (alice)") || !strings.Contains(v.Warnings[0], "svc-jira") {
		t.Errorf("warnings = %q", v.Warnings)
	}
	if v.Verdict == nil || *v.Verdict != oauth.VerdictMismatch || len(v.Notices) != 1 || v.Notices[0].Code != oauth.CodeWrongApprover || v.Notices[0].Severity != oauth.SeverityDanger {
		t.Errorf("verdict %v, notices %+v", v.Verdict, v.Notices)
	}
	wantContains(t, f.logs.String(), `"event":"approved"`, `"verdict":"mismatch"`, `"approver":"Alice Admin (alice)"`)
	// The token is kept and works, as alice, once the export is acknowledged.
	resp, body = f.api("GET", "/api/links/prod/credentials", nil)
	wantError(t, resp, body, http.StatusConflict, oauth.CodeApproverNotConfirmed)
	wantContains(t, string(body), "Alice Admin (alice)")
	if me := callMyself(t, f, f.credentials("prod", true)); me["name"] != adminName {
		t.Errorf("myself = %v", me)
	}

	// Approving again as the service account clears the warning.
	h = f.startHandshake("prod")
	resp, body = f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	wantStatus(t, resp, body, http.StatusOK)
	if v := f.getLink("prod"); len(v.Warnings) != 0 || !*v.ServiceAccountMatch || v.AuthorizedAs.Name != svcName {
		t.Errorf("after approving as the service account: %+v", v)
	}
	f.storedSecrets("prod")
}

func TestFlowWrongApproverReject(t *testing.T) {
	f := newFixture(t, options{onMismatch: MismatchReject})
	f.createLink("prod")

	// A good token first.
	h := f.startHandshake("prod")
	resp, body := f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	wantStatus(t, resp, body, http.StatusOK)
	good := f.credentials("prod")
	approvedAt := f.getLink("prod").AuthorizedAt

	// Then the wrong account approves: thrown away, the good token stays.
	f.clock.Advance(time.Minute)
	h = f.startHandshake("prod")
	resp, body = f.get(f.approve(h.AuthorizeURL, adminName, true), nil)
	wantStatus(t, resp, body, http.StatusForbidden)
	wantContains(t, string(body), "Approved by the wrong account", "token was thrown away", "Alice Admin (alice)")
	v := f.getLink("prod")
	// The good token still works, so the link stays authorized; last_error
	// tells what became of the new attempt.
	if v.State != "authorized" || v.LastError == nil || v.LastError.Code != "wrong_approver" {
		t.Fatalf("state %s, last_error %+v", v.State, v.LastError)
	}
	if v.AuthorizedAs == nil || v.AuthorizedAs.Name != svcName || !*v.ServiceAccountMatch || !v.AuthorizedAt.Equal(*approvedAt) {
		t.Errorf("the good approval was lost: %+v", v)
	}
	if got := f.credentials("prod"); got != good {
		t.Error("the good token was replaced by the rejected one")
	}
	wantContains(t, f.logs.String(), `"policy":"reject"`)

	// Without a previous token: nothing to export.
	f.createLink("other")
	h = f.startHandshake("other")
	resp, body = f.get(f.approve(h.AuthorizeURL, adminName, true), nil)
	wantStatus(t, resp, body, http.StatusForbidden)
	if v := f.getLink("other"); v.State != "failed" || v.AuthorizedAs != nil {
		t.Errorf("other = %+v", v)
	}
	resp, body = f.api("GET", "/api/links/other/credentials", nil)
	wantError(t, resp, body, http.StatusConflict, CodeNotApproved)
	f.storedSecrets("prod")
}

func TestFlowDeny(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	cb := f.approve(h.AuthorizeURL, svcName, false)
	if got, _ := url.Parse(cb); got.Query().Get("oauth_verifier") != "denied" {
		t.Fatalf("callback = %s", cb)
	}
	resp, body := f.get(cb, nil)
	wantStatus(t, resp, body, http.StatusForbidden)
	wantContains(t, string(body), "Access denied")
	v := f.getLink("prod")
	if v.State != "denied" || v.LastError == nil || v.LastError.Code != "denied" || v.LastError.Hint == "" {
		t.Errorf("state %s, last_error %+v", v.State, v.LastError)
	}
	wantContains(t, f.logs.String(), `"event":"denied"`)
	resp, body = f.api("GET", "/api/links/prod/credentials", nil)
	wantError(t, resp, body, http.StatusConflict, CodeNotApproved)
}

// TestCallbackExpired: a callback more than 10 minutes after the start
// gets a 410, changes nothing and does not call Jira.
func TestCallbackExpired(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	cb := f.approve(h.AuthorizeURL, svcName, true)
	before := f.getLink("prod")
	f.clock.Advance(10*time.Minute + time.Second)
	resp, body := f.get(h.ApprovalURL, nil)
	wantStatus(t, resp, body, http.StatusGone)
	wantContains(t, string(body), "Ask the applink admin for a new approval link")
	hits := f.jiraHits.Load()
	resp, body = f.get(cb, nil)
	wantStatus(t, resp, body, http.StatusGone)
	wantContains(t, string(body), "more than 10 minutes")
	if got := f.jiraHits.Load(); got != hits {
		t.Errorf("Jira was called %d times", got-hits)
	}
	// The record is not changed, but the link now reads as failed: its
	// request token has expired.
	if after := f.getLink("prod"); before.State != "awaiting_approval" || after.State != "failed" ||
		after.LastError == nil || after.LastError.Code != "request_expired" || after.AuthorizedAs != nil {
		t.Errorf("link after expiry: %+v (before: %s)", after, before.State)
	}
	// Pruned now: a second delivery is unknown, still without Jira.
	resp, body = f.get(cb, nil)
	wantStatus(t, resp, body, http.StatusNotFound)
	if got := f.jiraHits.Load(); got != hits {
		t.Errorf("Jira was called %d times", got-hits)
	}
}

// TestCallbackReplay: a reload of the callback page shows the same result
// without calling Jira, for as long as the request token would have
// lived; a second delivery with another verifier, or after that, is
// refused; none changes anything.
func TestCallbackReplay(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	cb := f.approve(h.AuthorizeURL, svcName, true)
	// A HEAD (a link checker) does not use the handshake up.
	req, _ := http.NewRequest("HEAD", cb, nil)
	if resp, _ := f.do(req, nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("HEAD: %d", resp.StatusCode)
	}
	resp, body := f.get(cb, nil)
	wantStatus(t, resp, body, http.StatusOK)
	first := withoutRequestID(body)
	before, _ := json.Marshal(f.getLink("prod"))
	tokenBefore := f.credentials("prod")

	hits := f.jiraHits.Load()
	resp, body = f.get(cb, nil)
	wantStatus(t, resp, body, http.StatusOK)
	if got := withoutRequestID(body); got != first {
		t.Errorf("the reload shows another page:\n%s\nwant:\n%s", got, first)
	}
	u, err := url.Parse(cb)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("oauth_verifier", "another"+q.Get("oauth_verifier"))
	u.RawQuery = q.Encode()
	resp, body = f.get(u.String(), nil)
	wantStatus(t, resp, body, http.StatusNotFound)
	wantContains(t, string(body), "did not start this approval")
	f.clock.Advance(h.ExpiresAt.Sub(f.clock.Now()))
	resp, body = f.get(cb, nil)
	wantStatus(t, resp, body, http.StatusNotFound)
	if got := f.jiraHits.Load(); got != hits {
		t.Errorf("Jira was called %d times", got-hits)
	}
	after, _ := json.Marshal(f.getLink("prod"))
	if string(before) != string(after) {
		t.Errorf("link changed:\n%s\n%s", before, after)
	}
	if f.credentials("prod") != tokenBefore {
		t.Error("token changed")
	}
	// The approval link is used up too.
	resp, body = f.get(h.ApprovalURL, nil)
	wantStatus(t, resp, body, http.StatusNotFound)
}

// withoutRequestID is a page without its request ids, which differ
// between two answers.
func withoutRequestID(page []byte) string {
	return regexp.MustCompile(`[Rr]equest [0-9a-v]{20}`).ReplaceAllString(string(page), "")
}

// TestCallbackForged: callbacks applink did not start, or malformed, are
// refused without calling Jira.
func TestCallbackForged(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	au, err := url.Parse(h.AuthorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	rt := au.Query().Get("oauth_token")
	hits := f.jiraHits.Load()
	for _, tt := range []struct {
		query  string
		status int
	}{
		{"oauth_token=forged-token&oauth_verifier=abc123", http.StatusNotFound},
		{"oauth_token=" + url.QueryEscape(rt) + "x&oauth_verifier=abc123", http.StatusNotFound},
		{"oauth_token=" + url.QueryEscape(rt), http.StatusBadRequest},
		{"oauth_verifier=abc123", http.StatusBadRequest},
		{"", http.StatusBadRequest},
		{"oauth_token=" + url.QueryEscape(rt) + "&oauth_token=x&oauth_verifier=abc123", http.StatusBadRequest},
		{"oauth_token=" + url.QueryEscape(rt) + "&oauth_verifier=" + strings.Repeat("a", 600), http.StatusBadRequest},
		{"oauth_token=%zz&oauth_verifier=abc", http.StatusBadRequest},
	} {
		resp, body := f.get(f.app.URL+"/oauth/callback?"+tt.query, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("?%.60s: status %d, want %d: %s", tt.query, resp.StatusCode, tt.status, body)
		}
	}
	if got := f.jiraHits.Load(); got != hits {
		t.Errorf("Jira was called %d times", got-hits)
	}
	if v := f.getLink("prod"); v.State != "awaiting_approval" {
		t.Errorf("state = %s", v.State)
	}
	// The real handshake still works.
	resp, body := f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	wantStatus(t, resp, body, http.StatusOK)
}

// TestRestartMidHandshake: applink restarts between the approval link and
// the callback; nothing is lost.
func TestRestartMidHandshake(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	f.restart()
	resp, body := f.get(h.ApprovalURL, nil)
	wantStatus(t, resp, body, http.StatusOK)
	cb := f.approve(h.AuthorizeURL, svcName, true)
	f.restart()
	resp, body = f.get(cb, nil)
	wantStatus(t, resp, body, http.StatusOK)
	wantContains(t, string(body), "Approved by Jira Sync Service")
	f.restart()
	v := f.getLink("prod")
	if v.State != "authorized" || v.AuthorizedAs == nil || v.AuthorizedAs.Name != svcName {
		t.Errorf("after restart: %+v", v)
	}
	callMyself(t, f, f.credentials("prod"))
}

// TestNewHandshakeKeepsToken: starting a new handshake does not touch the
// token until a new good one replaces it.
func TestNewHandshakeKeepsToken(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	first := f.credentials("prod")

	h = f.startHandshake("prod")
	v := f.getLink("prod")
	if v.State != "awaiting_approval" || v.AuthorizedAs == nil || v.AuthorizedAs.Name != svcName {
		t.Errorf("during the new handshake: %+v", v)
	}
	if f.credentials("prod") != first {
		t.Error("starting a handshake changed the token")
	}
	// A denied re-approval keeps it too.
	f.get(f.approve(h.AuthorizeURL, svcName, false), nil)
	if f.credentials("prod") != first {
		t.Error("a denial changed the token")
	}
	h = f.startHandshake("prod")
	f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	if second := f.credentials("prod"); second.AccessToken == first.AccessToken {
		t.Error("a new approval did not replace the token")
	}
}

func TestTokenExpiryWarning(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	exp := f.getLink("prod").TokenExpiresAt
	f.clock.Advance(exp.Sub(f.clock.Now()) + time.Hour)
	v := f.getLink("prod")
	if len(v.Notices) != 1 || v.Notices[0].Code != oauth.CodeTokenExpired || len(v.Warnings) != 1 || v.Warnings[0] != v.Notices[0].Message {
		t.Errorf("notices = %+v, warnings = %q", v.Notices, v.Warnings)
	}
}

func TestApprovalPage(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	resp, body := f.get(h.ApprovalURL, nil)
	wantStatus(t, resp, body, http.StatusOK)
	page := html.UnescapeString(string(body))
	wantContains(t, page, f.jiraSrv.URL, "Log in as svc-jira, not as yourself", "private", "Continue to Jira",
		`href="`+h.AuthorizeURL+`"`)
	// The warning comes before the way to Jira.
	if strings.Index(page, "not as yourself") > strings.Index(page, "Continue to Jira") {
		t.Error("the warning comes after the link to Jira")
	}
	for _, id := range []string{"0123456789abcdef0123456789abcdef", "short", "..%2F..%2Fetc"} {
		resp, body := f.get(f.app.URL+"/approve/"+id, nil)
		wantStatus(t, resp, body, http.StatusNotFound)
		wantContains(t, string(body), "Ask the applink admin for a new approval link")
	}
	// The access log hides approval ids.
	if id := strings.TrimPrefix(h.ApprovalURL, f.app.URL+"/approve/"); strings.Contains(f.logs.String(), id) {
		t.Error("the approval id is in the log")
	}
}

// TestExpiredReapprovalKeepsAuthorized: a link with a token whose new
// handshake nobody completes is authorized again once the request token
// has expired, with request_expired as last_error.
func TestExpiredReapprovalKeepsAuthorized(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	f.startHandshake("prod")
	if v := f.getLink("prod"); v.State != "awaiting_approval" {
		t.Fatalf("during the new handshake: state %s", v.State)
	}
	f.clock.Advance(oauth.RequestTokenLifetime)
	v := f.getLink("prod")
	if v.State != "authorized" || v.LastError == nil || v.LastError.Code != "request_expired" || v.AuthorizedAs == nil {
		t.Errorf("after the request token expired: state %s, last_error %+v, authorized_as %+v", v.State, v.LastError, v.AuthorizedAs)
	}
}

// TestCallbackSurvivesBrowserLeaving: the approver's browser going away
// while applink exchanges the token does not lose the approval.
func TestCallbackSurvivesBrowserLeaving(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	cb := f.approve(h.AuthorizeURL, svcName, true)
	u, err := url.Parse(cb)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the browser is gone before applink even starts
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, u.RequestURI(), nil)
	f.srv.Handler().ServeHTTP(httptest.NewRecorder(), req)
	v := f.getLink("prod")
	if v.State != "authorized" || v.AuthorizedAs == nil || v.AuthorizedAs.Name != svcName {
		t.Errorf("after a callback whose browser left: state %s, authorized_as %+v, last_error %+v", v.State, v.AuthorizedAs, v.LastError)
	}
}

// failMyself is a transport that answers 500 for /rest/api/2/myself and
// passes everything else to Jira.
type failMyself struct{}

func (failMyself) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == oauth.MyselfPath {
		return &http.Response{StatusCode: http.StatusInternalServerError, Status: "500 Internal Server Error",
			Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(strings.NewReader("boom")), Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestMyselfFailureKeepsUnverifiedToken: when Jira issues the token but
// cannot say who approved it, the token is kept with verdict unknown and
// the approver_unknown notice (warn), or thrown away (reject).
func TestMyselfFailureKeepsUnverifiedToken(t *testing.T) {
	for _, policy := range []string{MismatchWarn, MismatchReject} {
		t.Run(policy, func(t *testing.T) {
			f := newFixture(t, options{onMismatch: policy, client: &http.Client{Transport: failMyself{}, Timeout: 10 * time.Second}})
			f.createLink("prod")
			h := f.startHandshake("prod")
			f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
			v := f.getLink("prod")
			ack := "1"
			if v.AuthorizedAt != nil {
				ack = url.QueryEscape(v.AuthorizedAt.Format(time.RFC3339Nano))
			}
			resp, body := f.api(http.MethodGet, "/api/links/prod/credentials?accept_approver="+ack, nil)
			if policy == MismatchReject {
				if v.State != "failed" || v.Verdict != nil || v.LastError == nil || v.LastError.Code != oauth.CodeApproverUnknown ||
					resp.StatusCode != http.StatusConflict {
					t.Errorf("reject: state %s, verdict %v, last_error %+v, credentials status %d", v.State, v.Verdict, v.LastError, resp.StatusCode)
				}
				return
			}
			if v.State != "authorized" || v.AuthorizedAs != nil || v.ServiceAccountMatch != nil || v.Verdict == nil ||
				*v.Verdict != oauth.VerdictUnknown || len(v.Notices) != 1 || v.Notices[0].Code != oauth.CodeApproverUnknown ||
				!strings.Contains(v.Notices[0].Message, "500") {
				t.Errorf("warn: state %s, authorized_as %+v, match %v, verdict %v, notices %+v", v.State, v.AuthorizedAs, v.ServiceAccountMatch, v.Verdict, v.Notices)
			}
			wantStatus(t, resp, body, http.StatusOK)
		})
	}
}

// TestStartupReportsDamagedFiles: a damaged file in the data folder is
// logged when the server starts, by name; a handshake's by a hash of its
// id (a secret): its sha256 starts 3eb1bd43.
func TestStartupReportsDamagedFiles(t *testing.T) {
	f := newFixture(t, options{})
	bad := filepath.Join(f.dir, "handshakes", "0123456789abcdef0123456789abcdef.json")
	if err := os.MkdirAll(filepath.Dir(bad), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.restart()
	wantContains(t, f.logs.String(), "damaged or unreadable file", "sha256 3eb1bd43")
	if strings.Contains(f.logs.String(), "0123456789abcdef0123456789abcdef") {
		t.Error("the handshake's id is logged")
	}
}

// TestCloudEmailUnverified: on Cloud, a service account designated by
// email while Jira hides the approver's email cannot be confirmed: the
// token is kept (even under reject) with a CHECK notice, and the match is
// unknown (null), not false.
func TestCloudEmailUnverified(t *testing.T) {
	f := newFixture(t, options{flavor: jiratest.Cloud, onMismatch: MismatchReject, serviceAccount: "svc-jira@example.com"})
	f.jira.AddUser(jiratest.User{Name: svcName, Key: "JIRAUSER10100", AccountID: svcAccount,
		Email: "svc-jira@example.com", DisplayName: "Jira Sync Service", Password: svcPassword, HideEmail: true})
	f.createLink("prod")
	h := f.startHandshake("prod")
	resp, body := f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	wantStatus(t, resp, body, http.StatusOK)
	wantContains(t, string(body), "cannot confirm by whom", `data-notice="approver_unverifiable"`, svcAccount)
	if strings.Contains(string(body), "wrong_approver") {
		t.Error("the callback page calls an unconfirmed approver the wrong account")
	}
	v := f.getLink("prod")
	if v.State != "authorized" || v.ServiceAccountMatch != nil || v.AuthorizedAs == nil || v.AuthorizedAs.AccountID != svcAccount ||
		v.Verdict == nil || *v.Verdict != oauth.VerdictUnverifiable || len(v.Notices) != 1 || v.Notices[0].Severity != oauth.SeverityWarning {
		t.Errorf("link = state %s, match %v, authorized_as %+v, verdict %v, notices %+v", v.State, v.ServiceAccountMatch, v.AuthorizedAs, v.Verdict, v.Notices)
	}
	wantContains(t, f.logs.String(), `"event":"approved"`, `"verdict":"unverifiable"`)
}
