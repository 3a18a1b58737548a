package oauth_test

import (
	"encoding/pem"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// certPEM is the PEM of a TLS test server's certificate, its own CA.
func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// closedURL is an http URL at which nothing listens.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// TestPreflight: each failure the preflight names, produced by the
// simulated Jira, with its code; a healthy link has none.
func TestPreflight(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *jiraEnv) *oauth.Token // may change e.c; returns an access token to check
		want  []oauth.Code
		msg   string // a substring of the first problem's message
	}{
		{name: "healthy", setup: func(*testing.T, *jiraEnv) *oauth.Token { return nil }},
		{name: "unreachable", want: []oauth.Code{oauth.CodeConnectionRefused}, msg: "nothing listens",
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token { e.c = rebase(t, e.c, closedURL(t), nil); return nil }},
		{name: "tls unknown authority", want: []oauth.Code{oauth.CodeTLS}, msg: "authority this machine does not trust",
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token {
				srv := httptest.NewTLSServer(e.jira)
				t.Cleanup(srv.Close)
				e.c = rebase(t, e.c, srv.URL, nil)
				return nil
			}},
		{name: "tls private CA given", setup: func(t *testing.T, e *jiraEnv) *oauth.Token {
			srv := httptest.NewTLSServer(e.jira)
			t.Cleanup(srv.Close)
			e.c = rebase(t, e.c, srv.URL, certPEM(srv))
			return nil
		}},
		{name: "tls wrong host name", want: []oauth.Code{oauth.CodeTLS}, msg: "not valid for that host name (it names example.com)",
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token {
				srv := httptest.NewTLSServer(e.jira)
				t.Cleanup(srv.Close)
				e.c = rebase(t, e.c, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), certPEM(srv))
				return nil
			}},
		{name: "html_response", want: []oauth.Code{oauth.CodeHTMLPage}, msg: "HTML page",
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token {
				e.jira.SetFaults(jiratest.Faults{SSOPage: true})
				return nil
			}},
		{name: "not_found", want: []oauth.Code{oauth.CodeNotFound}, msg: "404",
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token { e.c = rebase(t, e.c, e.srv.URL+"/wrong", nil); return nil }},
		{name: "base_url_mismatch", want: []oauth.Code{oauth.CodeBaseURLMismatch}, msg: "https://jira.example.com/jira",
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token {
				e.jira.SetFaults(jiratest.Faults{BaseURL: "https://jira.example.com/jira"})
				return nil
			}},
		{name: "clock_skew", want: []oauth.Code{oauth.CodeClockSkew}, msg: "120 s ahead",
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token {
				e.jira.SetFaults(jiratest.Faults{ClockOffset: 2 * time.Minute})
				return nil
			}},
		{name: "timestamp_refused replaces clock_skew", want: []oauth.Code{oauth.CodeTimestampRefused}, msg: "600 s behind",
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token {
				e.jira.SetFaults(jiratest.Faults{ClockOffset: -10 * time.Minute})
				return nil
			}},
		{name: "consumer_key_unknown", want: []oauth.Code{oauth.CodeConsumerKeyUnknown}, msg: `"applink-typo"`,
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token { e.c.ConsumerKey = "applink-typo"; return nil }},
		{name: "signature_invalid", want: []oauth.Code{oauth.CodeSignatureInvalid}, msg: "applink's public key has fingerprint SHA256:",
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token { e.c.PrivateKey = otherKey(); return nil }},
		{name: "signature_method_rejected", want: []oauth.Code{oauth.CodeSignatureMethodRejected}, msg: "RSA-SHA1",
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token {
				e.jira.SetFaults(jiratest.Faults{RejectRSA: true})
				return nil
			}},
		{name: "token_rejected", want: []oauth.Code{oauth.CodeTokenRejected}, msg: "token",
			setup: func(t *testing.T, e *jiraEnv) *oauth.Token { return &oauth.Token{Token: "revoked", Secret: "s"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.DataCenter})
			tok := tt.setup(t, e)
			res := e.c.Preflight(testCtx(t), tok)
			var got []oauth.Code
			for _, p := range res.Problems {
				got = append(got, p.Code)
				if p.Message == "" || p.Hint == "" || p.Hint != oauth.Explain(p.Code, "") {
					t.Errorf("%s: message %q, hint %q: want both, the hint the table's", p.Code, p.Message, p.Hint)
				}
			}
			if strings.Join(codes(got), ",") != strings.Join(codes(tt.want), ",") || res.OK != (len(tt.want) == 0) {
				t.Fatalf("ok %v, problems %v; want %v", res.OK, res.Problems, tt.want)
			}
			if len(got) > 0 && !strings.Contains(res.Problems[0].Message, tt.msg) {
				t.Errorf("message %q lacks %q", res.Problems[0].Message, tt.msg)
			}
			if tt.name == "healthy" {
				if res.Jira.DeploymentType != "DataCenter" || res.Jira.Version == "" || res.Jira.BaseURL != e.c.Endpoints.Base ||
					res.Jira.ClockSkewSeconds == nil || *res.Jira.ClockSkewSeconds != 0 {
					t.Errorf("jira facts %+v", res.Jira)
				}
			}
		})
	}
}

// rebase returns a consumer like c for another base URL, trusting caPEM.
func rebase(t *testing.T, c *oauth.Consumer, base string, caPEM []byte) *oauth.Consumer {
	t.Helper()
	n, err := oauth.NewConsumer(base, c.ConsumerKey, c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if n.HTTPClient, err = oauth.ClientWithCA(nil, caPEM); err != nil {
		t.Fatal(err)
	}
	n.Now, n.Timeout = c.Now, c.Timeout
	return n
}

func codes(cs []oauth.Code) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func TestParseCAsRefusesWhatIsNotACertificate(t *testing.T) {
	for _, in := range []string{"", "hello", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", strings.Repeat("x", oauth.MaxCAPEM+1)} {
		if _, err := oauth.ParseCAs([]byte(in)); !fault.Is(err, oauth.CodeBadInput) {
			t.Errorf("ParseCAs(%.30q) = %v, want bad_input", in, err)
		}
	}
}

func TestFailuresTable(t *testing.T) {
	seen := map[oauth.Code]bool{}
	for _, f := range oauth.Failures() {
		if seen[f.Code] || f.Means == "" || f.Jira == "" || f.Fix == "" {
			t.Errorf("%s: duplicate or incomplete", f.Code)
		}
		seen[f.Code] = true
		for _, s := range []oauth.Surface{"", oauth.SurfaceCLI, oauth.SurfaceWeb} {
			if oauth.Explain(f.Code, s) == "" {
				t.Errorf("%s has no fix for surface %q", f.Code, s)
			}
		}
		// The web's words are buttons and pages, never commands or flags.
		if w := oauth.Explain(f.Code, oauth.SurfaceWeb); strings.Contains(w, "--") ||
			strings.Contains(w, "applink authorize") || strings.Contains(w, "applink config") || strings.Contains(w, "applink keys") {
			t.Errorf("%s: web fix speaks CLI words: %q", f.Code, w)
		}
	}
	if oauth.Explain("no_such_code", oauth.SurfaceWeb) != "" {
		t.Error("Explain of an unknown code is not empty")
	}
}
