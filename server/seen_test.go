package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
)

// The cases of "one truth about a link": each was seen on the first
// version of the service and is checked here.

// TestStartApprovalJiraNotFound: a Jira URL without its context path makes
// Jira's request-token URL answer 404. The API says so as a 502 with
// jira_not_found (not the service's 404 link_not_found), and the UI goes
// back to the link page with the diagnosis, never to a "Not found" page.
func TestStartApprovalJiraNotFound(t *testing.T) {
	f := newFixture(t, options{})
	resp, body := f.api("POST", "/api/links", map[string]string{
		"name": "prod", "jira_url": f.jiraSrv.URL + "/wrong-context", "service_account": svcName,
	})
	wantStatus(t, resp, body, http.StatusCreated)
	resp, body = f.api("POST", "/api/links/prod/handshakes", nil)
	wantError(t, resp, body, http.StatusBadGateway, oauth.CodeNotFound)

	b := f.newBrowser()
	b.signIn()
	resp, page := b.post("/links/prod/handshakes", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/links/prod" {
		t.Fatalf("start approval: %d to %q, want 303 to the link page:\n%s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	resp, page = b.get("/links/prod")
	wantStatus(t, resp, []byte(page), http.StatusOK)
	wantContains(t, page, `data-notice="jira_not_found"`, "context path", `class="step fail"`)
	if strings.Contains(page, "<h1>Not found") {
		t.Error("the link page is titled Not found")
	}
	if v := f.getLink("prod"); v.State != "failed" || v.LastError == nil || v.LastError.Code != oauth.CodeNotFound || v.Verdict != nil {
		t.Errorf("link: state %s, last_error %+v, verdict %v", v.State, v.LastError, v.Verdict)
	}
}

// TestExportNeedsAcknowledgement: a token approved by the wrong account is
// exported, by the API and the UI, only when the request says the caller
// knows whom it acts as; the audit event records the approver and the
// verdict.
func TestExportNeedsAcknowledgement(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	f.get(f.approve(h.AuthorizeURL, adminName, true), nil)

	resp, body := f.api("GET", "/api/links/prod/credentials", nil)
	wantError(t, resp, body, http.StatusConflict, oauth.CodeApproverNotConfirmed)
	f.credentials("prod", true)
	wantContains(t, f.logs.String(), `"event":"credentials_exported"`, `"verdict":"mismatch"`, `"approver":"Alice Admin (alice)"`)

	b := f.newBrowser()
	b.signIn()
	resp, page := b.post("/links/prod/credentials", nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, `id="export-error"`) || !strings.Contains(page, "Alice Admin (alice)") {
		t.Errorf("UI export without confirmation: %d", resp.StatusCode)
	}
	resp, page = b.post("/links/prod/credentials", url.Values{"accept_approver": {find(t, `name="accept_approver" value="([^"]+)"`, page)}})
	if c := decode[credentials](t, []byte(page)); resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") || c.TokenSecret == "" {
		t.Errorf("UI export with confirmation: %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
}

// TestCallbackWriteFailures fails each write of a callback in turn (the
// pending handshake's removal, token.json, link.json, and all of them, as
// a full disk does) while the wrong account approves a link whose token
// acts as the service account. Whatever fails, the link keeps the token
// approved earlier, whole, and exports it: never a token without its
// verdict, never the wrong account's token. When the approval could not
// be saved, last_error says the disk is full.
func TestCallbackWriteFailures(t *testing.T) {
	for _, tt := range []struct {
		name    string
		fail    func(op, path string) bool
		status  int
		pending bool // the handshake is still pending afterwards
	}{
		{"removing the pending handshake", func(op, path string) bool { return op == "remove" && strings.HasPrefix(path, "handshakes/") },
			http.StatusInternalServerError, true},
		{"token.json", func(op, path string) bool { return path == "links/prod/token.json" },
			http.StatusServiceUnavailable, false},
		{"link.json", func(op, path string) bool { return path == "links/prod/link.json" },
			http.StatusForbidden, false},
		{"every write (disk full)", func(op, path string) bool { return op == "write" },
			http.StatusServiceUnavailable, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, options{})
			f.createLink("prod")
			// A good token first, approved by the service account.
			f.get(f.approve(f.startHandshake("prod").AuthorizeURL, svcName, true), nil)
			good := f.credentials("prod")
			f.clock.Advance(time.Minute)
			h := f.startHandshake("prod")
			cb := f.approve(h.AuthorizeURL, adminName, true)
			f.clock.Advance(time.Second)

			f.store.FailWrites(func(op, path string) error {
				if tt.fail(op, path) {
					return fmt.Errorf("%s %s: %w", op, path, syscall.ENOSPC)
				}
				return nil
			})
			resp, body := f.get(cb, nil)
			wantStatus(t, resp, body, tt.status)
			check := func(when string) {
				v := f.getLink("prod")
				resp, body := f.api("GET", "/api/links/prod/credentials", nil)
				// The state before: the good token, whole, and still exported.
				if (v.State != "authorized" && !tt.pending) || v.Verdict == nil || *v.Verdict != oauth.VerdictMatch || v.AuthorizedAs == nil || v.AuthorizedAs.Name != svcName {
					t.Errorf("%s: state %s, verdict %v, approver %v", when, v.State, v.Verdict, v.AuthorizedAs)
				}
				if tt.status == http.StatusForbidden && (v.LastError != nil || !hasNotice(v, CodeVerifiedTokenKept)) {
					t.Errorf("%s: last_error %+v, notices %+v", when, v.LastError, v.Notices)
				}
				wantStatus(t, resp, body, http.StatusOK)
				if got := decode[credentials](t, body); got != good {
					t.Errorf("%s: the good token was replaced", when)
				}
			}
			check("after the failure")
			if tt.status == http.StatusServiceUnavailable {
				if v := f.getLink("prod"); v.LastError == nil || v.LastError.Code != CodeSaveFailed || !strings.Contains(v.LastError.Message, "the disk is full") {
					t.Errorf("last_error = %+v, want save_failed saying the disk is full", v.LastError)
				}
				wantContains(t, string(body), "the disk is full")
			}
			f.store.FailWrites(nil)
			_, err := f.store.HandshakeByRequestToken(h.AuthorizeURL[strings.Index(h.AuthorizeURL, "oauth_token=")+len("oauth_token="):])
			if (err == nil) != tt.pending {
				t.Errorf("handshake pending = %v, want %v", err == nil, tt.pending)
			}
			f.restart()
			check("after a restart")
		})
	}
}
