package oauth

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"html"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/applink/applink/fault"
)

// diagnose turns a non-2xx answer (or a 2xx answer that is an HTML page)
// from Jira at one step into an *Error with the right Code, Message and
// Hint. now is the consumer's clock, used to compute ClockSkew from
// oauth_acceptable_timestamps or a Date header.
//
// The order of the checks: an oauth_problem (body or WWW-Authenticate)
// wins; then a redirect; then 404, 5xx, an HTML page, a plain-HTTP request
// to an HTTPS port, 401/403. Message and Hint never copy the body: only
// the oauth_problem name, a few parameter names, and an HTML page's title
// cut to 80 characters. url is the URL called; its query is dropped.
func diagnose(step, url string, resp *http.Response, body []byte, now time.Time) *Error {
	e := &Error{Step: step, URL: withoutQuery(url)}
	what := stepLabel(step)
	if resp == nil {
		e.Code = CodeBadResponse
		e.Message = fmt.Sprintf("no answer from Jira at %s", what)
		e.Hint = fix(e.Code)
		return e
	}
	e.Status = resp.StatusCode
	status := fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if p, ok := parseProblem(strings.Join(resp.Header.Values("WWW-Authenticate"), ", "), body); ok {
		diagnoseProblem(e, p, resp, now)
		return e
	}
	switch code := resp.StatusCode; {
	case code >= 300 && code < 400:
		diagnoseRedirect(e, resp, url)
	case code == http.StatusNotFound:
		e.Code = CodeNotFound
		e.Message = fmt.Sprintf("Jira answered 404 Not Found at %s for %s", what, e.URL)
	case code >= 500:
		e.Code = CodeServerError
		e.Message = fmt.Sprintf("Jira, or a proxy in front of it, answered %s at %s", status, what)
	case isHTML(resp.Header, body):
		diagnoseHTML(e, resp, body, url)
	case code == http.StatusBadRequest && plainHTTPToTLS(body):
		e.Code = CodeBadBaseURL
		e.Message = fmt.Sprintf("%s went over plain http to a port that speaks https: use https:// in the Jira URL", what)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.Code = CodeUnauthorized
		e.Message = fmt.Sprintf("Jira answered %s at %s, without an oauth_problem", status, what)
	case code >= 200 && code < 300:
		e.Code = CodeBadResponse
		e.Message = fmt.Sprintf("Jira's answer at %s lacks what the step needs", what)
	default:
		e.Code = CodeUnexpectedStatus
		e.Message = fmt.Sprintf("Jira answered %s at %s", status, what)
	}
	e.Hint = fix(e.Code)
	return e
}

// stepLabels name the steps for people.
var stepLabels = map[string]string{
	"request_token": "the request-token step", "access_token": "the access-token step",
	"authorize": "the approval page", "myself": "the identity check (myself)",
	"mypermissions": "the permission check (mypermissions)", "serverinfo": "serverInfo", "": "the request",
}

// stepLabel names a step for people.
func stepLabel(step string) string {
	if l, ok := stepLabels[step]; ok {
		return l
	}
	return short(step, 40)
}

