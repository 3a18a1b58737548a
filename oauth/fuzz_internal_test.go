package oauth

import (
	"strings"
	"testing"
	"time"
)

func FuzzParseTokenAnswer(f *testing.F) {
	f.Add([]byte("oauth_token=t&oauth_token_secret=s&oauth_callback_confirmed=true"))
	f.Add([]byte("oauth_token=%zz"))
	f.Add([]byte("&&=&a=b=c&;x"))
	f.Fuzz(func(t *testing.T, body []byte) {
		vals, err := parseTokenAnswer(body)
		if err != nil {
			return
		}
		for k := range vals {
			if k == "" && !strings.Contains(string(body), "=") {
				t.Errorf("empty name from %q", body)
			}
		}
		if tok, err := tokenFrom(vals, "request_token", "https://jira.example.com/x"); err == nil && (tok.Token == "" || tok.Secret == "") {
			t.Errorf("tokenFrom accepted an empty token or secret: %+v", tok)
		}
	})
}

func TestRedactVerifier(t *testing.T) {
	tests := []struct{ in, want string }{
		{"POST&u&a%3D1%26oauth_verifier%3Dsecret%26z%3D2", "POST&u&a%3D1%26oauth_verifier%3D[redacted]%26z%3D2"},
		{"POST&u&oauth_verifier%3Dsecret", "POST&u&oauth_verifier%3D[redacted]"},
		{"oauth_verifier%253Dsecret%2526x", "oauth_verifier%253D[redacted]%2526x"},
		{"oauth_verifier=secret&x=1", "oauth_verifier=[redacted]&x=1"},
		{"no verifier", "no verifier"},
	}
	for _, tt := range tests {
		if got := redactVerifier(tt.in); got != tt.want {
			t.Errorf("redactVerifier(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := redactVerifier(redactVerifier(tt.in)); got != tt.want {
			t.Errorf("not idempotent on %q: %q", tt.in, got)
		}
	}
}

func TestCompareBaseStrings(t *testing.T) {
	ours := "GET&http%3A%2F%2Fh%2Fx&a%3D1%26a%3D2%26b%3D3"
	tests := []struct{ jiras, want string }{
		{ours, "same base string"},
		{"GET&https%3A%2F%2Fh%2Fx&a%3D1%26a%3D2%26b%3D3", "Jira saw the URL https://h/x but the request was signed for http://h/x"},
		{"POST&http%3A%2F%2Fh%2Fx&a%3D1%26a%3D2%26b%3D3", "Jira saw the method POST"},
		{"GET&http%3A%2F%2Fh%2Fx&a%3D1%26b%3D3", "other parameters than the ones signed (a)"},
		{"garbage", ""},
	}
	for _, tt := range tests {
		got := signatureFinding(ours, tt.jiras)
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("signatureFinding(%q) = %q, want it to hold %q", tt.jiras, got, tt.want)
		}
	}
}

func TestAfterSeconds(t *testing.T) {
	zero := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"", "x", "-5", "0", "99999999999999999999", "9223372036854775807"} {
		if got := afterSeconds(zero, s); !got.IsZero() {
			t.Errorf("afterSeconds(%q) = %v, want zero", s, got)
		}
	}
	if got := afterSeconds(zero, " 60 "); got.Sub(zero).Seconds() != 60 {
		t.Errorf("afterSeconds(60) = %v", got)
	}
}
