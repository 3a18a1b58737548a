package server

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// approveLink starts an approval of a link and has user click Allow,
// returning the callback's answer.
func (f *fixture) approveLink(name, user string) (*http.Response, []byte) {
	f.t.Helper()
	return f.get(f.approve(f.startHandshake(name).AuthorizeURL, user, true), nil)
}

// TestVerifiedTokenKept (issue 12, case 1): a link whose token acts as the
// service account keeps it when a later approval comes from another
// account; the link says so with a danger notice naming the approver and
// how to revoke the other token, until a person acts.
func TestVerifiedTokenKept(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	f.approveLink("prod", svcName)
	first := f.credentials("prod")

	resp, body := f.approveLink("prod", adminName)
	wantStatus(t, resp, body, http.StatusForbidden)
	wantContains(t, string(body), `data-error="`+string(CodeVerifiedTokenKept)+`"`, "Alice Admin (alice)", "View OAuth Access Tokens")
	v := f.getLink("prod")
	if v.Verdict == nil || *v.Verdict != oauth.VerdictMatch || v.AuthorizedAs.Name != svcName || v.State != "authorized" {
		t.Fatalf("after alice's approval: verdict %v, as %+v, state %s", v.Verdict, v.AuthorizedAs, v.State)
	}
	if got := f.credentials("prod"); got != first {
		t.Error("the service account's token was replaced by alice's")
	}
	if len(v.Notices) == 0 || v.Notices[0].Code != CodeVerifiedTokenKept || v.Notices[0].Severity != oauth.SeverityDanger {
		t.Fatalf("notices = %+v", v.Notices)
	}
	wantContains(t, v.Notices[0].Message, "Alice Admin (alice)", svcName)
	wantContains(t, v.Notices[0].Hint, oauth.WhereToRevoke)
	if v.Badge() != (Badge{"Authorized", "success"}) {
		t.Errorf("badge = %+v", v.Badge())
	}
	wantContains(t, f.logs.String(), `"event":"approval_not_kept"`)
	f.restart()
	if v := f.getLink("prod"); len(v.Notices) == 0 || v.Notices[0].Code != CodeVerifiedTokenKept {
		t.Errorf("after a restart: notices %+v", v.Notices)
	}

	// A new approval by the service account replaces the token and ends
	// the notice.
	resp, body = f.approveLink("prod", svcName)
	wantStatus(t, resp, body, http.StatusOK)
	v = f.getLink("prod")
	for _, n := range v.Notices {
		if n.Code == CodeVerifiedTokenKept {
			t.Errorf("notice outlived the service account's new approval: %+v", n)
		}
	}
	if got := f.credentials("prod"); got.AccessToken == first.AccessToken {
		t.Error("the service account's new approval did not replace the token")
	}
}

// TestUnverifiedTokenReplaced: a link without a match token keeps today's
// behaviour: a later approval of any verdict replaces the token.
func TestUnverifiedTokenReplaced(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	f.approveLink("prod", adminName)
	first := f.credentials("prod", true)
	f.approveLink("prod", adminName)
	if got := f.credentials("prod", true); got.AccessToken == first.AccessToken {
		t.Error("a mismatch token was not replaced by a later approval")
	}
}

// TestDenyEndsApproval (issue 12, case 2): after Deny, applink asks Jira,
// which says the request token is spent: the approval ends, no page sends
// anyone back to it, and no pending notice outlives it, even after a later
// approval succeeds.
func TestDenyEndsApproval(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	f.approveLink("prod", svcName)
	h := f.startHandshake("prod")
	cb := f.approve(h.AuthorizeURL, svcName, false)
	hits := f.jiraHits.Load()
	resp, body := f.get(cb, nil)
	wantStatus(t, resp, body, http.StatusForbidden)
	wantContains(t, string(body), `data-error="denied"`)
	for _, bad := range []string{"still pending", "tries left", "open the approval link again"} {
		if strings.Contains(string(body), bad) {
			t.Errorf("the denial's page says %q", bad)
		}
	}
	if got := f.jiraHits.Load() - hits; got != 1 {
		t.Errorf("Jira was asked %d times about the denial, want 1", got)
	}
	resp, body = f.get(h.ApprovalURL, nil)
	if resp.StatusCode == http.StatusOK || strings.Contains(string(body), h.AuthorizeURL) {
		t.Errorf("the approval link of a denied approval still leads to Jira: %d", resp.StatusCode)
	}
	v := f.getLink("prod")
	if v.LastError == nil || v.LastError.Code != oauth.CodeDenied || hasNotice(v, CodeApprovalPending) {
		t.Errorf("after the denial: state %s, last_error %+v, notices %+v", v.State, v.LastError, v.Notices)
	}
	// A later approval, then nothing is pending.
	f.approveLink("prod", svcName)
	if v := f.getLink("prod"); v.State != "authorized" || hasNotice(v, CodeApprovalPending) || v.LastError != nil {
		t.Errorf("after a later approval: state %s, last_error %+v, notices %+v", v.State, v.LastError, v.Notices)
	}
}

