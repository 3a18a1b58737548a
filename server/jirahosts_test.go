package server

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// fakeDNS is the tests' resolver: nothing leaves the machine. Names under
// rebind.test resolve to the AWS metadata address, other names to a
// documentation address (TEST-NET-3).
func fakeDNS(_ context.Context, host string) ([]netip.Addr, error) {
	switch {
	case host == "localhost":
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	case strings.HasSuffix(host, "rebind.test"):
		return []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("169.254.169.254")}, nil
	case strings.HasSuffix(host, "rebind6.test"):
		return []netip.Addr{netip.MustParseAddr("fd00:ec2::254")}, nil
	case strings.HasSuffix(host, ".invalid"):
		return nil, errors.New("no such host")
	}
	return []netip.Addr{netip.MustParseAddr("203.0.113.10")}, nil
}

// TestJiraURLInternalHosts: a Jira URL at a link-local or cloud metadata
// address, or a name of one, or a name resolving to one, is refused when
// the link is made (API and form); loopback and public hosts are not.
func TestJiraURLInternalHosts(t *testing.T) {
	f := newFixture(t, options{})
	for i, tt := range []struct {
		url string
		ok  bool
	}{
		{"http://169.254.169.254/latest", false},
		{"http://169.254.1.2:8080", false},
		{"http://[fd00:ec2::254]", false},
		{"http://[fe80::1]:8080/jira", false},
		{"http://[::ffff:169.254.169.254]", false},
		{"http://100.100.100.200", false},
		{"http://metadata.google.internal/computeMetadata/v1", false},
		{"http://METADATA.GOOGLE.INTERNAL./", false},
		{"http://metadata", false},
		{"https://jira.rebind.test", false},
		{"https://jira.rebind6.test", false},
		{"http://127.0.0.1:8080", true},
		{"http://localhost:8080/jira", true},
		{"https://jira.example.com", true},
		{"https://jira.invalid", true}, // cannot tell now; each call checks what it dials
	} {
		name := "l" + string(rune('a'+i))
		resp, body := f.api("POST", "/api/links", map[string]string{"name": name, "jira_url": tt.url, "service_account": "svc"})
		if tt.ok {
			wantStatus(t, resp, body, http.StatusCreated)
			continue
		}
		wantError(t, resp, body, http.StatusBadRequest, CodeInvalidJiraURL)
		wantContains(t, string(body), "link-local or cloud metadata address")
	}
	// The form goes through the same check.
	b := f.newBrowser()
	b.signIn()
	resp, page := b.post("/links", url.Values{"name": {"form"}, "jira_url": {"http://169.254.169.254"}, "service_account": {"svc"}})
	wantStatus(t, resp, []byte(page), http.StatusBadRequest)
	wantContains(t, page, "link-local or cloud metadata address")
}

// TestJiraClientRefusesInternalAddress: the service's client to Jira
// refuses to connect to an internal address whatever the name resolved to
// (a DNS rebinding after the link was made); the refusal happens before
// any packet is sent.
func TestJiraClientRefusesInternalAddress(t *testing.T) {
	f := newFixture(t, options{})
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[fe80::1%25lo]:80/"} {
		_, err := f.srv.client.Get(u)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidJiraURL {
			t.Errorf("GET %s: %v, want %s", u, err, CodeInvalidJiraURL)
		}
	}
	if resp, err := f.srv.client.Get(f.jiraSrv.URL + "/rest/api/2/serverInfo"); err != nil {
		t.Errorf("loopback refused: %v", err)
	} else {
		resp.Body.Close()
	}
}

// TestJiraHosts: with allowed Jira hosts, links may point only at them,
// checked when a link is made and again before each call (a link made
// before the list changed).
func TestJiraHosts(t *testing.T) {
	f := newFixture(t, options{jiraHosts: []string{"jira.example.com", "*.atlassian.net", "127.0.0.1"}})
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://jira.example.com/jira", true},
		{"https://JIRA.example.com.", true},
		{"https://acme.atlassian.net", true},
		{"https://a.b.atlassian.net", true},
		{"https://atlassian.net", false},
		{"https://evilatlassian.net", false},
		{"https://jira.example.com.evil.test", false},
		{"http://localhost:8080", false},
	} {
		name := strings.NewReplacer(".", "-", ":", "-", "/", "-").Replace(strings.TrimPrefix(strings.TrimPrefix(tt.url, "https://"), "http://"))
		resp, body := f.api("POST", "/api/links", map[string]string{"name": name, "jira_url": tt.url, "service_account": "svc"})
		if tt.ok {
			wantStatus(t, resp, body, http.StatusCreated)
			continue
		}
		wantError(t, resp, body, http.StatusBadRequest, CodeInvalidJiraURL)
		wantContains(t, string(body), "only the Jira hosts")
	}
	// A link made while its host was allowed is refused at the next call.
	f.createLink("prod")
	f.srv.jiraHosts = []string{"jira.example.com"}
	hits := f.jiraHits.Load()
	resp, body := f.api("POST", "/api/links/prod/handshakes", nil)
	wantError(t, resp, body, http.StatusBadRequest, CodeInvalidJiraURL)
	if f.jiraHits.Load() != hits {
		t.Error("Jira was called")
	}
}

func TestParseJiraHosts(t *testing.T) {
	got, err := ParseJiraHosts(" Jira.Example.com, *.atlassian.net,,127.0.0.1, ::1 ")
	if want := []string{"jira.example.com", "*.atlassian.net", "127.0.0.1", "::1"}; err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("= %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"https://jira.example.com", "jira.example.com:443", "*", "*.", "jira.*.com", "a..b", "-a.com", "jira/x", "*.127.0.0.1"} {
		if _, err := ParseJiraHosts(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
