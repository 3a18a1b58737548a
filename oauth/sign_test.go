package oauth_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
)

func TestBaseStringRepeatedQueryKeys(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, "https://jira.example.com/rest/api/2/search?a=2&a=1&b=x&a=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := oauth.SignatureBaseString(req, map[string]string{"oauth_nonce": "n"})
	if err != nil {
		t.Fatal(err)
	}
	// Every instance of a, sorted by value, duplicates kept.
	want := "GET&https%3A%2F%2Fjira.example.com%2Frest%2Fapi%2F2%2Fsearch&a%3D1%26a%3D1%26a%3D2%26b%3Dx%26oauth_nonce%3Dn"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestBaseStringFormBody(t *testing.T) {
	for _, ct := range []string{
		"application/x-www-form-urlencoded",
		"application/x-www-form-urlencoded; charset=UTF-8",
		"Application/X-WWW-Form-Urlencoded;charset=utf-8",
	} {
		t.Run(ct, func(t *testing.T) {
			const body = "jql=project%20%3D%20ABC&fields=a&fields=b"
			req, err := http.NewRequest(http.MethodPost, "http://jira.example.com:8080/jira/rest/x?q=1", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", ct)
			got, err := oauth.SignatureBaseString(req, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := "POST&http%3A%2F%2Fjira.example.com%3A8080%2Fjira%2Frest%2Fx&fields%3Da%26fields%3Db%26jql%3Dproject%2520%253D%2520ABC%26q%3D1"
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			// The body is still there to send, and to send again.
			b, err := io.ReadAll(req.Body)
			if err != nil || string(b) != body {
				t.Errorf("body after signing = %q, %v; want %q", b, err, body)
			}
			rc, err := req.GetBody()
			if err != nil {
				t.Fatal(err)
			}
			b, _ = io.ReadAll(rc)
			if string(b) != body {
				t.Errorf("GetBody after signing = %q, want %q", b, body)
			}
			if req.ContentLength != int64(len(body)) {
				t.Errorf("ContentLength = %d, want %d", req.ContentLength, len(body))
			}
		})
	}
}

func TestBaseStringIgnoresOtherBodies(t *testing.T) {
	req, err := http.NewRequest(http.MethodPost, "http://jira.example.com/rest/api/2/issue", strings.NewReader(`{"a=b":"c"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	got, err := oauth.SignatureBaseString(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "POST&http%3A%2F%2Fjira.example.com%2Frest%2Fapi%2F2%2Fissue&"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	b, _ := io.ReadAll(req.Body)
	if string(b) != `{"a=b":"c"}` {
		t.Errorf("a JSON body was touched: %q", b)
	}
}

func TestBaseStringURI(t *testing.T) {
	tests := []struct {
		url, host, want string
	}{
		{"HTTPS://Jira.Example.COM:443/Jira/x", "", "https://jira.example.com/Jira/x"},
		{"http://jira.example.com:80", "", "http://jira.example.com/"},
		{"https://jira.example.com:8443/a%20b", "", "https://jira.example.com:8443/a%20b"},
		{"http://127.0.0.1:8080/x", "Jira.Example.com", "http://jira.example.com/x"},
		{"http://[::1]:80/x", "", "http://[::1]/x"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(http.MethodGet, tt.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tt.host
		got, err := oauth.SignatureBaseString(req, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := "GET&" + enc(tt.want) + "&"
		if got != want {
			t.Errorf("%s (Host %q): got %s, want %s", tt.url, tt.host, got, want)
		}
	}
}

func TestBaseStringLeavesOutSignatureAndRealm(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://h/", nil)
	got, err := oauth.SignatureBaseString(req, map[string]string{
		"oauth_signature": "x", "realm": "r", "oauth_token": "t"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "GET&http%3A%2F%2Fh%2F&oauth_token%3Dt"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestBaseStringBadEscape(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://h/", nil)
	req.URL.RawQuery = "a=%zz"
	_, err := oauth.SignatureBaseString(req, nil)
	if e := asError(t, err); e.Code != oauth.CodeBadInput {
		t.Errorf("code = %s, want %s", e.Code, oauth.CodeBadInput)
	}
}

func TestSignHeader(t *testing.T) {
	c := newTestConsumer(t, "https://jira.example.com")
	c.Now = fixedClock(time.Unix(1700000000, 0))
	c.Noncer = fixedNoncer("abc")
	req, _ := http.NewRequest(http.MethodPost, "https://jira.example.com/plugins/servlet/oauth/access-token", nil)
	base, err := c.Sign(req, &oauth.Token{Token: "req tok", Secret: "never sent"},
		map[string]string{"oauth_verifier": "v/1"})
	if err != nil {
		t.Fatal(err)
	}
	h := req.Header.Get("Authorization")
	params := parseAuthorization(h)
	want := map[string]string{
		"oauth_consumer_key": "applink-test", "oauth_nonce": "abc", "oauth_signature_method": "RSA-SHA1",
		"oauth_timestamp": "1700000000", "oauth_version": "1.0", "oauth_token": "req tok", "oauth_verifier": "v/1",
	}
	for k, v := range want {
		if params[k] != v {
			t.Errorf("%s = %q, want %q (header %s)", k, params[k], v, h)
		}
	}
	if !strings.Contains(h, `oauth_token="req%20tok"`) || !strings.Contains(h, `oauth_verifier="v%2F1"`) {
		t.Errorf("header values are not percent-encoded: %s", h)
	}
	if strings.Contains(h, "never sent") || strings.Contains(base, "never") {
		t.Errorf("the token secret leaked into the request: %s / %s", h, base)
	}
	wantBase := "POST&https%3A%2F%2Fjira.example.com%2Fplugins%2Fservlet%2Foauth%2Faccess-token&" +
		"oauth_consumer_key%3Dapplink-test%26oauth_nonce%3Dabc%26oauth_signature_method%3DRSA-SHA1%26" +
		"oauth_timestamp%3D1700000000%26oauth_token%3Dreq%2520tok%26oauth_verifier%3Dv%252F1%26oauth_version%3D1.0"
	if base != wantBase {
		t.Errorf("base\n got %s\nwant %s", base, wantBase)
	}
}

func TestSignRefusesBadExtra(t *testing.T) {
	c := newTestConsumer(t, "https://jira.example.com")
	for _, k := range []string{"oauth_signature", "callback", ""} {
		req, _ := http.NewRequest(http.MethodGet, "https://jira.example.com/", nil)
		_, err := c.Sign(req, nil, map[string]string{k: "x"})
		if e := asError(t, err); e.Code != oauth.CodeBadInput {
			t.Errorf("extra %q: code %s, want %s", k, e.Code, oauth.CodeBadInput)
		}
		if req.Header.Get("Authorization") != "" {
			t.Errorf("extra %q: the request was signed anyway", k)
		}
	}
}

func TestSignWithoutKey(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://jira.example.com/", nil)
	for _, c := range []*oauth.Consumer{nil, {}, {ConsumerKey: "k"}} {
		_, err := c.Sign(req, nil, nil)
		if e := asError(t, err); e.Code != oauth.CodeBadInput {
			t.Errorf("code %s, want %s", e.Code, oauth.CodeBadInput)
		}
	}
	var nilReq *http.Request
	_, err := newTestConsumer(t, "https://jira.example.com").Sign(nilReq, nil, nil)
	if !errors.As(err, new(*oauth.Error)) {
		t.Errorf("Sign(nil) = %v, want an *oauth.Error", err)
	}
}
