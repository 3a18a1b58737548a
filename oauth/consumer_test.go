package oauth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
)

// fakeJira is an httptest server whose handler sees every request
// verified by the independent verifier of helpers_test.go.
type fakeJira struct {
	*httptest.Server
	mu  sync.Mutex
	got []received
}

func newFakeJira(t *testing.T, h func(w http.ResponseWriter, r *http.Request, rec received)) *fakeJira {
	t.Helper()
	f := &fakeJira{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := verifyRequest(r, &testKey().PublicKey)
		f.mu.Lock()
		f.got = append(f.got, rec)
		f.mu.Unlock()
		h(w, r, rec)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeJira) requests() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.got...)
}

func formAnswer(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	io.WriteString(w, body)
}

func oauthProblem(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	p, _ := oauth.ParseProblem("", []byte(body))
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`OAuth realm="jira", oauth_problem="%s"`, p.Problem))
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, body)
}

var testNow = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func consumerFor(t *testing.T, f *fakeJira, contextPath string) *oauth.Consumer {
	t.Helper()
	c := newTestConsumer(t, f.URL+contextPath+"/")
	c.Now = fixedClock(testNow)
	c.Noncer = &counterNoncer{}
	return c
}

func TestRequestToken(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		formAnswer(w, "oauth_token=rt1&oauth_token_secret=rs1&oauth_callback_confirmed=true")
	})
	c := consumerFor(t, f, "/jira")
	rt, err := c.RequestToken(context.Background(), "http://127.0.0.1:9999/callback?x=1")
	if err != nil {
		t.Fatal(err)
	}
	want := oauth.RequestToken{
		Token:        oauth.Token{Token: "rt1", Secret: "rs1"},
		AuthorizeURL: f.URL + "/jira/plugins/servlet/oauth/authorize?oauth_token=rt1",
		IssuedAt:     testNow,
		ExpiresAt:    testNow.Add(10 * time.Minute),
	}
	if *rt != want {
		t.Errorf("got %+v\nwant %+v", *rt, want)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/jira/plugins/servlet/oauth/request-token" {
		t.Errorf("got %s %s, want POST /jira/plugins/servlet/oauth/request-token", r.Method, r.Path)
	}
	if !r.Verified {
		t.Errorf("signature does not verify over %s", r.Base)
	}
	if r.OAuth["oauth_callback"] != "http://127.0.0.1:9999/callback?x=1" || r.OAuth["oauth_consumer_key"] != "applink-test" ||
		r.OAuth["oauth_signature_method"] != "RSA-SHA1" || r.OAuth["oauth_version"] != "1.0" ||
		r.OAuth["oauth_timestamp"] != fmt.Sprint(testNow.Unix()) {
		t.Errorf("OAuth params = %v", r.OAuth)
	}
	if _, ok := r.OAuth["oauth_token"]; ok {
		t.Errorf("request-token step sent oauth_token")
	}
}

func TestRequestTokenOOB(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		formAnswer(w, "oauth_token=rt1&oauth_token_secret=rs1&oauth_callback_confirmed=true")
	})
	for _, cb := range []string{"", "  ", "oob"} {
		if _, err := consumerFor(t, f, "").RequestToken(context.Background(), cb); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range f.requests() {
		if r.OAuth["oauth_callback"] != "oob" || !r.Verified {
			t.Errorf("oauth_callback = %q (verified %v), want oob", r.OAuth["oauth_callback"], r.Verified)
		}
	}
}