// TestDenyWithoutTokenEnds: a link without a token is denied, and its one
// next step is a new approval.
func TestDenyWithoutTokenEnds(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	f.get(f.approve(h.AuthorizeURL, svcName, false), nil)
	if v := f.getLink("prod"); v.State != "denied" || v.Badge().Label != "Denied" {
		t.Errorf("state %s, badge %+v", v.State, v.Badge())
	}
	if n := f.srv.store.PendingHandshakes("prod", f.clock.Now()); n != 0 {
		t.Errorf("%d approvals pending after a denial", n)
	}
}

// TestForgedDenyStaysPending: a Deny Jira has not seen (the request token
// is still undecided) changes nothing: the approval stays pending and the
// service account can still approve it.
func TestForgedDenyStaysPending(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	au, _ := url.Parse(h.AuthorizeURL)
	forged := f.app.URL + CallbackPath + "?oauth_token=" + url.QueryEscape(au.Query().Get("oauth_token")) + "&oauth_verifier=denied"
	resp, body := f.get(forged, nil)
	wantStatus(t, resp, body, http.StatusBadGateway)
	wantContains(t, string(body), `data-error="permission_unknown"`, "still pending")
	if v := f.getLink("prod"); v.State != "awaiting_approval" || v.LastError != nil {
		t.Errorf("after a forged denial: state %s, last_error %+v", v.State, v.LastError)
	}
	resp, body = f.get(h.ApprovalURL, nil)
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	wantStatus(t, resp, body, http.StatusOK)
	if v := f.getLink("prod"); v.State != "authorized" || v.Verdict == nil || *v.Verdict != oauth.VerdictMatch {
		t.Errorf("after the real approval: state %s, verdict %v", v.State, v.Verdict)
	}
}

// hasNotice reports whether a link view has a notice of code c.
func hasNotice(v *LinkView, c oauth.Code) bool {
	for _, n := range v.Notices {
		if n.Code == c {
			return true
		}
	}
	return false
}

// TestStaleAudit (issue 12, case 3): the permission audit belongs to the
// token it was run with; once another token is kept, the API marks it
// stale and the page says so and offers to run it again.
func TestStaleAudit(t *testing.T) {
	f := newFixture(t, options{})
	f.grant()
	f.createLink("prod")
	f.approveLink("prod", adminName)
	resp, body := f.api("POST", "/api/links/prod/permissions", map[string]any{"projects": []string{"ABC"}})
	wantStatus(t, resp, body, http.StatusOK)
	if p := decode[*PermissionsView](t, body); p.Stale {
		t.Error("a fresh audit is stale")
	}
	if v := f.getLink("prod"); v.Permissions == nil || v.Permissions.Stale {
		t.Errorf("before the new token: %+v", v.Permissions)
	}
	f.clock.Advance(time.Minute)
	f.approveLink("prod", svcName)
	v := f.getLink("prod")
	if v.Permissions == nil || !v.Permissions.Stale {
		t.Fatalf("after a new token: permissions %+v, want stale", v.Permissions)
	}
	b := f.newBrowser()
	b.signIn()
	_, page := b.get("/links/prod")
	wantContains(t, page, `data-stale="true"`, "previous token", "Check again")
	resp, body = f.api("POST", "/api/links/prod/permissions", map[string]any{"projects": []string{"ABC"}})
	wantStatus(t, resp, body, http.StatusOK)
	if v := f.getLink("prod"); v.Permissions == nil || v.Permissions.Stale {
		t.Errorf("after running it again: %+v", v.Permissions)
	}
}

