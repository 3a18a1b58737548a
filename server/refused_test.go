package server

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/applink/applink/oauth"
)

// withVerifier returns a callback URL with another oauth_verifier.
func withVerifier(t *testing.T, cb, verifier string) string {
	t.Helper()
	u, err := url.Parse(cb)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("oauth_verifier", verifier)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestCallbackMadeUpVerifier: a stranger holding the request token sends
// callbacks with made-up verifiers before anyone decided it; Jira answers
// permission_unknown, the handshake stays pending and the real approver's
// callback completes it. Once the token is decided, a made-up verifier
// gets permission_denied: applink cannot tell it from a denial, so the
// approval ends.
func TestCallbackMadeUpVerifier(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	au, _ := url.Parse(h.AuthorizeURL)
	early := f.app.URL + CallbackPath + "?oauth_token=" + url.QueryEscape(au.Query().Get("oauth_token")) + "&oauth_verifier=abc123"
	for range 2 {
		resp, body := f.get(early, nil) // not approved yet: permission_unknown
		wantStatus(t, resp, body, http.StatusBadGateway)
		wantContains(t, string(body), `data-error="permission_unknown"`, "still pending")
	}
	if v := f.getLink("prod"); v.State != "awaiting_approval" || v.LastError != nil {
		t.Errorf("after refused callbacks: state %s, last_error %+v", v.State, v.LastError)
	}
	resp, body := f.get(h.ApprovalURL, nil)
	wantStatus(t, resp, body, http.StatusOK)
	wantContains(t, f.logs.String(), `"event":"callback_refused"`, `"tries":2`)

	cb := f.approve(h.AuthorizeURL, svcName, true)
	resp, body = f.get(cb, nil)
	wantStatus(t, resp, body, http.StatusOK)
	if v := f.getLink("prod"); v.State != "authorized" || v.Verdict == nil || *v.Verdict != oauth.VerdictMatch {
		t.Errorf("after the real callback: state %s, verdict %v", v.State, v.Verdict)
	}

	h = f.startHandshake("prod")
	cb = f.approve(h.AuthorizeURL, svcName, true)
	resp, body = f.get(withVerifier(t, cb, "zzz999"), nil) // decided: permission_denied
	wantStatus(t, resp, body, http.StatusBadGateway)
	wantContains(t, string(body), `data-error="permission_denied"`)
	if strings.Contains(string(body), "still pending") {
		t.Error("a refusal of a decided request token says the approval is still pending")
	}
	resp, body = f.get(h.ApprovalURL, nil)
	wantStatus(t, resp, body, http.StatusNotFound)
}

// TestCallbackTriesBounded: after maxCallbackTries callbacks Jira refused
// as undecided, the handshake is dropped, the link's last_error says so,
// and later callbacks are refused without calling Jira.
func TestCallbackTriesBounded(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	au, _ := url.Parse(h.AuthorizeURL)
	bad := f.app.URL + CallbackPath + "?oauth_token=" + url.QueryEscape(au.Query().Get("oauth_token")) + "&oauth_verifier=bad000"
	for i := 1; i < maxCallbackTries; i++ {
		resp, body := f.get(bad, nil)
		wantStatus(t, resp, body, http.StatusBadGateway)
		wantContains(t, string(body), `data-error="permission_unknown"`)
	}
	resp, body := f.get(bad, nil)
	wantStatus(t, resp, body, http.StatusGone)
	wantContains(t, string(body), "refused 5 callbacks")
	v := f.getLink("prod")
	if v.State != "failed" || v.LastError == nil || v.LastError.Code != CodeApprovalDropped {
		t.Errorf("state %s, last_error %+v", v.State, v.LastError)
	}
	hits := f.jiraHits.Load()
	resp, body = f.get(withVerifier(t, bad, "bad001"), nil)
	wantStatus(t, resp, body, http.StatusNotFound)
	if got := f.jiraHits.Load(); got != hits {
		t.Errorf("Jira was called %d times for a dropped handshake", got-hits)
	}
}

// TestManyConcurrentCallbacks: of 50 deliveries of the real callback at
// once, exactly one completes the handshake (one approval saved, one
// exchange at Jira); the others wait their turn and either hear it is used
// (404) or, once it is done, see its result again as a reload does (200),
// changing nothing.
func TestManyConcurrentCallbacks(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	cb := f.approve(f.startHandshake("prod").AuthorizeURL, svcName, true)
	hits := f.jiraHits.Load()
	statuses := make([]int, 50)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			resp, err := http.Get(cb)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	if counts[http.StatusOK] < 1 || counts[http.StatusOK]+counts[http.StatusNotFound] != len(statuses) {
		t.Errorf("statuses: %v, want 200 (the completion or its result again) or 404", counts)
	}
	if n := strings.Count(f.logs.String(), `"event":"approved"`); n != 1 {
		t.Errorf("%d approvals saved, want 1", n)
	}
	if got := f.jiraHits.Load() - hits; got != 2 { // the access-token exchange and myself, once
		t.Errorf("Jira was called %d times, want 2", got)
	}
	if v := f.getLink("prod"); v.State != "authorized" {
		t.Errorf("state %s", v.State)
	}
}
