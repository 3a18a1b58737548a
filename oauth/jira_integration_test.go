package oauth_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// These tests run the consumer against the simulated Jira of package
// jiratest, which verifies signatures with its own base-string code.

const (
	svcName     = "svc-jira"
	svcPassword = "svc-password"
	svcAccount  = "5b10ac8d82e05b22cc7d4ef5"
	adminName   = "jadmin"
	adminPass   = "admin-password"
	consumerKey = "applink-it"
)

// t0 is the instant on the consumer's and the simulated Jira's clocks;
// TestJiraExpiredRequestToken moves both.
var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

type jiraEnv struct {
	jira *jiratest.Jira
	srv  *httptest.Server
	c    *oauth.Consumer
}

func newJiraEnv(t *testing.T, opts jiratest.Options) *jiraEnv {
	t.Helper()
	opts.Now = fixedClock(t0)
	j, srv := jiratest.NewServer(t, opts,
		jiratest.User{Name: svcName, Key: "JIRAUSER10100", AccountID: svcAccount,
			Email: "svc-jira@example.com", DisplayName: "Jira Align Service", Password: svcPassword,
			Permissions: map[string][]string{"ABC": oauth.SyncPermissions, "": oauth.GlobalSyncPermissions}},
		jiratest.User{Name: adminName, Key: "JIRAUSER10000", AccountID: "557058:f0e1d2c3",
			Email: "jane.admin@example.com", DisplayName: "Jane Admin", Password: adminPass,
			Permissions: map[string][]string{"ABC": {"BROWSE_PROJECTS"}}})
	if err := j.AddConsumer(consumerKey, "applink tests", publicPEM(t, testKey()), ""); err != nil {
		t.Fatalf("AddConsumer: %v", err)
	}
	c, err := oauth.NewConsumer(srv.URL+opts.ContextPath, consumerKey, testKey())
	if err != nil {
		t.Fatal(err)
	}
	c.Now = fixedClock(t0)
	c.Timeout = 10 * time.Second
	return &jiraEnv{jira: j, srv: srv, c: c}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// approve gets a request token and approves it as user through the
// browser, returning the request token and the verifier.
func (e *jiraEnv) approve(t *testing.T, callback, user, password string, allow bool) (*oauth.RequestToken, string) {
	t.Helper()
	ctx := testCtx(t)
	rt, err := e.c.RequestToken(ctx, callback)
	if err != nil {
		t.Fatalf("RequestToken: %v", err)
	}
	cb, verifier, err := (&jiratest.Browser{}).Approve(ctx, rt.AuthorizeURL, user, password, allow)
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if callback == "" {
		if cb != nil {
			t.Fatalf("oob approval redirected to %s", cb.Redacted())
		}
	} else {
		// Jira sends the browser to the callback with the token and the
		// verifier, as the CLI's listener receives them.
		if cb == nil || cb.Query().Get("oauth_token") != rt.Token.Token || cb.Query().Get("oauth_verifier") == "" {
			t.Fatalf("callback %v does not carry the request token %q and a verifier", cb, rt.Token.Token)
		}
		verifier = cb.Query().Get("oauth_verifier")
		if !strings.HasPrefix(cb.String(), callback) {
			t.Errorf("callback %s is not under %s", cb.Redacted(), callback)
		}
	}
	return rt, verifier
}

func TestJiraHandshake(t *testing.T) {
	for _, tt := range []struct {
		flavor   jiratest.Flavor
		account  string // the service account as the admin writes it
		callback string
		context  string
		deploy   string
	}{
		{jiratest.Server, "SVC-Jira", "http://127.0.0.1:1/callback", "/jira", "Server"},
		{jiratest.Server, "JIRAUSER10100", "", "", "Server"},
		{jiratest.Cloud, svcAccount, "http://127.0.0.1:1/callback", "", "Cloud"},
		{jiratest.Cloud, "svc-jira@example.com", "", "", "Cloud"},
	} {
		t.Run(string(tt.flavor)+"/"+tt.account, func(t *testing.T) {
			e := newJiraEnv(t, jiratest.Options{Flavor: tt.flavor, ContextPath: tt.context})
			rt, verifier := e.approve(t, tt.callback, svcName, svcPassword, true)
			res, err := e.c.Complete(testCtx(t), rt, verifier, tt.account, "")
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if res.Verdict != oauth.VerdictMatch || res.Notice() != nil {
				t.Errorf("approver %s does not match %q: %+v", res.Approver, tt.account, res.Notice())
			}
			at := res.AccessToken
			if at.Token.Token == "" || at.Secret == "" || at.Token.Token == rt.Token.Token {
				t.Errorf("access token %+v", at.Token)
			}
			if want := t0.Add(jiratest.DefaultAccessTokenTTL); !at.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt = %v, want %v (what Jira said)", at.ExpiresAt, want)
			}
			if tt.flavor == jiratest.Cloud && (res.Approver.AccountID != svcAccount || res.Approver.Name != "") {
				t.Errorf("Cloud approver %+v", res.Approver)
			}
			if tt.flavor == jiratest.Server && (res.Approver.Name != svcName || res.Approver.Key != "JIRAUSER10100") {
				t.Errorf("Server approver %+v", res.Approver)
			}

			// The token works for what comes next.
			rep, err := e.c.CheckPermissions(testCtx(t), at.Token, "ABC", oauth.SyncPermissions)
			if err != nil || !rep.OK() {
				t.Errorf("CheckPermissions = %+v, %v", rep, err)
			}
			rep, err = e.c.CheckPermissions(testCtx(t), at.Token, "", oauth.GlobalSyncPermissions)
			if err != nil || !rep.OK() {
				t.Errorf("global CheckPermissions = %+v, %v", rep, err)
			}
			si, err := e.c.ServerInfo(testCtx(t))
			if err != nil || si.DeploymentType != tt.deploy {
				t.Errorf("ServerInfo = %+v, %v", si, err)
			}
		})
	}
}

