package server

import (
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/applink/applink/oauth"
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