func TestRequestTokenBadAnswers(t *testing.T) {
	tests := []struct {
		body string
		code oauth.Code
	}{
		{"oauth_token=rt&oauth_token_secret=S3CR3T", oauth.CodeCallbackNotConfirmed},
		{"oauth_token=rt&oauth_token_secret=S3CR3T&oauth_callback_confirmed=false", oauth.CodeCallbackNotConfirmed},
		{"oauth_token=rt&oauth_callback_confirmed=true", oauth.CodeBadResponse},
		{"oauth_token_secret=S3CR3T&oauth_callback_confirmed=true", oauth.CodeBadResponse},
		{"", oauth.CodeBadResponse},
		{"oauth_token=%zz", oauth.CodeBadResponse},
	}
	for _, tt := range tests {
		f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) { formAnswer(w, tt.body) })
		rt, err := consumerFor(t, f, "").RequestToken(context.Background(), "oob")
		if rt != nil {
			t.Errorf("%q: got a request token", tt.body)
		}
		e := asError(t, err)
		if e.Code != tt.code || e.Step != "request_token" {
			t.Errorf("%q: code %s step %s, want %s request_token", tt.body, e.Code, e.Step, tt.code)
		}
		if strings.Contains(fmt.Sprintf("%s %+v", e.Error(), *e), "S3CR3T") {
			t.Errorf("%q: the secret is in the error: %s", tt.body, e.Error())
		}
	}
}

func TestAccessToken(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		formAnswer(w, "oauth_token=at1&oauth_token_secret=as1&oauth_expires_in=157680000"+
			"&oauth_session_handle=sh1&oauth_authorization_expires_in=604800")
	})
	c := consumerFor(t, f, "")
	rt := &oauth.RequestToken{Token: oauth.Token{Token: "rt1", Secret: "rs1"}, IssuedAt: testNow.Add(-time.Minute),
		ExpiresAt: testNow.Add(9 * time.Minute)}
	at, err := c.AccessToken(context.Background(), rt, " ver1 \n")
	if err != nil {
		t.Fatal(err)
	}
	want := oauth.AccessToken{
		Token:                  oauth.Token{Token: "at1", Secret: "as1"},
		SessionHandle:          "sh1",
		ExpiresAt:              testNow.Add(157680000 * time.Second),
		AuthorizationExpiresAt: testNow.Add(7 * 24 * time.Hour),
	}
	if *at != want {
		t.Errorf("got %+v\nwant %+v", *at, want)
	}
	r := f.requests()[0]
	if r.Method != http.MethodPost || r.Path != "/plugins/servlet/oauth/access-token" || !r.Verified ||
		r.OAuth["oauth_token"] != "rt1" || r.OAuth["oauth_verifier"] != "ver1" {
		t.Errorf("got %s %s verified=%v params %v", r.Method, r.Path, r.Verified, r.OAuth)
	}
}

func TestAccessTokenWithoutExpiry(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		formAnswer(w, "oauth_token=at1&oauth_token_secret=as1&oauth_expires_in=soon")
	})
	at, err := consumerFor(t, f, "").AccessToken(context.Background(),
		&oauth.RequestToken{Token: oauth.Token{Token: "rt", Secret: "s"}}, "v")
	if err != nil {
		t.Fatal(err)
	}
	if !at.ExpiresAt.IsZero() || !at.AuthorizationExpiresAt.IsZero() || at.SessionHandle != "" {
		t.Errorf("got %+v, want no expiry and no session handle", at)
	}
}

func TestAccessTokenRefusedWithoutCallingJira(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		t.Errorf("Jira was called: %s %s", r.Method, r.URL.Path)
	})
	c := consumerFor(t, f, "")
	fresh := &oauth.RequestToken{Token: oauth.Token{Token: "rt", Secret: "s"}, IssuedAt: testNow, ExpiresAt: testNow.Add(10 * time.Minute)}
	old := &oauth.RequestToken{Token: oauth.Token{Token: "rt", Secret: "s"}, IssuedAt: testNow.Add(-10 * time.Minute)}
	tests := []struct {
		rt       *oauth.RequestToken
		verifier string
		code     oauth.Code
	}{
		{old, "v", oauth.CodeRequestExpired},
		{&oauth.RequestToken{Token: oauth.Token{Token: "rt"}, ExpiresAt: testNow}, "v", oauth.CodeRequestExpired},
		{fresh, "", oauth.CodeBadInput},
		{nil, "v", oauth.CodeBadInput},
	}
	for _, tt := range tests {
		at, err := c.AccessToken(context.Background(), tt.rt, tt.verifier)
		if at != nil {
			t.Errorf("%q: got an access token", tt.verifier)
		}
		if e := asError(t, err); e.Code != tt.code || e.Step != "access_token" {
			t.Errorf("%q: code %s step %s, want %s access_token", tt.verifier, e.Code, e.Step, tt.code)
		}
	}
}

