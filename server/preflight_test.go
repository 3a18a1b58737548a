package server

import (
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

var otherPublicPEM = sync.OnceValues(func() ([]byte, error) { return keys.MarshalPublicKey(&otherKey().PublicKey) })

// TestPreflight: each failure the preflight names, produced by the
// simulated Jira, gets its code through the API and on the link page
// (Check link); a healthy link is ok.
func TestPreflight(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the new link's Jira URL and CA certificates,
		// whether to register it in Jira, and what to do after.
		setup func(t *testing.T, f *fixture) (jiraURL, caPEM string, register bool, after func(v *LinkView))
		want  oauth.Code // "" for a healthy link
	}{
		{name: "healthy", setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			return f.jiraSrv.URL, "", true, nil
		}},
		{name: "unreachable", want: oauth.CodeConnectionRefused, setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ln.Close()
			return "http://" + ln.Addr().String(), "", false, nil
		}},
		{name: "tls", want: oauth.CodeTLS, setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			srv := httptest.NewTLSServer(f.jira)
			t.Cleanup(srv.Close)
			return srv.URL, "", true, nil
		}},
		{name: "tls with the link's CA", setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			srv := httptest.NewTLSServer(f.jira)
			t.Cleanup(srv.Close)
			return srv.URL, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})), true, nil
		}},
		{name: "html_response", want: oauth.CodeHTMLPage, setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			return f.jiraSrv.URL, "", true, func(*LinkView) { f.jira.SetFaults(jiratest.Faults{SSOPage: true}) }
		}},
		{name: "not_found", want: oauth.CodeNotFound, setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			return f.jiraSrv.URL + "/wrong", "", true, nil
		}},
		{name: "base_url_mismatch", want: oauth.CodeBaseURLMismatch, setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			return f.jiraSrv.URL, "", true, func(*LinkView) { f.jira.SetFaults(jiratest.Faults{BaseURL: "https://jira.example.com"}) }
		}},
		{name: "clock_skew", want: oauth.CodeClockSkew, setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			return f.jiraSrv.URL, "", true, func(*LinkView) { f.jira.SetFaults(jiratest.Faults{ClockOffset: -3 * time.Minute}) }
		}},
		{name: "consumer_key_unknown", want: oauth.CodeConsumerKeyUnknown, setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			return f.jiraSrv.URL, "", false, nil
		}},
		{name: "signature_invalid", want: oauth.CodeSignatureInvalid, setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			return f.jiraSrv.URL, "", false, func(v *LinkView) {
				pub, err := otherPublicPEM()
				if err == nil {
					err = f.jira.AddConsumer(v.AppLink.ConsumerKey, v.AppLink.ConsumerName, pub, "")
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}},
		{name: "signature_method_rejected", want: oauth.CodeSignatureMethodRejected, setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			return f.jiraSrv.URL, "", true, func(*LinkView) { f.jira.SetFaults(jiratest.Faults{RejectRSA: true}) }
		}},
		{name: "token_rejected", want: oauth.CodeTokenRejected, setup: func(t *testing.T, f *fixture) (string, string, bool, func(*LinkView)) {
			return f.jiraSrv.URL, "", true, func(v *LinkView) {
				h := f.startHandshake(v.Name)
				resp, body := f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
				wantStatus(t, resp, body, http.StatusOK)
				f.jira.RevokeAccessTokens(svcName)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, options{})
			jiraURL, caPEM, register, after := tt.setup(t, f)
			resp, body := f.api("POST", "/api/links", map[string]string{
				"name": "prod", "jira_url": jiraURL, "service_account": svcName, "ca_pem": caPEM})
			wantStatus(t, resp, body, http.StatusCreated)
			v := decode[*LinkView](t, body)
			if register {
				if err := f.jira.AddConsumer(v.AppLink.ConsumerKey, v.AppLink.ConsumerName, []byte(v.AppLink.PublicKey), ""); err != nil {
					t.Fatal(err)
				}
			}
			if after != nil {
				after(v)
			}

			resp, body = f.api("POST", "/api/links/prod/preflight", nil)
			wantStatus(t, resp, body, http.StatusOK)
			res := decode[oauth.PreflightResult](t, body)
			var got []string
			for _, p := range res.Problems {
				got = append(got, string(p.Code))
				if p.Hint != upperFirst(oauth.Explain(p.Code, oauth.SurfaceWeb)) {
					t.Errorf("%s: hint %q, want the web's words", p.Code, p.Hint)
				}
			}
			if want := string(tt.want); strings.Join(got, ",") != want || res.OK != (want == "") {
				t.Fatalf("API: ok %v, problems %v; want %q", res.OK, got, want)
			}

			b := f.newBrowser()
			b.signIn()
			resp, page := b.post("/links/prod/preflight", url.Values{})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("page: status %d", resp.StatusCode)
			}
			if tt.want == "" {
				wantContains(t, page, `data-preflight="ok"`)
			} else {
				wantContains(t, page, `data-problem="`+string(tt.want)+`"`, `data-preflight="problems"`)
			}
		})
	}
}

func TestCreateLinkRefusesBadCA(t *testing.T) {
	f := newFixture(t, options{})
	resp, body := f.api("POST", "/api/links", map[string]string{
		"name": "prod", "jira_url": f.jiraSrv.URL, "service_account": svcName, "ca_pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"})
	wantError(t, resp, body, http.StatusBadRequest, CodeInvalidInput)
	if _, err := f.store.GetLink("prod"); err == nil {
		t.Error("a link with a bad CA was saved")
	}
}