// TestExportAckNamesApproval (issue 13, item 7): the acknowledgement of an
// approver names the approval it accepts. The page showed "acts as
// Alice"; Mallory completes a pending approval; the stale form's
// acknowledgement is refused with 409 approval_changed, on the page and in
// the API, and the new approval's value exports.
func TestExportAckNamesApproval(t *testing.T) {
	f := newFixture(t, options{})
	f.jira.AddUser(jiratest.User{Name: "mallory", DisplayName: "Mallory", Password: "mallory-pass"})
	f.createLink("prod")
	f.approveLink("prod", adminName)
	b := f.newBrowser()
	b.signIn()
	_, page := b.get("/links/prod")
	wantContains(t, page, "Alice Admin (alice)")
	ack := find(t, `name="accept_approver" value="([^"]+)"`, page)

	f.clock.Advance(time.Second)
	h := f.startHandshake("prod")
	cb, _, err := (&jiratest.Browser{}).Approve(context.Background(), h.AuthorizeURL, "mallory", "mallory-pass", true)
	if err != nil || cb == nil {
		t.Fatalf("mallory's approval: %v", err)
	}
	f.addSecret(cb.Query().Get("oauth_verifier"))
	f.get(cb.String(), nil)
	if v := f.getLink("prod"); v.AuthorizedAs == nil || v.AuthorizedAs.Name != "mallory" {
		t.Fatalf("the token acts as %v, want mallory", v.AuthorizedAs)
	}
	resp, page := b.post("/links/prod/credentials", url.Values{"accept_approver": {ack}})
	if resp.StatusCode != http.StatusConflict || strings.Contains(page, "token_secret") {
		t.Errorf("stale form: status %d", resp.StatusCode)
	}
	wantContains(t, page, `data-code="`+string(CodeApprovalChanged)+`"`, "Mallory")
	for _, q := range []string{"1", url.QueryEscape(ack)} {
		resp, body := f.api("GET", "/api/links/prod/credentials?accept_approver="+q, nil)
		wantError(t, resp, body, http.StatusConflict, CodeApprovalChanged)
	}
	v := f.getLink("prod")
	resp, body := f.api("GET", "/api/links/prod/credentials?accept_approver="+url.QueryEscape(v.AuthorizedAt.Format(time.RFC3339Nano)), nil)
	wantStatus(t, resp, body, http.StatusOK)
	c := decode[credentials](t, body)
	f.addSecret(c.TokenSecret)
	f.addSecret(pemBody(c.PrivateKeyPEM))
}

