package server

import (
	"net/http"
	"slices"
	"testing"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// TestLookAlikeApproverNeedsAcknowledgement: a user named ſvc-jira (U+017F,
// another user in Jira) approving for svc-jira is a mismatch, and the
// export of its token needs the acknowledgement.
func TestLookAlikeApproverNeedsAcknowledgement(t *testing.T) {
	f := newFixture(t, options{})
	f.jira.AddUser(jiratest.User{Name: "\u017fvc-jira", Key: "JIRAUSER666", DisplayName: "Mallory", Password: svcPassword})
	f.createLink("prod")
	h := f.startHandshake("prod")
	resp, body := f.get(f.approve(h.AuthorizeURL, "\u017fvc-jira", true), nil)
	wantStatus(t, resp, body, http.StatusOK)
	v := f.getLink("prod")
	if v.Verdict == nil || *v.Verdict != oauth.VerdictMismatch || !slices.Contains(noticeCodes(v), oauth.CodeWrongApprover) {
		t.Errorf("verdict %v, notices %v; want mismatch and %s", v.Verdict, noticeCodes(v), oauth.CodeWrongApprover)
	}
	resp, body = f.api(http.MethodGet, "/api/links/prod/credentials", nil)
	wantError(t, resp, body, http.StatusConflict, oauth.CodeApproverNotConfirmed)
	f.credentials("prod", true)
}

// TestServiceAccountPinned: a match pins the service account's user key;
// another account given the service account's name later is judged a
// mismatch (account_replaced), so its token does not replace the service
// account's (verified_token_kept), and the pin stays.
func TestServiceAccountPinned(t *testing.T) {
	f := newFixture(t, options{})
	f.authorized("prod")
	if l, err := f.store.GetLink("prod"); err != nil || l.ServiceAccountID != "JIRAUSER10100" {
		t.Fatalf("after a match: pin %q (%v), want JIRAUSER10100", l.ServiceAccountID, err)
	}
	f.jira.AddUser(jiratest.User{Name: svcName, Key: "JIRAUSER20200", DisplayName: "New Svc", Password: svcPassword})
	h := f.startHandshake("prod")
	resp, body := f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	wantStatus(t, resp, body, http.StatusForbidden)
	v := f.getLink("prod")
	if v.Verdict == nil || *v.Verdict != oauth.VerdictMatch || !slices.Contains(noticeCodes(v), CodeVerifiedTokenKept) {
		t.Errorf("verdict %v, notices %v; want the match kept and %s", v.Verdict, noticeCodes(v), CodeVerifiedTokenKept)
	}
	tok, err := f.store.Token("prod")
	if err != nil || tok.Refused == nil || tok.Refused.Verdict != oauth.VerdictMismatch || tok.Refused.Notice().Code != oauth.CodeAccountReplaced {
		t.Errorf("the refused approval: %+v (%v), want a mismatch with %s", tok, err, oauth.CodeAccountReplaced)
	}
	if l, err := f.store.GetLink("prod"); err != nil || l.ServiceAccountID != "JIRAUSER10100" {
		t.Errorf("after a mismatch: pin %q (%v), want JIRAUSER10100 still", l.ServiceAccountID, err)
	}
}
