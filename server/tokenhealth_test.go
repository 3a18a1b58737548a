package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
	"github.com/applink/applink/server/store"
)

func noticeCodes(v *LinkView) []fault.Code {
	var out []fault.Code
	for _, n := range v.Notices {
		out = append(out, n.Code)
	}
	return out
}

// noticeOf returns the link's notice of code, or fails.
func noticeOf(t *testing.T, v *LinkView, code fault.Code) oauth.Notice {
	t.Helper()
	for _, n := range v.Notices {
		if n.Code == code {
			return n
		}
	}
	t.Fatalf("link %s has notices %v, not %s", v.Name, noticeCodes(v), code)
	return oauth.Notice{}
}

// TestHealthAPI: each way the simulated Jira stops honouring a token, or
// makes it act as another account, is a danger notice and last_error
// through the API, on the link page and on the dashboard; a healthy check
// clears it; Jira not answering changes nothing.
func TestHealthAPI(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(f *fixture, v *LinkView)
		code    fault.Code
	}{
		{"revoked by its approver", func(f *fixture, _ *LinkView) { f.jira.RevokeAccessTokens(svcName) }, CodeTokenNotWorking},
		{"OAuth settings edited in Jira", func(f *fixture, v *LinkView) {
			if err := f.jira.AddConsumer(v.AppLink.ConsumerKey, "edited", []byte(v.AppLink.PublicKey), ""); err != nil {
				f.t.Fatal(err)
			}
		}, CodeTokenNotWorking},
		{"account deleted and made again", func(f *fixture, _ *LinkView) {
			f.jira.AddUser(jiratest.User{Name: svcName, Key: "JIRAUSER20200", AccountID: "6c20bd9e93f16c33dd8e5fa6", DisplayName: "New Svc", Password: svcPassword})
		}, CodeTokenAccountChanged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, options{})
			resp, body := f.api("POST", "/api/links/nope/health", nil)
			wantError(t, resp, body, http.StatusNotFound, CodeLinkNotFound)
			f.createLink("new")
			resp, body = f.api("POST", "/api/links/new/health", nil)
			wantError(t, resp, body, http.StatusConflict, CodeNotApproved)

			v := f.authorized("prod")
			resp, body = f.api("POST", "/api/links/prod/health", nil)
			wantStatus(t, resp, body, http.StatusOK)
			if h := decode[HealthView](t, body); !h.OK || h.Problem != nil || h.ActsAs == nil || h.ActsAs.Name != svcName {
				t.Fatalf("healthy: %+v", h)
			}

			f.jira.SetFaults(jiratest.Faults{Status5xx: 503})
			resp, body = f.api("POST", "/api/links/prod/health", nil)
			wantError(t, resp, body, http.StatusBadGateway, oauth.CodeServerError)
			if l := f.getLink("prod"); l.LastError != nil {
				t.Errorf("Jira not answering set last_error %+v", l.LastError)
			}
			f.jira.SetFaults(jiratest.Faults{})

			tc.breakIt(f, v)
			resp, body = f.api("POST", "/api/links/prod/health", nil)
			wantStatus(t, resp, body, http.StatusOK)
			h := decode[HealthView](t, body)
			if h.OK || h.Problem == nil || h.Problem.Code != tc.code || h.Problem.Hint == "" {
				t.Fatalf("broken: %+v", h)
			}
			l := f.getLink("prod")
			if n := noticeOf(t, l, tc.code); n.Severity != oauth.SeverityDanger || l.LastError == nil || l.LastError.Code != tc.code {
				t.Errorf("notice %+v, last_error %+v", n, l.LastError)
			}
			if b := l.Badge(); b.Severity != "danger" {
				t.Errorf("badge %+v", b)
			}
			br := f.newBrowser()
			br.signIn()
			_, page := br.get("/links/prod")
			wantContains(t, page, `data-notice="`+string(tc.code)+`"`, "Token not working")
			_, page = br.get("/")
			wantContains(t, page, `data-notice="`+string(tc.code)+`"`)

			// Approving again gives a working token; the next check clears
			// the error.
			if tc.code == CodeTokenAccountChanged {
				return
			}
			h2 := f.startHandshake("prod")
			f.get(f.approve(h2.AuthorizeURL, svcName, true), nil)
			f.storedSecrets("prod")
			resp, body = f.api("POST", "/api/links/prod/health", nil)
			wantStatus(t, resp, body, http.StatusOK)
			if l := f.getLink("prod"); l.LastError != nil || slices.Contains(noticeCodes(l), tc.code) {
				t.Errorf("after a new approval: %+v %v", l.LastError, noticeCodes(l))
			}
		})
	}
}