// isHTML reports whether an answer is an HTML page: by its Content-Type,
// or by a body that starts like one.
func isHTML(h http.Header, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err == nil &&
		(mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	b := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(b) > 15 {
		b = b[:15]
	}
	lower := bytes.ToLower(b)
	return bytes.HasPrefix(lower, []byte("<!doctype html")) || bytes.HasPrefix(lower, []byte("<html"))
}

// titleTag finds an HTML page's <title>, any case, over several lines.
var titleTag = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title`)

// pageTitle returns the <title> of an HTML page (in its first 64 KiB),
// unescaped, on one line and cut to 80 characters; "" when there is none.
func pageTitle(body []byte) string {
	m := titleTag.FindSubmatch(body[:min(len(body), 64<<10)])
	if m == nil {
		return ""
	}
	return short(html.UnescapeString(string(m[1])), 80)
}

// plainHTTPToTLS reports whether a 400 body is a server's complaint about
// plain HTTP sent to its TLS port (Go, nginx, Apache wordings).
func plainHTTPToTLS(body []byte) bool {
	lower := bytes.ToLower(body)
	return bytes.Contains(lower, []byte("http request to an https server")) ||
		bytes.Contains(lower, []byte("plain http request was sent to https port")) ||
		bytes.Contains(lower, []byte("speaking plain http to an ssl-enabled server"))
}

func diagnoseHTML(e *Error, resp *http.Response, body []byte, called string) {
	e.Code = CodeHTMLPage
	msg := fmt.Sprintf("Jira answered %s with an HTML page", stepLabel(e.Step))
	if t := pageTitle(body); t != "" {
		msg += fmt.Sprintf(" (%q)", t)
	}
	if resp.Request != nil && resp.Request.URL != nil {
		if h := resp.Request.URL.Host; h != "" && !strings.EqualFold(h, hostOf(called)) {
			msg += " from " + short(h, 80)
		}
	}
	e.Message = msg + " instead of an OAuth answer"
}

func diagnoseRedirect(e *Error, resp *http.Response, called string) {
	from, _ := url.Parse(called)
	if resp.Request != nil && resp.Request.URL != nil {
		from = resp.Request.URL
	}
	what := stepLabel(e.Step)
	loc := resp.Header.Get("Location")
	var to *url.URL
	if loc != "" && from != nil {
		to, _ = from.Parse(loc)
	}
	if from == nil || to == nil {
		e.Code = CodeUnexpectedStatus
		e.Message = fmt.Sprintf("Jira answered %d at %s, a redirect without a usable Location", resp.StatusCode, what)
		return
	}
	sameHost := strings.EqualFold(from.Hostname(), to.Hostname())
	switch {
	case sameHost && from.Scheme == "http" && to.Scheme == "https":
		e.Code = CodeBadBaseURL
		e.Message = fmt.Sprintf("Jira redirects http:// to https:// at %s: use https://%s as the Jira URL, "+
			"a redirected OAuth request loses its signature",
			what, short(to.Host+strings.TrimSuffix(basePath(from.Path), "/"), 120))
	case !sameHost || looksLikeLogin(to):
		e.Code = CodeHTMLPage
		e.Message = fmt.Sprintf("Jira redirected %s to a login page at %s", what, short(to.Host, 80))
	default:
		e.Code = CodeBadBaseURL
		e.Message = fmt.Sprintf("Jira redirects %s to %s at %s", short(from.Path, 80), short(to.Path, 80), what)
	}
}

// basePath cuts the OAuth or REST endpoint off a path, leaving the context
// path.
func basePath(p string) string {
	for _, suffix := range []string{requestTokenPath, accessTokenPath, authorizePath, "/rest/"} {
		if i := strings.Index(p, suffix); i >= 0 {
			return p[:i]
		}
	}
	return p
}

// looksLikeLogin reports whether a redirect target looks like a login or
// SSO page.
func looksLikeLogin(u *url.URL) bool {
	p := strings.ToLower(u.Path)
	return slices.ContainsFunc([]string{"login", "logon", "signin", "sign-in", "sso", "saml", "adfs", "/idp", "/cas/"},
		func(w string) bool { return strings.Contains(p, w) })
}

// diagnoseTransport turns a failure to get any answer (DNS, refused
// connection, TLS, timeout, cancellation) into an *Error. The returned
// error's Message and Hint name the host but never hold err's text, which
// may quote a URL; err stays in Error.Err for logs. A nil err gives nil.
func diagnoseTransport(step, url string, err error) *Error {
	if e, ok := fault.As(err); ok || err == nil {
		return e // already an *Error, or nil for a nil err
	}
	e := &Error{Code: CodeNetwork, Step: step, URL: withoutQuery(url), Err: err} // unless a case below says otherwise
	what := stepLabel(step)
	host := short(hostOf(url), 100)
	if host == "" {
		host = "Jira"
	}
	var (
		dnsErr      *net.DNSError
		unknownCA   x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidCert x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		netErr      net.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		e.Code = CodeCanceled
		e.Message = fmt.Sprintf("%s was canceled", what)
	case errors.Is(err, context.DeadlineExceeded):
		timeout(e, what, host)
	case errors.As(err, &dnsErr):
		e.Code = CodeDNS
		e.Message = fmt.Sprintf("the host name %s does not resolve", short(dnsErr.Name, 100))
		if dnsErr.Name == "" {
			e.Message = fmt.Sprintf("the host name of %s does not resolve", host)
		}
	case errors.As(err, &unknownCA):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s's certificate is signed by an authority this machine does not trust", host)
	case errors.As(err, &hostnameErr):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s's certificate is not valid for that host name", host)
		if c := hostnameErr.Certificate; c != nil && len(c.DNSNames) > 0 {
			e.Message += fmt.Sprintf(" (it names %s)", short(c.DNSNames[0], 80))
		}
	case errors.As(err, &invalidCert):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s's certificate is not valid: %s", host, certProblem(invalidCert))
	case errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &recordErr) ||
		strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s answered https with plain http: that port does not speak TLS", host)
	case isTLSError(err):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("the TLS handshake with %s failed", host)
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Code = CodeConnectionRefused
		e.Message = fmt.Sprintf("nothing listens at %s", host)
	case errors.As(err, &netErr) && netErr.Timeout():
		timeout(e, what, host)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		e.Message = fmt.Sprintf("%s closed the connection at %s", host, what)
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		e.Message = fmt.Sprintf("%s cannot be reached from this machine", host)
	default:
		e.Message = fmt.Sprintf("could not reach %s at %s", host, what)
	}
	e.Hint = fix(e.Code)
	return e
}

// certProblem names why a certificate is invalid.
func certProblem(err x509.CertificateInvalidError) string {
	switch err.Reason {
	case x509.Expired:
		return "it has expired or is not yet valid (check this machine's clock too)"
	case x509.IncompatibleUsage:
		return "it is not for servers"
	case x509.NameConstraintsWithoutSANs, x509.CANotAuthorizedForThisName:
		return "its CA may not issue it for this name"
	}
	return "it breaks a rule of certificate verification"
}

func timeout(e *Error, what, host string) {
	e.Code = CodeTimeout
	e.Message = fmt.Sprintf("%s got no answer from %s in time", what, host)
}

// isTLSError reports whether err comes from the TLS layer.
func isTLSError(err error) bool {
	var alert tls.AlertError
	var verr *tls.CertificateVerificationError
	return errors.As(err, &alert) || errors.As(err, &verr) ||
		strings.Contains(err.Error(), "tls: ")
}
