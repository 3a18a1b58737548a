package server

import (
	"net/http"
	"testing"

	"github.com/applink/applink/oauth"
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