// TestHealthLoop: the periodic check runs at each tick of the injected
// ticker and finds a revoked token.
func TestHealthLoop(t *testing.T) {
	f := newFixture(t, options{})
	f.authorized("prod")
	f.createLink("unapproved")
	f.jira.RevokeAccessTokens(svcName)
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { f.srv.healthLoop(ctx, ticks); close(done) }()
	// The second tick is received only once the first round is over.
	ticks <- f.clock.Now()
	ticks <- f.clock.Now()
	if l := f.getLink("prod"); l.LastError == nil || l.LastError.Code != CodeTokenNotWorking {
		t.Errorf("after a tick: %+v", l.LastError)
	}
	if l := f.getLink("unapproved"); l.LastError != nil {
		t.Errorf("a link without a token was checked: %+v", l.LastError)
	}
	cancel()
	<-done
}

// TestNoticesAcrossLinks: a service account shared across environments,
// a key pair shared by two links, and a token expiring within 30 days are
// warnings on the dashboard.
func TestNoticesAcrossLinks(t *testing.T) {
	f := newFixture(t, options{})
	f.authorized("sandbox") // environment "sandbox", key testKey
	resp, body := f.api("POST", "/api/links", map[string]string{"name": "prod", "jira_url": f.jiraSrv.URL + "/other",
		"service_account": svcName, "environment": "production"})
	wantStatus(t, resp, body, http.StatusCreated)
	// A third link with its own key, same environment: no warning.
	if err := f.store.CreateLink(&store.Link{Name: "own", JiraURL: "https://other.example.com", ServiceAccount: svcName,
		Environment: "sandbox", ConsumerKey: "own", ConsumerName: "own"}, otherKey()); err != nil {
		t.Fatal(err)
	}

	prod := f.getLink("prod")
	if n := noticeOf(t, prod, CodeServiceAccountShared); n.Severity != oauth.SeverityWarning {
		t.Errorf("notice %+v", n)
	}
	noticeOf(t, prod, CodeKeyPairShared)
	own := f.getLink("own")
	if slices.Contains(noticeCodes(own), CodeKeyPairShared) || len(slices.DeleteFunc(noticeCodes(own), func(c fault.Code) bool { return c != CodeServiceAccountShared })) != 1 {
		t.Errorf("own: %v", noticeCodes(own))
	}

	sb := f.getLink("sandbox")
	if slices.Contains(noticeCodes(sb), CodeTokenExpiring) {
		t.Errorf("a 5-year token warns already: %v", noticeCodes(sb))
	}
	f.clock.Advance(sb.TokenExpiresAt.Sub(f.clock.Now()) - 29*24*time.Hour)
	if n := noticeOf(t, f.getLink("sandbox"), CodeTokenExpiring); n.Severity != oauth.SeverityWarning {
		t.Errorf("expiring: %+v", n)
	}
	b := f.newBrowser()
	b.signIn()
	_, page := b.get("/")
	wantContains(t, page, `data-notice="service_account_shared"`, `data-notice="key_pair_shared"`, `data-notice="token_expiring"`)
}

// TestHealthWithoutTokenReadsNoKey: the health check of a link that has no
// token yet answers not_approved without reading its key pair, so a
// damaged key is not reported as a failed health check.
func TestHealthWithoutTokenReadsNoKey(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	if err := os.WriteFile(filepath.Join(f.dir, "links", "prod", "private.pem"), []byte("-----BEGIN PRIVATE KEY-----\ncut"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.restart() // no configuration cached
	resp, body := f.api(http.MethodPost, "/api/links/prod/health", nil)
	wantError(t, resp, body, http.StatusConflict, CodeNotApproved)
}
