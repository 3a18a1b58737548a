package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeDNS is the tests' resolver: nothing leaves the machine. Names under
// rebind.test resolve to the AWS metadata address, other names to a
// documentation address (TEST-NET-3); localhost and names under loop. to
// 127.0.0.1; names under .invalid do not resolve.
func fakeDNS(_ context.Context, host string) ([]netip.Addr, error) {
	switch {
	case host == "localhost" || strings.HasPrefix(host, "loop."):
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

// TestJiraURLAddressForms: numeric hosts that are not canonical addresses
// (which resolvers read as addresses) are refused when a link is made;
// NAT64 and IPv4-mapped forms count as the IPv4 address they carry; a name
// whose labels spell an address is checked as that address even when DNS
// does not answer.
func TestJiraURLAddressForms(t *testing.T) {
	f := newFixture(t, options{})
	for i, tt := range []struct {
		url string
		ok  bool
	}{
		{"http://2852039166/", false},
		{"http://0251.0376.0251.0376/", false},
		{"http://0xa9.0xfe.0xa9.0xfe/", false},
		{"http://0x7f.1/", false},
		{"http://127.1/", false},
		{"http://[64:ff9b::a9fe:a9fe]/", false},
		{"http://[64:ff9b::169.254.169.254]/", false},
		{"http://[::ffff:a9fe:a9fe]/", false},
		{"http://169.254.169.254.nip.invalid/", false},
		{"http://app-169-254-169-254.sslip.invalid/", false},
		{"http://jira-203-0-113-5.nip.invalid/", true},
		{"http://[64:ff9b::cb00:7105]/", true},
		{"http://203.0.113.5/", true},
	} {
		resp, body := f.api("POST", "/api/links", map[string]string{"name": "f" + string(rune('a'+i)), "jira_url": tt.url, "service_account": "svc"})
		if tt.ok {
			wantStatus(t, resp, body, http.StatusCreated)
			continue
		}
		wantError(t, resp, body, http.StatusBadRequest, CodeInvalidJiraURL)
	}
}

// TestJiraHostsWildcardLoopback: a wildcard allows names, not the loopback
// address one resolves to or spells, unless that address is listed too.
func TestJiraHostsWildcardLoopback(t *testing.T) {
	for _, tt := range []struct {
		hosts []string
		ok    bool
	}{
		{[]string{"*.example.com", "*.nip.invalid"}, false},
		{[]string{"*.example.com", "*.nip.invalid", "127.0.0.1"}, true},
	} {
		f := newFixture(t, options{jiraHosts: tt.hosts})
		for i, u := range []string{"https://loop.example.com", "http://127.0.0.1.nip.invalid"} {
			resp, body := f.api("POST", "/api/links", map[string]string{"name": "w" + string(rune('a'+i)), "jira_url": u, "service_account": "svc"})
			if tt.ok {
				wantStatus(t, resp, body, http.StatusCreated)
				continue
			}
			wantError(t, resp, body, http.StatusBadRequest, CodeInvalidJiraURL)
			wantContains(t, string(body), "loopback")
		}
	}
}

// TestJiraClientThroughProxy: with a proxy, which connects to Jira itself,
// the client resolves and checks the host before handing the request over:
// a name rebound to a metadata address, a NAT64 form of one, and a name
// that does not resolve here never reach the proxy; other hosts do.
func TestJiraClientThroughProxy(t *testing.T) {
	f := newFixture(t, options{})
	var hits atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(proxy.Close)
	proxyURL, _ := url.Parse(proxy.URL)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = f.srv.checkedProxy(http.ProxyURL(proxyURL))
	cl := &http.Client{Transport: tr}
	for _, u := range []string{"http://jira.rebind.test/", "http://[64:ff9b::a9fe:a9fe]/", "http://jira.invalid/"} {
		resp, err := cl.Get(u)
		if err == nil {
			resp.Body.Close()
		}
		if e := (*Error)(nil); !errors.As(err, &e) || e.Code != CodeInvalidJiraURL {
			t.Errorf("GET %s: %v, want %s", u, err, CodeInvalidJiraURL)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the proxy got %d requests for refused hosts", n)
	}
	resp, err := cl.Get("http://jira.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Error("the proxy did not get the request for an allowed host")
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
