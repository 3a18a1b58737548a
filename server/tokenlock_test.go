package server

import (
	"cmp"
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// TestTokenSavedUnderLinkLock: every save of a link's token happens with
// the server's lock held, the one an edit of the service account holds
// from its read of the token to the save of the token judged again: a
// callback landing during such an edit can no longer have its new token
// overwritten by the edit's old one. The write hook runs at each save and
// tries the lock: it must be taken.
func TestTokenSavedUnderLinkLock(t *testing.T) {
	f := newFixture(t, options{})
	unlocked := make(chan string, 10)
	var failRecord atomic.Bool
	f.store.FailWrites(func(op, path string) error {
		if op == "write" && path == "links/prod/token.json" && f.srv.mu.TryLock() {
			f.srv.mu.Unlock()
			unlocked <- path
		}
		if op == "write" && path == "links/prod/link.json" && failRecord.Load() {
			return syscall.ENOSPC
		}
		return nil
	})
	check := func(step string) {
		t.Helper()
		if n := len(unlocked); n > 0 {
			t.Errorf("%s: %d saves of the token without the server's lock", step, n)
			for range n {
				<-unlocked
			}
		}
	}
	f.authorized("prod")
	check("a callback's approval (kept)")
	resp, body := f.patch("prod", map[string]string{"service_account": adminName})
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = f.patch("prod", map[string]string{"service_account": svcName})
	wantStatus(t, resp, body, http.StatusOK)
	check("an edit of the service account (judged again)")
	failRecord.Store(true)
	resp, body = f.patch("prod", map[string]string{"service_account": adminName})
	wantError(t, resp, body, http.StatusInternalServerError, CodeInternal)
	failRecord.Store(false)
	check("an edit whose record cannot be saved (the token's verdict put back)")
	if v := f.getLink("prod"); *v.Verdict != oauth.VerdictMatch {
		t.Errorf("after the failed edit: verdict %s, want %s back", *v.Verdict, oauth.VerdictMatch)
	}
	h := f.startHandshake("prod")
	resp, body = f.get(f.approve(h.AuthorizeURL, adminName, true), nil)
	wantStatus(t, resp, body, http.StatusForbidden)
	check("a callback's approval by another account (kept beside the token)")
	if tok, err := f.store.Token("prod"); err != nil || tok.Verdict != oauth.VerdictMatch || tok.Refused == nil {
		t.Errorf("token %+v (%v): want the match kept with the refused approval beside it", tok, err)
	}
}

// editWhileAsked is a transport to Jira that runs edit once, as a request
// asks Jira for path (the callback's myself by default): between the
// request's read of the link and its save.
type editWhileAsked struct {
	once sync.Once
	path string
	edit func()
}

func (e *editWhileAsked) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == cmp.Or(e.path, oauth.MyselfPath) {
		e.once.Do(e.edit)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestEditDuringCallbackJudged: a service account edited while a callback
// waits for Jira judges the callback's approver too: the token is saved
// with the verdict against the new service account, not the old one, and
// pins no one.
func TestEditDuringCallbackJudged(t *testing.T) {
	tr := &editWhileAsked{}
	f := newFixture(t, options{client: &http.Client{Transport: tr, Timeout: 10 * time.Second}})
	f.createLink("prod")
	h := f.startHandshake("prod")
	tr.edit = func() {
		sa := adminName
		if _, err := f.srv.EditLink(context.Background(), "prod", LinkEdit{ServiceAccount: &sa}); err != nil {
			t.Errorf("the edit during the callback: %v", err)
		}
	}
	resp, body := f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	wantStatus(t, resp, body, http.StatusOK)
	tok, err := f.store.Token("prod")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Verdict != oauth.VerdictMismatch || tok.ServiceAccount != adminName {
		t.Errorf("token's approval %+v (%v): want %s's judged a mismatch against %s", tok.Approval, err, svcName, adminName)
	}
	if l, err := f.store.GetLink("prod"); err != nil {
		t.Fatal(err)
	} else if l.ServiceAccount != adminName || l.ServiceAccountID != "" {
		t.Errorf("link's service account %q, pin %q (%v): want %s, no pin", l.ServiceAccount, l.ServiceAccountID, err, adminName)
	}
}

// TestEditDuringStartDropsIt: a Jira URL edited while Start approval asks
// the old Jira for a request token drops that approval (409 link_edited):
// no approval of the old address is left pending behind the edit.
func TestEditDuringStartDropsIt(t *testing.T) {
	tr := &editWhileAsked{path: jiratest.PathRequestToken}
	f := newFixture(t, options{client: &http.Client{Transport: tr, Timeout: 10 * time.Second}})
	f.createLink("prod")
	tr.edit = func() {
		u := strings.Replace(f.jiraSrv.URL, "127.0.0.1", "localhost", 1)
		if _, err := f.srv.EditLink(context.Background(), "prod", LinkEdit{JiraURL: &u}); err != nil {
			t.Errorf("the edit during the start: %v", err)
		}
	}
	resp, body := f.api(http.MethodPost, "/api/links/prod/handshakes", nil)
	wantError(t, resp, body, http.StatusConflict, CodeLinkEdited)
	if n := f.store.PendingHandshakes("prod", f.clock.Now()); n != 0 {
		t.Errorf("%d approvals of the old Jira URL pending after the edit", n)
	}
}