func TestJiraSignedGetWithRepeatedKeys(t *testing.T) {
	e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Server})
	rt, verifier := e.approve(t, "", svcName, svcPassword, true)
	at, err := e.c.AccessToken(testCtx(t), rt, verifier)
	if err != nil {
		t.Fatal(err)
	}
	body, err := e.c.As(at.Token).Get(testCtx(t),
		jiratest.PathSearch+"?jql=project%20%3D%20ABC&fields=summary&fields=status&fields=summary&expand=names", "search")
	if err != nil {
		t.Fatalf("signed GET with repeated keys: %v", err)
	}
	var found struct{ Issues []json.RawMessage }
	if err := json.Unmarshal(body, &found); err != nil || found.Issues == nil {
		t.Errorf("body %s", body)
	}
	// Repeated keys on another path.
	if _, err := e.c.As(at.Token).Get(testCtx(t), jiratest.PathMyself+"?expand=groups&expand=applicationRoles", "myself"); err != nil {
		t.Errorf("signed GET of myself: %v", err)
	}
}

func TestJiraWrongPublicKey(t *testing.T) {
	e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Server})
	e.c.PrivateKey = otherKey() // Jira holds testKey's public half
	_, err := e.c.RequestToken(testCtx(t), "oob")
	fe := asError(t, err)
	if fe.Code != oauth.CodeSignatureInvalid || fe.Status != 401 || fe.Step != "request_token" {
		t.Fatalf("got %s %d at %s: %v", fe.Code, fe.Status, fe.Step, fe)
	}
	if fe.SignatureBaseString == "" || fe.SignatureBaseString != fe.ExpectedBaseString {
		t.Errorf("Jira's base string %q, ours %q: want both, equal", fe.SignatureBaseString, fe.ExpectedBaseString)
	}
	if !strings.Contains(fe.Message, "Public Key") || !strings.Contains(fe.Hint, "fingerprints") {
		t.Errorf("message %q, hint %q", fe.Message, fe.Hint)
	}
}

func TestJiraUnknownConsumerKey(t *testing.T) {
	e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Cloud})
	e.c.ConsumerKey = "applink-lt" // a typo
	_, err := e.c.RequestToken(testCtx(t), "oob")
	fe := asError(t, err)
	if fe.Code != oauth.CodeConsumerKeyUnknown || !strings.Contains(fe.Error(), `"applink-lt"`) {
		t.Errorf("got %s: %v", fe.Code, fe)
	}
}

func TestJiraClockSkew(t *testing.T) {
	for _, offset := range []time.Duration{20 * time.Minute, -7 * time.Minute} {
		e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Server})
		e.jira.SetFaults(jiratest.Faults{ClockOffset: offset})
		_, err := e.c.RequestToken(testCtx(t), "oob")
		fe := asError(t, err)
		want := int64(offset / time.Second)
		if fe.Code != oauth.CodeTimestampRefused || fe.ClockSkew < want-1 || fe.ClockSkew > want+1 {
			t.Errorf("offset %v: got %s, ClockSkew %d, want %d", offset, fe.Code, fe.ClockSkew, want)
		}
		dir := "ahead of"
		if offset < 0 {
			dir = "behind"
		}
		if !strings.Contains(fe.Message, dir) || !strings.Contains(fe.Hint, "NTP") {
			t.Errorf("offset %v: message %q, hint %q", offset, fe.Message, fe.Hint)
		}
	}
}

func TestJiraFaults(t *testing.T) {
	tests := []struct {
		name    string
		faults  jiratest.Faults
		timeout time.Duration
		code    oauth.Code
	}{
		{"sso page", jiratest.Faults{SSOPage: true}, 0, oauth.CodeHTMLPage},
		{"slow", jiratest.Faults{Latency: time.Hour}, 100 * time.Millisecond, oauth.CodeTimeout},
		{"502", jiratest.Faults{Status5xx: 502}, 0, oauth.CodeServerError},
		{"503", jiratest.Faults{Status5xx: 503}, 0, oauth.CodeServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Server})
			e.jira.SetFaults(tt.faults)
			if tt.timeout > 0 {
				e.c.Timeout = tt.timeout
			}
			_, err := e.c.RequestToken(testCtx(t), "oob")
			if fe := asError(t, err); fe.Code != tt.code || fe.Step != "request_token" {
				t.Errorf("got %s at %s, want %s: %v", fe.Code, fe.Step, tt.code, fe)
			}
		})
	}
}

