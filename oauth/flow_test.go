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
	res, err := c.Complete(context.Background(), rt, "v", "svc-jira@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Match || res.Warning != "" || res.Approver.Name != "svc-jira" || res.AccessToken.Token.Token != "at1" ||
		res.ServiceAccount != "svc-jira@example.com" || !res.ApprovedAt.Equal(testNow) {
		t.Errorf("got %+v", res)
	}
}

func TestCompleteMismatch(t *testing.T) {
	f := handshakeJira(t, `{"name":"jadmin","key":"JIRAUSER10000","displayName":"Jane Admin"}`, http.StatusOK)
	res, err := consumerFor(t, f, "").Complete(context.Background(),
		&oauth.RequestToken{Token: oauth.Token{Token: "rt"}}, "v", "svc-jira")
	if err != nil {
		t.Fatal(err)
	}
	if res.Match || !strings.Contains(res.Warning, "Jane Admin (jadmin)") || !strings.Contains(res.Warning, `"svc-jira"`) {
		t.Errorf("got Match %v, warning:\n%s", res.Match, res.Warning)
	}
	if res.AccessToken == nil || res.AccessToken.Secret != "as1" {
		t.Errorf("the token is not kept: %+v", res.AccessToken)
	}
}

func TestCompleteMyselfFailsKeepsToken(t *testing.T) {
	f := handshakeJira(t, "<html><title>Oops</title></html>", http.StatusServiceUnavailable)
	res, err := consumerFor(t, f, "").Complete(context.Background(),
		&oauth.RequestToken{Token: oauth.Token{Token: "rt"}}, "v", "svc-jira")
	e := asError(t, err)
	if e.Code != oauth.CodeServerError || e.Step != "myself" {
		t.Errorf("got %s at %s", e.Code, e.Step)
	}
	if res == nil || res.AccessToken == nil || res.AccessToken.Token.Token != "at1" || res.Approver != nil || res.Match {
		t.Errorf("want the access token back with the error, got %+v", res)
	}
}

func TestCompleteAccessTokenFails(t *testing.T) {
	f := handshakeJira(t, serverMyself, http.StatusOK)
	res, err := consumerFor(t, f, "").Complete(context.Background(),
		&oauth.RequestToken{Token: oauth.Token{Token: "rt"}}, "denied", "svc-jira")
	if e := asError(t, err); e.Code != oauth.CodeDenied || res != nil {
		t.Errorf("got %+v, %v", res, err)
	}
	if len(f.requests()) != 0 {
		t.Errorf("Jira was called after Deny")
	}
}
