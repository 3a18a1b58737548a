package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

// metadataHosts are the names of cloud metadata services, refused as Jira
// hosts whatever they resolve to.
var metadataHosts = []string{
	"metadata", "metadata.google.internal", "metadata.goog",
	"instance-data", "instance-data.ec2.internal",
}

// metadataAddrs are cloud metadata addresses outside the link-local
// ranges (169.254.169.254 is link-local already).
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("fd00:ec2::254"),   // AWS, IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// internalAddr reports whether applink refuses to call a: a link-local
// address (169.254.0.0/16, fe80::/10, where cloud metadata services
// answer) or a cloud metadata address. Loopback is allowed.
func internalAddr(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	return a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || slices.Contains(metadataAddrs, a)
}

// errInternalHost is the refusal of a Jira URL at an internal address.
func errInternalHost(host, addr string) *Error {
	msg := fmt.Sprintf("The Jira URL points at %s, a link-local or cloud metadata address: applink does not call those.", host)
	if addr != "" {
		msg = fmt.Sprintf("The Jira host %s resolves to %s, a link-local or cloud metadata address: applink does not call those.", host, addr)
	}
	return &Error{Code: CodeInvalidJiraURL, Message: msg,
		Hint: "Give the address you open Jira at, such as https://jira.example.com."}
}

// checkJiraHost refuses a Jira URL whose host applink must not call
// (CodeInvalidJiraURL): a host outside the allowed Jira hosts (when
// given), a cloud metadata name, a link-local or metadata address, and,
// when resolve is set, a name that resolves to one. It runs when a link is
// made (resolve) and before each call to Jira (the dialer's control hook,
// refuseInternal, then checks the address actually dialled). A name that
// does not resolve now is let through: each call checks what it dials.
func (s *Server) checkJiraHost(ctx context.Context, jiraURL string, resolve bool) error {
	u, err := url.Parse(jiraURL)
	if err != nil {
		return &Error{Code: CodeInvalidJiraURL, Message: "The Jira URL is not a URL.", Err: err}
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if len(s.jiraHosts) > 0 && !matchHost(s.jiraHosts, host) {
		return &Error{Code: CodeInvalidJiraURL,
			Message: fmt.Sprintf("applink may call only the Jira hosts it was started with (%s), and %s is not one of them.", strings.Join(s.jiraHosts, ", "), host),
			Hint:    "Use the address of an allowed Jira, or ask whoever runs applink to allow this host."}
	}
	if slices.Contains(metadataHosts, host) {
		return errInternalHost(host, "")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if internalAddr(a) {
			return errInternalHost(host, "")
		}
		return nil
	}
	if !resolve {
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := s.lookupIP(lctx, host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if internalAddr(a) {
			return errInternalHost(host, a.String())
		}
	}
	return nil
}

// refuseInternal is the control hook of the dialer of calls to Jira: it
// refuses to connect to an internal address (internalAddr), so that a DNS
// answer that changed since the link was made cannot reach one.
func refuseInternal(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !internalAddr(ap.Addr()) {
		return nil
	}
	return errInternalHost(ap.Addr().String(), "")
}

// newJiraClient is the default client of calls to Jira: a timeout, no
// redirects followed (package oauth diagnoses them), and a dialer that
// refuses internal addresses.
func newJiraClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refuseInternal}).DialContext
	return &http.Client{
		Timeout:   timeout,
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// ParseJiraHosts reads the allowed Jira hosts (Config.JiraHosts, applink
// serve --jira-hosts): comma-separated host names or addresses, each
// matched exactly, or "*.example.com", which matches any name under
// example.com. Names are lower-cased; an empty list allows every host. A
// pattern with a scheme, port, path or another wildcard is an *Error with
// CodeInvalidInput.
func ParseJiraHosts(list string) ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(list, ",") {
		p = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(p)), ".")
		if p == "" {
			continue
		}
		name := strings.TrimPrefix(p, "*.")
		_, notAddr := netip.ParseAddr(name)
		if !(notAddr == nil && name == p || notAddr != nil && validHostName(name)) {
			return nil, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("the Jira host pattern %q is not a host name, an address or *.domain", p),
				Hint: "give host names such as jira.example.com or *.atlassian.net, separated by commas, without scheme or port"}
		}
		out = append(out, p)
	}
	return out, nil
}

// validHostName reports whether s is a DNS name: dot-separated labels of
// letters, digits and '-', not starting or ending with '-'.
func validHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// matchHost reports whether host matches one of the patterns of
// ParseJiraHosts.
func matchHost(patterns []string, host string) bool {
	for _, p := range patterns {
		if suffix, ok := strings.CutPrefix(p, "*"); ok && len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
			return true
		}
		if p == host {
			return true
		}
	}
	return false
}
