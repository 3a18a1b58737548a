package oauth_test

import (
	"net/url"
	"testing"

	"github.com/applink/applink/oauth"
)

func TestParseCallback(t *testing.T) {
	for _, tt := range []struct {
		raw             string
		token, verifier string
	}{
		{"oauth_token=abc&oauth_verifier=123456", "abc", "123456"},
		{"oauth_verifier=denied&oauth_token=t", "t", "denied"},
		{"oauth_token=a&oauth_token=b&oauth_verifier=c", "", ""},
		{"oauth_token=&oauth_verifier=v", "", ""},
		{"oauth_token=t", "", ""},
		{"%zz", "", ""},
		{"oauth_token=t&oauth_verifier=" + string(make([]byte, oauth.MaxCallbackParam+1)), "", ""},
	} {
		token, verifier, err := oauth.ParseCallback(tt.raw)
		if token != tt.token || verifier != tt.verifier || (err == nil) != (tt.token != "") {
			t.Errorf("ParseCallback(%.40q) = %q, %q, %v; want %q, %q", tt.raw, token, verifier, err, tt.token, tt.verifier)
		}
		if err != nil {
			if e, ok := err.(*oauth.Error); !ok || e.Code != oauth.CodeBadCallback {
				t.Errorf("ParseCallback(%.40q) error %v, want bad_callback", tt.raw, err)
			}
		}
	}
}

// FuzzParseCallback feeds arbitrary queries to the callback's parser:
// never a panic; accepted parameters are present once, non-empty, short.
func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{
		"oauth_token=abc&oauth_verifier=123456", "oauth_token=a&oauth_token=b&oauth_verifier=c",
		"oauth_verifier=denied&oauth_token=t", "%zz", "oauth_token=&oauth_verifier=", ";;&&==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		token, verifier, err := oauth.ParseCallback(raw)
		if err != nil {
			if token != "" || verifier != "" {
				t.Fatal("values returned with an error")
			}
			return
		}
		q, qerr := url.ParseQuery(raw)
		if qerr != nil || len(q["oauth_token"]) != 1 || len(q["oauth_verifier"]) != 1 {
			t.Fatalf("accepted %q", raw)
		}
		if token == "" || verifier == "" || len(token) > oauth.MaxCallbackParam || len(verifier) > oauth.MaxCallbackParam {
			t.Fatalf("accepted token %q verifier %q", token, verifier)
		}
	})
}
