package oauth_test

// Cost benchmarks: each compares applink's code with the RSA operations it
// cannot avoid, measured in the same iterations (see pair), and reports
// the ratio; benchstat summarises it over runs:
//
//	go test -run '^$' -bench 'Cost' -count 10 ./oauth | tee cost.txt
//	go run golang.org/x/perf/cmd/benchstat@latest cost.txt
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
	"time"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// BenchmarkSignCost compares the signing of one request (Consumer.Sign:
// the base string, then RSA-SHA1 through dghubble/oauth1's signer, then
// the Authorization header) with a bare rsa.SignPKCS1v15 of the SHA-1 of
// the same base string with the same key. Target: sign/rsa ≤ 1.10. The
// request is BenchmarkSign's GET with 10 query parameters.
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
	pair(b, "rsa", func() {
		sum := sha1.Sum([]byte(base))
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA1, sum[:]); err != nil {
			b.Fatal(err)
		}
	}, "sign", func() {
		if _, err := c.Sign(req, token, nil); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkHandshakeCost compares a whole handshake (request token,
// approval, access token, myself and the identity check) against the
// simulated Jira with the RSA operations it contains: per signed request,
// one RSA-SHA1 signature by the consumer and one verification by Jira.
// Target: handshake/rsa ≤ 1.5. The signed requests are counted on a first
// handshake, not assumed, and reported as signed-requests/op.
//
// via=inprocess calls the simulated Jira in-process (an http.RoundTripper
// that serves each request with its handler); via=loopback calls it over
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
		res, err := c.Complete(b.Context(), rt, verifier, svcName, "")
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
	rsaOps := func() {
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
	for _, v := range []struct {
		name string
		c    *oauth.Consumer
	}{{"via=inprocess", inProcess}, {"via=loopback", loopback}} {
		b.Run(v.name, func(b *testing.B) {
			signed.Store(0)
			pair(b, "rsa", rsaOps, "handshake", func() { handshake(b, v.c) })
			b.ReportMetric(float64(signed.Load())/float64(b.N), "signed-requests/op")
		})
	}
}

// pair measures base and op in the same iterations, one of each per
// iteration, in alternating order, and reports the CPU time per op of
// each (NAME-cpu-ns/op: user and system time of every thread, so it
// counts the simulated Jira's work and the garbage collector's) and their
// ratio (op/base). Both meet the same load from other processes, which
// makes the ratio hold on a busy machine, where ns/op (here the time of
// both) swings. Each CPU reading costs about a microsecond, a thousandth
// of an RSA signature.
func pair(b *testing.B, baseName string, base func(), opName string, op func()) {
	b.Helper()
	b.ReportAllocs()
	var baseCPU, opCPU time.Duration
	i := 0
	for b.Loop() {
		i++
		if i%2 == 0 {
			t0 := cpuTime()
			base()
			t1 := cpuTime()
			op()
			baseCPU, opCPU = baseCPU+t1-t0, opCPU+cpuTime()-t1
		} else {
			t0 := cpuTime()
			op()
			t1 := cpuTime()
			base()
			opCPU, baseCPU = opCPU+t1-t0, baseCPU+cpuTime()-t1
		}
	}
	if baseCPU <= 0 {
		return // no CPU clock here
	}
	b.ReportMetric(float64(baseCPU)/float64(b.N), baseName+"-cpu-ns/op")
	b.ReportMetric(float64(opCPU)/float64(b.N), opName+"-cpu-ns/op")
	b.ReportMetric(float64(opCPU)/float64(baseCPU), opName+"/"+baseName)
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