func TestJiraContextPathMissing(t *testing.T) {
	e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Server, ContextPath: "/jira"})
	c, err := oauth.NewConsumer(e.srv.URL, consumerKey, testKey()) // without /jira
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RequestToken(testCtx(t), "oob")
	if fe := asError(t, err); fe.Code != oauth.CodeNotFound || !strings.Contains(fe.Hint, "/jira") {
		t.Errorf("got %s: %v", fe.Code, fe)
	}
}

func TestJiraDeny(t *testing.T) {
	for _, callback := range []string{"http://127.0.0.1:1/callback", ""} {
		e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Server})
		rt, verifier := e.approve(t, callback, svcName, svcPassword, false)
		if verifier != "denied" {
			t.Errorf("verifier after Deny = %q, want denied", verifier)
		}
		res, err := e.c.Complete(testCtx(t), rt, verifier, svcName, "")
		if fe := asError(t, err); fe.Code != oauth.CodeDenied || res != nil {
			t.Errorf("got %+v, %v", res, err)
		}
	}
}

func TestJiraApprovedByWrongUser(t *testing.T) {
	e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Server})
	rt, verifier := e.approve(t, "http://127.0.0.1:1/callback", adminName, adminPass, true)
	res, err := e.c.Complete(testCtx(t), rt, verifier, svcName, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != oauth.VerdictMismatch || res.Approver.Name != adminName {
		t.Errorf("verdict %v approver %+v", res.Verdict, res.Approver)
	}
	if n := res.Notice(); n == nil || n.Code != oauth.CodeWrongApprover || !strings.Contains(n.Message, "Jane Admin (jadmin)") {
		t.Errorf("notice %+v", n)
	}
	// The admin's token works, and lacks what the sync needs.
	rep, err := e.c.CheckPermissions(testCtx(t), res.AccessToken.Token, "ABC", oauth.SyncPermissions)
	if err != nil || rep.OK() || len(rep.Have) != 1 {
		t.Errorf("CheckPermissions = %+v, %v", rep, err)
	}
}

func TestJiraExpiredRequestToken(t *testing.T) {
	e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Server})
	rt, verifier := e.approve(t, "", svcName, svcPassword, true)
	e.c.Now = fixedClock(t0.Add(11 * time.Minute))
	e.jira.SetFaults(jiratest.Faults{ClockOffset: 11 * time.Minute})

	// Our clock says it is too late: Jira is not called.
	_, err := e.c.AccessToken(testCtx(t), rt, verifier)
	if fe := asError(t, err); fe.Code != oauth.CodeRequestExpired {
		t.Fatalf("got %s: %v", fe.Code, fe)
	}
	// Had we lost track of the time, Jira says so itself.
	stale := *rt
	stale.IssuedAt, stale.ExpiresAt = time.Time{}, time.Time{}
	_, err = e.c.AccessToken(testCtx(t), &stale, verifier)
	if fe := asError(t, err); fe.Code != oauth.CodeTokenExpired || !strings.Contains(fe.Hint, "10 minutes") {
		t.Errorf("got %s: %v", fe.Code, fe)
	}
}

func TestJiraRevokedAndEditedLink(t *testing.T) {
	e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Server})
	rt, verifier := e.approve(t, "", svcName, svcPassword, true)
	at, err := e.c.AccessToken(testCtx(t), rt, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Myself(testCtx(t), at.Token); err != nil {
		t.Fatal(err)
	}
	// Editing the Application Link's incoming authentication deletes its tokens.
	if err := e.jira.AddConsumer(consumerKey, "applink tests, renamed", publicPEM(t, testKey()), ""); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.Myself(testCtx(t), at.Token)
	if fe := asError(t, err); fe.Code != oauth.CodeTokenRejected || !strings.Contains(fe.Hint, "approve again") {
		t.Errorf("got %s: %v", fe.Code, fe)
	}
}

func TestJiraVerifierWorksOnce(t *testing.T) {
	e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Server})
	rt, verifier := e.approve(t, "", svcName, svcPassword, true)
	if _, err := e.c.AccessToken(testCtx(t), rt, verifier); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.AccessToken(testCtx(t), rt, verifier)
	fe := asError(t, err)
	if fe.Problem == "" || fe.Status != 401 {
		t.Errorf("a second exchange: %s %d %v", fe.Code, fe.Status, fe)
	}
	if strings.Contains(fe.Error(), verifier) && len(verifier) > 3 {
		t.Errorf("the verifier is in the error: %v", fe)
	}
}
