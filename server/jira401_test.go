package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/applink/applink/oauth"
)

// TestJira401IsNotApplink401: Jira's own 401 (no oauth_problem, as an
// auth proxy in front of it answers) is a failure at Jira, 502
// jira_unauthorized without applink's Bearer challenge; 401 stays applink's
// own sign-in.
func TestJira401IsNotApplink401(t *testing.T) {
	f := newFixture(t, options{})
	jira := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Jira"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
	}))
	t.Cleanup(jira.Close)
	resp, body := f.api("POST", "/api/links", map[string]string{"name": "prod", "jira_url": jira.URL, "service_account": svcName})
	wantStatus(t, resp, body, http.StatusCreated)

	resp, body = f.api("POST", "/api/links/prod/handshakes", nil)
	wantError(t, resp, body, http.StatusBadGateway, oauth.CodeUnauthorized)
	if got := resp.Header.Get("WWW-Authenticate"); got != "" {
		t.Errorf("WWW-Authenticate = %q on Jira's refusal", got)
	}

	resp, body = f.apiWith("POST", "/api/links/prod/handshakes", nil, "Bearer wrong-token")
	wantError(t, resp, body, http.StatusUnauthorized, CodeUnauthorized)
	if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer realm="applink"` {
		t.Errorf("WWW-Authenticate = %q on a wrong admin token", got)
	}
}
