package oauth_test

// Cost benchmarks: each compares applink's code with the RSA operations it
// cannot avoid, in the same run, so that benchstat gives the ratio:
//
//	go test -run '^$' -bench 'Cost' -count 10 ./oauth | tee cost.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /op cost.txt
//
// BENCHMARKS.md holds the figures and the targets.

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// BenchmarkSignCost compares the signing of one request (Consumer.Sign:
// the base string, then RSA-SHA1 through dghubble/oauth1's signer, then
// the Authorization header) with a bare rsa.SignPKCS1v15 of the SHA-1 of
// the same base string with the same key (target: sign ≤ 1.10 × rsa).
// The request is BenchmarkSign's GET with 10 query parameters.
func BenchmarkSignCost(b *testing.B) {
	key := testKey()
	c := newTestConsumer(b, "https://jira.example.com/jira")
	token := &oauth.Token{Token: "access", Secret: "secret"}
	req, err := http.NewRequest(http.MethodGet, "https://jira.example.com/jira/rest/api/2/search?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&fields=summary&fields=status", nil)
	if err != nil {
		b.Fatal(err)
	}
	base, err := c.Sign(req, token, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("op=rsa", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sum := sha1.Sum([]byte(base))
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA1, sum[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("op=sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Sign(req, token, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHandshakeCost compares a whole handshake (request token,
// approval, access token, myself and the identity check) against the
// simulated Jira with the RSA operations it contains: per signed request,
// one RSA-SHA1 signature by the consumer and one verification by Jira
// (target: handshake ≤ 1.5 × rsa). The signed requests are counted on a
// first handshake, not assumed, and reported as signed-requests/op.
//
// op=handshake calls the simulated Jira in-process (an http.RoundTripper
// that serves each request with its handler); op=loopback calls it over
// TCP on 127.0.0.1, as BenchmarkHandshake does, to show what the HTTP
// stack adds.
func BenchmarkHandshakeCost(b *testing.B) {
	key := testKey()
	j := jiratest.New(jiratest.Options{Flavor: jiratest.Server})
	j.AddUser(jiratest.User{Name: svcName, DisplayName: "Jira Align Service", Password: svcPassword})
	if err := j.AddConsumer(consumerKey, "bench", publicPEM(b, key), ""); err != nil {
		b.Fatal(err)
	}
	var signed atomic.Int64
	jira := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("Authorization"), "OAuth ") {
			signed.Add(1)
		}
		j.ServeHTTP(w, r)
	})
	inProcess, err := oauth.NewConsumer("http://jira.bench", consumerKey, key)
	if err != nil {
		b.Fatal(err)
	}
	inProcess.HTTPClient = &http.Client{Transport: handlerTransport{jira}}
	srv := httptest.NewServer(jira)
	defer srv.Close()
	loopback, err := oauth.NewConsumer(srv.URL, consumerKey, key)
	if err != nil {
		b.Fatal(err)
	}

	handshake := func(b *testing.B, c *oauth.Consumer) {
		rt, err := c.RequestToken(b.Context(), "https://consumer.example/callback")
		if err != nil {
			b.Fatal(err)
		}
		verifier, _, err := j.ApproveRequest(rt.Token.Token, svcName, true)
		if err != nil {
			b.Fatal(err)
		}
		res, err := c.Complete(b.Context(), rt, verifier, svcName)
		if err != nil || res.Verdict != oauth.VerdictMatch {
			b.Fatalf("complete: %v (match %v)", err, res != nil && res.Verdict == oauth.VerdictMatch)
		}
	}
	handshake(b, inProcess)
	n := int(signed.Load())

	// A base string of the size the handshake signs: the request-token
	// POST with its callback.
	req, err := http.NewRequest(http.MethodPost, "https://jira.example.com/plugins/servlet/oauth/request-token", nil)
	if err != nil {
		b.Fatal(err)
	}
	base, err := newTestConsumer(b, "https://jira.example.com").Sign(req, nil, map[string]string{"oauth_callback": "https://consumer.example/callback"})
	if err != nil {
		b.Fatal(err)
	}

	b.Run("op=rsa", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for range n {
				sum := sha1.Sum([]byte(base))
				sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA1, sum[:])
				if err != nil {
					b.Fatal(err)
				}
				sum = sha1.Sum([]byte(base))
				if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA1, sum[:], sig); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(n), "signed-requests/op")
	})
	for _, v := range []struct {
		name string
		c    *oauth.Consumer
	}{{"op=handshake", inProcess}, {"op=loopback", loopback}} {
		b.Run(v.name, func(b *testing.B) {
			signed.Store(0)
			b.ReportAllocs()
			for b.Loop() {
				handshake(b, v.c)
			}
			b.ReportMetric(float64(signed.Load())/float64(b.N), "signed-requests/op")
		})
	}
}

// handlerTransport serves each request with a handler, in-process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	sr := httptest.NewRequestWithContext(req.Context(), req.Method, req.URL.String(), req.Body)
	sr.Header = req.Header.Clone()
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, sr)
	return rec.Result(), nil
}