func TestGetRepeatedQueryKeysVerify(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		io.WriteString(w, `{"ok":true}`)
	})
	c := consumerFor(t, f, "/jira")
	body, err := c.As(oauth.Token{Token: "at", Secret: "as"}).Get(context.Background(),
		"rest/api/2/search?jql=project%20%3D%20A&fields=summary&fields=status&fields=summary", "search")
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"ok":true}` {
		t.Errorf("body %q", body)
	}
	r := f.requests()[0]
	if !r.Verified {
		t.Errorf("a GET with repeated keys does not verify; server base string %s", r.Base)
	}
	if got := r.Query["fields"]; len(got) != 3 || r.Path != "/jira/rest/api/2/search" || r.OAuth["oauth_token"] != "at" {
		t.Errorf("got path %s fields %v token %q", r.Path, got, r.OAuth["oauth_token"])
	}
}

func TestSignFormBodies(t *testing.T) {
	var gotBody string
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		gotBody = r.PostForm.Encode()
		if !rec.Verified {
			t.Errorf("form POST does not verify; server base string %s", rec.Base)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	c := consumerFor(t, f, "")
	form := url.Values{"a": {"1", "2"}, "b": {"x y"}}
	req, _ := http.NewRequest(http.MethodPost, f.URL+"/rest/x?a=0", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	if _, err := c.Sign(req, &oauth.Token{Token: "at", Secret: "as"}, nil); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || gotBody != form.Encode() {
		t.Errorf("status %d body %q; want 204 and %q", resp.StatusCode, gotBody, form.Encode())
	}
}

func TestGetDoesNotFollowRedirects(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		if r.URL.Path == "/elsewhere" {
			t.Errorf("the redirect was followed")
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	_, err := consumerFor(t, f, "").As(oauth.Token{Token: "at"}).Get(context.Background(), "/rest/x", "search")
	if e := asError(t, err); e.Status != http.StatusFound {
		t.Errorf("status %d, want 302 returned as it is", e.Status)
	}
}

func TestOAuthRedirectDiagnosed(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		if r.URL.Path != "/plugins/servlet/oauth/request-token" {
			t.Errorf("followed to %s", r.URL.Path)
		}
		http.Redirect(w, r, "/login.jsp?os_destination=x", http.StatusFound)
	})
	c := consumerFor(t, f, "")
	c.HTTPClient = &http.Client{} // its default redirect policy is overridden
	_, err := c.RequestToken(context.Background(), "oob")
	if e := asError(t, err); e.Code != oauth.CodeHTMLPage || e.Status != http.StatusFound {
		t.Errorf("got %s %d, want %s 302", e.Code, e.Status, oauth.CodeHTMLPage)
	}
}

func TestSignatureInvalidComparesBaseStrings(t *testing.T) {
	var jiraBase string
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		b := jiraBase
		if b == "" {
			b = rec.Base
		}
		oauthProblem(w, "oauth_problem=signature_invalid&oauth_signature_base_string="+url.QueryEscape(b))
	})
	c := consumerFor(t, f, "")

	// Jira computes the same base string: the key is wrong.
	_, err := c.RequestToken(context.Background(), "oob")
	e := asError(t, err)
	if e.Code != oauth.CodeSignatureInvalid || e.ExpectedBaseString == "" || e.ExpectedBaseString != e.SignatureBaseString {
		t.Fatalf("got %s, ours %q, Jira's %q", e.Code, e.ExpectedBaseString, e.SignatureBaseString)
	}
	if !strings.Contains(e.Message, "same base string") || !strings.Contains(e.Message, "Public Key") {
		t.Errorf("message %q does not blame the key", e.Message)
	}

	// Jira sees another URL (a proxy): the message says which.
	jiraBase = "POST&https%3A%2F%2Fjira.example.com%2Fplugins%2Fservlet%2Foauth%2Frequest-token&oauth_callback%3Doob"
	_, err = c.RequestToken(context.Background(), "oob")
	e = asError(t, err)
	if !strings.Contains(e.Message, "Jira saw the URL https://jira.example.com/plugins/servlet/oauth/request-token") ||
		!strings.Contains(e.Message, f.URL) {
		t.Errorf("message %q does not name both URLs", e.Message)
	}
}

func TestAccessTokenErrorRedactsVerifier(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		oauthProblem(w, "oauth_problem=signature_invalid&oauth_signature_base_string="+url.QueryEscape(rec.Base))
	})
	_, err := consumerFor(t, f, "").AccessToken(context.Background(),
		&oauth.RequestToken{Token: oauth.Token{Token: "rt", Secret: "s"}}, "verif1er")
	e := asError(t, err)
	for _, s := range []string{e.ExpectedBaseString, e.SignatureBaseString, e.Error()} {
		if strings.Contains(s, "verif1er") {
			t.Errorf("the verifier leaked: %s", s)
		}
	}
	if !strings.Contains(e.ExpectedBaseString, "oauth_verifier%3D[redacted]") {
		t.Errorf("ExpectedBaseString %q", e.ExpectedBaseString)
	}
}

func TestConsumerKeyUnknownNamesTheKey(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		oauthProblem(w, "oauth_problem=consumer_key_unknown")
	})
	_, err := consumerFor(t, f, "").RequestToken(context.Background(), "oob")
	e := asError(t, err)
	if e.Code != oauth.CodeConsumerKeyUnknown || !strings.Contains(e.Message, `"applink-test"`) {
		t.Errorf("got %s: %s", e.Code, e.Error())
	}
}

func TestCallTimeoutAndCancel(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		<-r.Context().Done()
	})
	c := consumerFor(t, f, "")
	c.Timeout = 50 * time.Millisecond
	c.HTTPClient = &http.Client{Timeout: time.Hour} // capped by Timeout
	_, err := c.RequestToken(context.Background(), "oob")
	if e := asError(t, err); e.Code != oauth.CodeTimeout || e.Step != "request_token" {
		t.Errorf("got %s at %s, want %s", e.Code, e.Step, oauth.CodeTimeout)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Myself(ctx, oauth.Token{Token: "at"})
	if e := asError(t, err); e.Code != oauth.CodeCanceled || e.Step != "myself" {
		t.Errorf("got %s at %s, want %s", e.Code, e.Step, oauth.CodeCanceled)
	}
}

func TestHTMLAnswerWith200(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><head><title>Okta Sign In</title></head></html>")
	})
	_, err := consumerFor(t, f, "").RequestToken(context.Background(), "oob")
	if e := asError(t, err); e.Code != oauth.CodeHTMLPage || !strings.Contains(e.Message, "Okta Sign In") {
		t.Errorf("got %s: %s", e.Code, e.Message)
	}
}

func TestAnswerTooLarge(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		io.WriteString(w, "oauth_token=x&pad="+strings.Repeat("a", 2<<20))
	})
	_, err := consumerFor(t, f, "").RequestToken(context.Background(), "oob")
	if e := asError(t, err); e.Code != oauth.CodeBadResponse {
		t.Errorf("got %s, want %s", e.Code, oauth.CodeBadResponse)
	}
}

func TestNewConsumer(t *testing.T) {
	c, err := oauth.NewConsumer(" HTTPS://Jira.Example.com:443/jira/secure/Dashboard.jspa ", "my-key", testKey())
	if err != nil {
		t.Fatal(err)
	}
	want := oauth.Endpoints{
		Base:         "https://jira.example.com/jira",
		RequestToken: "https://jira.example.com/jira/plugins/servlet/oauth/request-token",
		Authorize:    "https://jira.example.com/jira/plugins/servlet/oauth/authorize",
		AccessToken:  "https://jira.example.com/jira/plugins/servlet/oauth/access-token",
	}
	if c.Endpoints != want || c.ConsumerKey != "my-key" || c.PrivateKey != testKey() {
		t.Errorf("got %+v", c)
	}
	if got := c.AuthorizeURL("a b&c"); got != want.Authorize+"?oauth_token=a+b%26c" {
		t.Errorf("AuthorizeURL = %s", got)
	}

	short := loadTestCaseKey(t, "rsa-sha1-testcase-key.pem")
	tests := []struct {
		name, url, key string
		code           oauth.Code
	}{
		{"bad url", "jira.example.com", "k", oauth.CodeBadBaseURL},
		{"empty key", "https://jira.example.com", " ", oauth.CodeBadInput},
		{"key with space", "https://jira.example.com", " k", oauth.CodeBadInput},
		{"key with control", "https://jira.example.com", "k\x00", oauth.CodeBadInput},
		{"nil private key", "https://jira.example.com", "k", oauth.CodeBadInput},
		{"short private key", "https://jira.example.com", "k", oauth.CodeBadInput},
	}
	for _, tt := range tests {
		key := testKey()
		switch tt.name {
		case "nil private key":
			key = nil
		case "short private key":
			key = short
		}
		c, err := oauth.NewConsumer(tt.url, tt.key, key)
		if c != nil {
			t.Errorf("%s: got a consumer", tt.name)
		}
		if e := asError(t, err); e.Code != tt.code {
			t.Errorf("%s: code %s, want %s", tt.name, e.Code, tt.code)
		}
	}
}

func TestCheckConsumerKey(t *testing.T) {
	tests := []struct {
		key    string
		msgHas string // "" when the key is good
	}{
		{"jira-align", ""},
		{"applink:prod_1.0", ""},
		{"clé", ""},
		{strings.Repeat("k", oauth.MaxConsumerKeyLen), ""},
		{"", "empty"},
		{" ", "white space"},
		{" jira-align", "white space"},
		{"jira-align\n", "white space"},
		{"jira align", "white space"},
		{"jira\talign", "white space"},
		{"jira\u00a0align", "white space"},
		{"jira\x00align", "control character"},
		{"jira\x1b[2Jalign", "control character"},
		{"jira\xffalign", "UTF-8"},
		{strings.Repeat("k", oauth.MaxConsumerKeyLen+1), "longer than 255 bytes"},
		{strings.Repeat("é", 128), "longer than 255 bytes"},
	}
	for _, tt := range tests {
		err := oauth.CheckConsumerKey(tt.key)
		if tt.msgHas == "" {
			if err != nil {
				t.Errorf("CheckConsumerKey(%q) = %v, want nil", tt.key, err)
			}
			continue
		}
		e := asError(t, err)
		if e.Code != oauth.CodeBadInput || !strings.Contains(e.Message, tt.msgHas) ||
			!strings.Contains(e.Hint, "exactly as Jira's incoming authentication shows it") {
			t.Errorf("CheckConsumerKey(%q) = %s %q (%q), want %s with %q", tt.key, e.Code, e.Message, e.Hint, oauth.CodeBadInput, tt.msgHas)
		}
	}
}

func TestServerInfoUnsigned(t *testing.T) {
	f := newFakeJira(t, func(w http.ResponseWriter, r *http.Request, rec received) {
		if r.Header.Get("Authorization") != "" || r.URL.Path != "/jira/rest/api/2/serverInfo" {
			t.Errorf("got %s with Authorization %q", r.URL.Path, r.Header.Get("Authorization"))
		}
		io.WriteString(w, `{"baseUrl":"https://jira.example.com/jira","version":"9.12.2","deploymentType":"Server","serverTime":"2024-03-01T12:00:00.000+0000","buildNumber":9}`)
	})
	si, err := consumerFor(t, f, "/jira").ServerInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := oauth.ServerInfo{BaseURL: "https://jira.example.com/jira", Version: "9.12.2", DeploymentType: "Server",
		ServerTime: "2024-03-01T12:00:00.000+0000"}
	if *si != want {
		t.Errorf("got %+v, want %+v", *si, want)
	}
}
