package oauth_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/applink/applink/oauth"
)

// handshakeJira answers the access-token step and myself with body.
func handshakeJira(t *testing.T, myself string, myselfStatus int) *fakeJira {
	return newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		if !rec.Verified {
			t.Errorf("%s does not verify", r.URL.Path)
		}
		switch r.URL.Path {
		case oauth.AccessTokenPath:
			formAnswer(w, "oauth_token=at1&oauth_token_secret=as1&oauth_expires_in=3600")
		case oauth.MyselfPath:
			if rec.OAuth["oauth_token"] != "at1" {
				t.Errorf("myself signed with token %q, want the access token", rec.OAuth["oauth_token"])
			}
			w.WriteHeader(myselfStatus)
			io.WriteString(w, myself)
		default:
			http.NotFound(w, r)
		}
	})
}

func TestCompleteMatch(t *testing.T) {
	f := handshakeJira(t, serverMyself, http.StatusOK)
	c := consumerFor(t, f, "")
	rt := &oauth.RequestToken{Token: oauth.Token{Token: "rt", Secret: "rs"}, IssuedAt: testNow}
	res, err := c.Complete(context.Background(), rt, "v", "SVC-Jira", "JIRAUSER10100")
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != oauth.VerdictMatch || res.Notice() != nil || res.Approver.Name != "svc-jira" || res.AccessToken.Token.Token != "at1" ||
		res.ServiceAccount != "SVC-Jira" || res.ServiceAccountID != "JIRAUSER10100" || !res.ApprovedAt.Equal(testNow) {
		t.Errorf("got %+v", res)
	}
}

func TestCompleteMismatch(t *testing.T) {
	f := handshakeJira(t, `{"name":"jadmin","key":"JIRAUSER10000","displayName":"Jane Admin"}`, http.StatusOK)
	res, err := consumerFor(t, f, "").Complete(context.Background(),
		&oauth.RequestToken{Token: oauth.Token{Token: "rt"}}, "v", "svc-jira", "")
	if err != nil {
		t.Fatal(err)
	}
	n := res.Notice()
	if res.Verdict != oauth.VerdictMismatch || n == nil || n.Code != oauth.CodeWrongApprover || n.Severity != oauth.SeverityDanger ||
		!strings.Contains(n.Message, "Jane Admin (jadmin)") || !strings.Contains(n.Message, `"svc-jira"`) {
		t.Errorf("got %v, notice %+v", res.Verdict, n)
	}
	if res.AccessToken == nil || res.AccessToken.Secret != "as1" {
		t.Errorf("the token is not kept: %+v", res.AccessToken)
	}
}

func TestCompleteMyselfFailsKeepsToken(t *testing.T) {
	f := handshakeJira(t, "<html><title>Oops</title></html>", http.StatusServiceUnavailable)
	res, err := consumerFor(t, f, "").Complete(context.Background(),
		&oauth.RequestToken{Token: oauth.Token{Token: "rt"}}, "v", "svc-jira", "")
	if err != nil {
		t.Fatalf("a token was issued: want no error, got %v", err)
	}
	if e := res.IdentityError; e == nil || e.Code != oauth.CodeServerError || e.Step != "myself" {
		t.Errorf("identity error %+v, want server_error at myself", e)
	}
	if res.AccessToken == nil || res.AccessToken.Token.Token != "at1" || res.Approver != nil || res.Verdict != oauth.VerdictUnknown {
		t.Errorf("want the access token back with verdict unknown, got %+v", res)
	}
	if n := res.Notice(); n == nil || n.Code != oauth.CodeApproverUnknown || n.Severity != oauth.SeverityWarning {
		t.Errorf("notice %+v", n)
	}
}

// TestCompleteDeniedAsksJira: a Deny from the browser is put to Jira,
// which decides it: CodeDenied when Jira says permission_denied, Jira's own
// answer (permission_unknown) when nobody decided the token yet.
func TestCompleteDeniedAsksJira(t *testing.T) {
	for _, tt := range []struct {
		problem string
		want    oauth.Code
	}{
		{"permission_denied", oauth.CodeDenied},
		{"permission_unknown", oauth.CodePermissionUnknown},
	} {
		f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
			w.WriteHeader(http.StatusUnauthorized)
			formAnswer(w, "oauth_problem="+tt.problem)
		})
		res, err := consumerFor(t, f, "").Complete(context.Background(),
			&oauth.RequestToken{Token: oauth.Token{Token: "rt"}}, "denied", "svc-jira", "")
		if e := asError(t, err); e.Code != tt.want || res != nil {
			t.Errorf("%s: got %+v, %v", tt.problem, res, err)
		}
		if len(f.requests()) != 1 {
			t.Errorf("%s: Jira was called %d times, want 1", tt.problem, len(f.requests()))
		}
	}
}
