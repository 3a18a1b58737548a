package server

import (
	"errors"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/applink/applink/oauth"
)

// FuzzLinkInput feeds arbitrary bodies to the JSON decoding and checking
// of POST /api/links: never a panic, every refusal an *Error with a 400
// code, and every accepted input a valid link.
func FuzzLinkInput(f *testing.F) {
	for _, s := range []string{
		`{"name":"prod","jira_url":"https://jira.example.com","service_account":"svc"}`,
		`{"name":"a_b-1","jira_url":"http://j/jira/","service_account":"x","consumer_key":"k","consumer_name":"n","environment":"e"}`,
		`{"name":"../x","jira_url":"ftp://x","service_account":""}`,
		`{"name":1}`, `{"extra":true}`, `[]`, `null`, `{"name":"x"}{}`, "{\"name\":\"\\u0000\"}", ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in LinkInput
		err := decodeJSON(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/links", strings.NewReader(body)), &in)
		if err == nil {
			l, nerr := normalize(in)
			if nerr == nil {
				if !validName(l.Name) || l.ServiceAccount == "" || oauth.CheckConsumerKey(l.ConsumerKey) != nil ||
					!(strings.HasPrefix(l.JiraURL, "http://") || strings.HasPrefix(l.JiraURL, "https://")) {
					t.Fatalf("accepted an invalid link: %+v", l)
				}
				return
			}
			err = nerr
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("refusal is not an *Error: %v", err)
		}
		if s := Status(e.Code); s != 400 || e.Message == "" {
			t.Fatalf("refusal %+v has status %d", e, s)
		}
	})
}

func FuzzParseTrustedProxies(f *testing.F) {
	f.Add("10.0.0.0/8, 192.0.2.1,fd00::/8")
	f.Add("fe80::1%eth0")
	f.Fuzz(func(t *testing.T, v string) {
		ps, err := ParseTrustedProxies(v)
		if err != nil {
			return
		}
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() {
				t.Errorf("%q gave %v", v, p)
			}
		}
	})
}

// FuzzForwardedClient: whatever the header says, the client is a valid
// address: the peer, or one the header holds that is not trusted (or the
// left-most one when all are).
func FuzzForwardedClient(f *testing.F) {
	f.Add("1.2.3.4, 10.0.0.9")
	f.Add("[2001:db8::5]:443,unknown")
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	peer := netip.MustParseAddr("10.0.0.2")
	f.Fuzz(func(t *testing.T, xff string) {
		got := forwardedClient([]string{xff}, proxies, peer)
		if !got.IsValid() || got.Zone() != "" && !strings.Contains(xff, "%") {
			t.Errorf("%q gave %v", xff, got)
		}
	})
}
