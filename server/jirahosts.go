package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
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

// nat64 is the NAT64 prefix of RFC 6052: IPv4 in the last 4 bytes.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// carried returns the IPv4 address an IPv4-mapped (::ffff:a.b.c.d) or
// NAT64 address carries, else a without its zone.
func carried(a netip.Addr) netip.Addr {
	if a = a.Unmap().WithZone(""); nat64.Contains(a) {
		return netip.AddrFrom4([4]byte(a.AsSlice()[12:]))
	}
	return a
}

// internalAddr reports whether applink refuses to call a (or the IPv4
// address it carries): a link-local address (169.254.0.0/16, fe80::/10,
// where cloud metadata services answer) or a cloud metadata address.
func internalAddr(a netip.Addr) bool {
	a = carried(a)
	return a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || slices.Contains(metadataAddrs, a)
}

// errInternalHost is the refusal of a Jira URL at an internal address.
func errInternalHost(host, addr string) *Error {
	msg := fmt.Sprintf("The Jira URL points at %s, a link-local or cloud metadata address: applink does not call those.", host)
	if addr != "" && addr != host {
		msg = fmt.Sprintf("The Jira host %s resolves to %s, a link-local or cloud metadata address: applink does not call those.", host, addr)
	}
	return &Error{Code: CodeInvalidJiraURL, Message: msg,
		Hint: "Give the address you open Jira at, such as https://jira.example.com."}
}

// checkJiraHost refuses (CodeInvalidJiraURL) a Jira URL whose host is
// outside the allowed Jira hosts (when given) or that checkAddrs refuses.
// It runs when a link is made (resolve) and before each call to Jira; the
// client then checks what it dials (refuseInternal) or hands a proxy
// (checkedProxy).
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
	return s.checkAddrs(ctx, host, resolve, false)
}

// checkAddrs refuses a host (lower case) that is a cloud metadata name, a
// non-canonical numeric host (2852039166, 0x7f.1: resolvers read them as
// addresses), or whose addresses checkAddr refuses: the one it is, those
// its labels spell (169.254.169.254.nip.io, whatever DNS says) and, when
// resolve, those it resolves to; a name that does not resolve passes
// unless strict.
func (s *Server) checkAddrs(ctx context.Context, host string, resolve, strict bool) error {
	if slices.Contains(metadataHosts, host) {
		return errInternalHost(host, "")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return s.checkAddr(host, a)
	}
	if last := host[strings.LastIndexByte(host, '.')+1:]; last == "" || '0' <= last[0] && last[0] <= '9' {
		return &Error{Code: CodeInvalidJiraURL, Message: fmt.Sprintf("The Jira host %s is neither a host name nor an address written as applink accepts one.", host), Hint: "Give the host name, or an address as four decimal numbers (203.0.113.10) or in IPv6 brackets."}
	}
	addrs := spelledAddrs(host)
	if resolve {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		resolved, err := s.lookupIP(lctx, host)
		if err != nil && strict {
			return &Error{Code: CodeInvalidJiraURL, Message: fmt.Sprintf("The Jira host %s does not resolve here, so applink cannot check it before handing the call to the proxy.", host), Hint: "Make the Jira host resolvable from the machine applink runs on (DNS or /etc/hosts).", Err: err}
		}
		addrs = append(addrs, resolved...)
	}
	for _, a := range addrs {
		if err := s.checkAddr(host, a); err != nil {
			return err
		}
	}
	return nil
}

// checkAddr refuses an address host stands for: an internal one, and,
// with allowed Jira hosts, a loopback one unless host or the address is
// listed (a wildcard allows names, not their loopback addresses).
func (s *Server) checkAddr(host string, a netip.Addr) error {
	if internalAddr(a) {
		return errInternalHost(host, a.String())
	}
	if c := carried(a); len(s.jiraHosts) > 0 && (c.IsLoopback() || c.IsUnspecified()) && !slices.Contains(s.jiraHosts, host) && !slices.Contains(s.jiraHosts, c.String()) {
		return &Error{Code: CodeInvalidJiraURL, Message: fmt.Sprintf("The Jira host %s resolves to %s, a loopback address, which applink calls only when the address is among the Jira hosts it was started with.", host, c), Hint: "Use the address of an allowed Jira, or ask whoever runs applink to allow this address."}
	}
	return nil
}

// spelledAddrs returns the IPv4 addresses host's labels spell as wildcard
// DNS services answer them: four numbers between dots or dashes
// (10.0.0.1.nip.io, app-10-0-0-1.sslip.io).
func spelledAddrs(host string) []netip.Addr {
	parts := strings.FieldsFunc(host, func(r rune) bool { return r == '.' || r == '-' })
	var out []netip.Addr
	for i := range parts {
		if a, err := netip.ParseAddr(strings.Join(parts[i:min(i+4, len(parts))], ".")); err == nil {
			out = append(out, a)
		}
	}
	return out
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

// checkedProxy wraps a transport's Proxy: a request's host is resolved and
// checked (checkAddrs, strict) before it goes to a proxy, which dials Jira
// itself; with allowed Jira hosts every request is checked so.
func (s *Server) checkedProxy(next func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	return func(r *http.Request) (*url.URL, error) {
		p, err := next(r)
		if err == nil && (p != nil || len(s.jiraHosts) > 0) {
			err = s.checkAddrs(r.Context(), strings.TrimSuffix(strings.ToLower(r.URL.Hostname()), "."), true, p != nil)
		}
		return p, err
	}
}

// newJiraClient is the default client of calls to Jira: a timeout, a
// dialer that refuses internal addresses, and the environment's proxy
// (HTTPS_PROXY) behind checkedProxy. Package oauth stops it at redirects.
func (s *Server) newJiraClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refuseInternal}).DialContext
	t.Proxy = s.checkedProxy(t.Proxy)
	return &http.Client{Timeout: timeout, Transport: t}
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
		if !(notAddr == nil && name == p || notAddr != nil && len(name) <= 253 && hostName.MatchString(name)) {
			return nil, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("the Jira host pattern %q is not a host name, an address or *.domain", p),
				Hint: "give host names such as jira.example.com or *.atlassian.net, separated by commas, without scheme or port"}
		}
		out = append(out, p)
	}
	return out, nil
}

// hostName matches a DNS name: dot-separated labels of 1 to 63 letters,
// digits and '-', not starting or ending with '-'.
var hostName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// matchHost reports whether host matches one of the patterns of
// ParseJiraHosts.
func matchHost(patterns []string, host string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool {
		suffix, ok := strings.CutPrefix(p, "*")
		return p == host || ok && len(host) > len(suffix) && strings.HasSuffix(host, suffix)
	})
}