// TestOneNamePerAction (issue 12, case 5): the action that starts an
// approval has one name, oauth.StartApproval, on its button in every state
// of a link; every notice that tells the admin to click a button names one
// that the link's page shows; on an authorized link the primary action is
// not a new approval.
func TestOneNamePerAction(t *testing.T) {
	f := newFixture(t, options{})
	b := f.newBrowser()
	b.signIn()
	labels := []string{oauth.StartApproval, "Approve again", "Start a new approval", "Check link", "Download credentials", "Check again", "Check permissions"}
	buttonRE := regexp.MustCompile(`<button[^>]*>([^<]+)</button>`)
	primaryRE := regexp.MustCompile(`class="button primary[^"]*"[^>]*>([^<]+)<`)
	check := func(state, name string, authorized bool) {
		t.Helper()
		_, page := b.get("/links/" + name)
		buttons := map[string]bool{}
		for _, m := range buttonRE.FindAllStringSubmatch(page, -1) {
			buttons[strings.TrimSpace(m[1])] = true
		}
		if !buttons[oauth.StartApproval] {
			t.Errorf("%s: no %q button; buttons %v", state, oauth.StartApproval, buttons)
		}
		v := f.getLink(name)
		for _, n := range v.Notices {
			for _, old := range []string{"click Approve again", "Start a new approval", "start a new approval"} {
				if strings.Contains(n.Message+" "+n.Hint, old) {
					t.Errorf("%s: notice %s names another action than %q: %s %s", state, n.Code, oauth.StartApproval, n.Message, n.Hint)
				}
			}
			for _, l := range labels {
				if (strings.Contains(n.Hint, "click "+l) || strings.Contains(n.Hint, "Click "+l)) && !buttons[l] {
					t.Errorf("%s: notice %s says to click %q, which the page does not show (buttons %v)", state, n.Code, l, buttons)
				}
			}
		}
		for _, m := range primaryRE.FindAllStringSubmatch(page, -1) {
			if authorized && strings.TrimSpace(m[1]) == oauth.StartApproval {
				t.Errorf("%s: the primary action of an authorized link is %q", state, m[1])
			}
		}
	}
	f.createLink("fresh")
	check("new", "fresh", false)
	f.createLink("prod")
	h := f.startHandshake("prod")
	check("pending", "prod", false)
	f.get(f.approve(h.AuthorizeURL, svcName, false), nil)
	check("denied", "prod", false)
	f.approveLink("prod", svcName)
	check("authorized", "prod", true)
	f.startHandshake("prod")
	check("authorized, approval pending", "prod", true)
	f.clock.Advance(11 * time.Minute)
	check("authorized, approval expired", "prod", true)
	f.jira.RevokeAccessTokens(svcName)
	f.api("POST", "/api/links/prod/health", nil)
	check("token not working", "prod", true)
	f.approveLink("prod", adminName)
	check("wrong account kept beside", "prod", true)
}

// TestStateFromFacts (issue 12, item 3): a link's state and last error
// follow what is stored, not a stored state beside it: a token health
// problem found after an approval expired is the link's last error (a
// stored "awaiting approval" once hid it behind "nobody approved"), and a
// record of an earlier version, with its state, still reads.
func TestStateFromFacts(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	f.approveLink("prod", svcName)
	f.startHandshake("prod")
	if v := f.getLink("prod"); v.State != "awaiting_approval" || v.LastError != nil {
		t.Errorf("pending: state %s, last_error %+v", v.State, v.LastError)
	}
	f.clock.Advance(11 * time.Minute)
	if v := f.getLink("prod"); v.State != "authorized" || v.LastError == nil || v.LastError.Code != oauth.CodeRequestExpired || hasNotice(v, CodeApprovalPending) {
		t.Errorf("expired: state %s, last_error %+v, notices %+v", v.State, v.LastError, v.Notices)
	}
	f.jira.RevokeAccessTokens(svcName)
	resp, body := f.api("POST", "/api/links/prod/health", nil)
	wantStatus(t, resp, body, http.StatusOK)
	v := f.getLink("prod")
	if v.LastError == nil || v.LastError.Code != CodeTokenNotWorking || v.Badge().Label != "Token not working" {
		t.Errorf("after the health check: last_error %+v, badge %+v", v.LastError, v.Badge())
	}

	f.createLink("old")
	rec := filepath.Join(f.dir, "links", "old", "link.json")
	data, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(string(data), "{", `{"state":"awaiting_approval",`, 1)
	if err := os.WriteFile(rec, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	f.restart()
	if v := f.getLink("old"); v.State != "new" || v.LastError != nil {
		t.Errorf("a record with a state: state %s, last_error %+v", v.State, v.LastError)
	}
}

// TestNoticesMostSevereFirst: a token the health check finds not working
// (danger) is listed before the approver's warning that comes first in
// the order notices are made in.
func TestNoticesMostSevereFirst(t *testing.T) {
	f := newFixture(t, options{serviceAccount: "svc-jira@example.com"}) // an email: unverifiable on Server
	f.authorized("prod")
	f.jira.RevokeAccessTokens(svcName)
	f.api(http.MethodPost, "/api/links/prod/health", nil)
	v := f.getLink("prod")
	got := noticeCodes(v)
	if len(got) < 2 || got[0] != CodeTokenNotWorking || !slices.Contains(got, oauth.CodeApproverUnverifiable) {
		t.Errorf("notices %v: want %s first, then %s", got, CodeTokenNotWorking, oauth.CodeApproverUnverifiable)
	}
}
