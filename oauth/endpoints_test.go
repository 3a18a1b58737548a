package oauth_test

import (
	"strings"
	"testing"

	"github.com/applink/applink/oauth"
)

func TestParseBaseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://jira.example.com", "https://jira.example.com"},
		{"https://jira.example.com/", "https://jira.example.com"},
		{"  HTTPS://Jira.Example.COM:443/jira/  ", "https://jira.example.com/jira"},
		{"http://jira.example.com:80/jira", "http://jira.example.com/jira"},
		{"http://jira.example.com:8080", "http://jira.example.com:8080"},
		{"https://jira.example.com/jira/secure/Dashboard.jspa?selectPageId=1#x", "https://jira.example.com/jira"},
		{"https://jira.example.com/plugins/servlet/oauth/authorize?oauth_token=x", "https://jira.example.com"},
		{"https://jira.example.com/jira/browse/ABC-1", "https://jira.example.com/jira"},
		{"https://x.atlassian.net/jira/your-work", "https://x.atlassian.net"},
		{"https://jira.example.com/jira/login.jsp", "https://jira.example.com/jira"},
		{"https://jira.example.com/default.jsp", "https://jira.example.com"},
		{"https://jira.example.com/my%20jira/", "https://jira.example.com/my%20jira"},
		{"http://[::1]:8080/jira", "http://[::1]:8080/jira"},
	}
	for _, tt := range tests {
		u, err := oauth.ParseBaseURL(tt.in)
		if err != nil {
			t.Errorf("ParseBaseURL(%q): %v", tt.in, err)
			continue
		}
		if got := u.String(); got != tt.want {
			t.Errorf("ParseBaseURL(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "  ", "jira.example.com", "jira.example.com:8080", "ftp://jira.example.com",
		"https://", "https://user:pw@jira.example.com", "https://%zz", "/jira", "https://jira.example.com/%zz"} {
		_, err := oauth.ParseBaseURL(bad)
		e := asError(t, err)
		if e.Code != oauth.CodeBadBaseURL || e.Hint == "" {
			t.Errorf("ParseBaseURL(%q): code %s, hint %q", bad, e.Code, e.Hint)
		}
		if strings.Contains(e.Error(), "pw") {
			t.Errorf("ParseBaseURL(%q) repeats the password: %v", bad, e)
		}
	}
}

func TestEndpointsFor(t *testing.T) {
	u, err := oauth.ParseBaseURL("https://jira.example.com/jira/")
	if err != nil {
		t.Fatal(err)
	}
	want := oauth.Endpoints{
		Base:         "https://jira.example.com/jira",
		RequestToken: "https://jira.example.com/jira/plugins/servlet/oauth/request-token",
		Authorize:    "https://jira.example.com/jira/plugins/servlet/oauth/authorize",
		AccessToken:  "https://jira.example.com/jira/plugins/servlet/oauth/access-token",
	}
	if got := oauth.EndpointsFor(u); got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func FuzzParseBaseURL(f *testing.F) {
	for _, s := range []string{"https://jira.example.com/jira/secure/Dashboard.jspa", "http://[::1]:80/x%2F/", "https://h/%zz", "a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := oauth.ParseBaseURL(raw)
		if err != nil {
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("ParseBaseURL(%q) = %s", raw, u)
		}
		s := u.String()
		if strings.HasSuffix(s, "/") {
			t.Errorf("ParseBaseURL(%q) = %s ends in a slash", raw, s)
		}
		// Normalising twice changes nothing.
		again, err := oauth.ParseBaseURL(s)
		if err != nil || again.String() != s {
			t.Errorf("ParseBaseURL(%q) = %s, then %v, %v", raw, s, again, err)
		}
	})
}
