package oauth_test

import (
	"net/http"
	"testing"

	"github.com/applink/applink/oauth"
)

func FuzzSignatureBaseString(f *testing.F) {
	f.Add("GET", "http://h/p?a=1&a=2", "application/x-www-form-urlencoded; charset=utf-8", "c=3&d")
	f.Add("post", "HTTPS://H:443/%zz", "", "")
	f.Add("GET", "http://[::1]:80/?;=&&=", "application/x-www-form-urlencoded", "%")
	f.Fuzz(func(t *testing.T, method, rawURL, contentType, body string) {
		req, err := http.NewRequest(method, rawURL, nil)
		if err != nil {
			return
		}
		if body != "" {
			req, err = http.NewRequest(method, rawURL, stringsReader(body))
			if err != nil {
				return
			}
		}
		req.Header.Set("Content-Type", contentType)
		base, err := oauth.SignatureBaseString(req, map[string]string{"oauth_nonce": "n"})
		if err != nil {
			return
		}
		if n := countByte(base, '&'); n != 2 {
			t.Errorf("base string has %d raw '&', want 2: %q", n, base)
		}
	})
}

func countByte(s string, b byte) int {
	n := 0
	for i := range len(s) {
		if s[i] == b {
			n++
		}
	}
	return n
}

// BenchmarkSign signs a GET with 10 query parameters with a 2048-bit key.
func BenchmarkSign(b *testing.B) {
	c := newTestConsumer(b, "https://jira.example.com/jira")
	const u = "https://jira.example.com/jira/rest/api/2/search?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&fields=summary&fields=status"
	token := &oauth.Token{Token: "access", Secret: "secret"}
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Sign(req, token, nil); err != nil {
			b.Fatal(err)
		}
	}
}
