package oauth

import (
	"bytes"
	"fmt"
	"html"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Diagnose turns a non-2xx answer (or a 2xx answer that is an HTML page)
// from Jira at one step into an *Error with the right Code, Message and
// Hint. now is the consumer's clock, used to compute ClockSkew from
// oauth_acceptable_timestamps or a Date header.
//
// The order of the checks: an oauth_problem (body or WWW-Authenticate)
// wins; then a redirect; then 404, 5xx, an HTML page, a plain-HTTP request
// to an HTTPS port, 401/403. Message and Hint never copy the body: only
// the oauth_problem name, a few parameter names, and an HTML page's title
// cut to 80 characters. url is the URL called; its query is dropped.
func Diagnose(step, url string, resp *http.Response, body []byte, now time.Time) *Error {
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
	if p, ok := ParseProblem(oauthChallenge(resp.Header), body); ok {
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
	case code == http.StatusUnauthorized:
		e.Code = CodeUnauthorized
		e.Message = fmt.Sprintf("Jira answered 401 Unauthorized at %s, without an oauth_problem", what)
	case code == http.StatusForbidden:
		e.Code = CodeUnauthorized
		e.Message = fmt.Sprintf("Jira answered 403 Forbidden at %s, without an oauth_problem", what)
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

// oauthChallenge returns the WWW-Authenticate values that may hold an
// oauth_problem, joined.
func oauthChallenge(h http.Header) string {
	return strings.Join(h.Values("WWW-Authenticate"), ", ")
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
	for _, suffix := range []string{RequestTokenPath, AccessTokenPath, AuthorizePath, "/rest/"} {
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
