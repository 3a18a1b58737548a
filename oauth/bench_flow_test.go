package oauth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// BenchmarkHandshake runs the whole handshake against the simulated Jira on
// loopback: request token, approval (ApproveRequest, no browser), access
// token, myself and the identity check. It measures applink's side and the
// simulated Jira's together; the RSA signatures (four of them) dominate.
func BenchmarkHandshake(b *testing.B) {
	j, srv := jiratest.NewServer(b, jiratest.Options{Flavor: jiratest.Server},
		jiratest.User{Name: svcName, DisplayName: "Jira Align Service", Password: svcPassword})
	if err := j.AddConsumer(consumerKey, "bench", publicPEM(b, testKey()), ""); err != nil {
		b.Fatal(err)
	}
	c, err := oauth.NewConsumer(srv.URL, consumerKey, testKey())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		rt, err := c.RequestToken(ctx, "https://consumer.example/callback")
		if err != nil {
			b.Fatal(err)
		}
		verifier, _, err := j.ApproveRequest(rt.Token.Token, svcName, true)
		if err != nil {
			b.Fatal(err)
		}
		res, err := c.Complete(ctx, rt, verifier, svcName, "")
		if err != nil || res.Verdict != oauth.VerdictMatch {
			b.Fatalf("complete: %v (match %v)", err, res != nil && res.Verdict == oauth.VerdictMatch)
		}
	}
}

// BenchmarkParseProblem parses a signature_invalid answer with Jira's base
// string, the largest oauth_problem answer.
func BenchmarkParseProblem(b *testing.B) {
	body := "oauth_problem=signature_invalid&oauth_signature=abc&oauth_signature_base_string=" +
		strings.Repeat("GET%26https%253A%252F%252Fjira.example.com%252Frest%26oauth_consumer_key%253Dk", 8) +
		"&oauth_signature_method=RSA-SHA1"
	header := `OAuth realm="https%3A%2F%2Fjira.example.com", oauth_problem="signature_invalid"`
	b.ReportAllocs()
	for b.Loop() {
		p, ok := oauth.ParseProblem(header, []byte(body))
		if !ok || p.Problem != "signature_invalid" {
			b.Fatal("not parsed")
		}
	}
}
