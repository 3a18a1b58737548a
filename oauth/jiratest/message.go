package jiratest

import (
	"cmp"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// maxFormBody bounds the form body read to collect OAuth parameters.
const maxFormBody = 1 << 20

// message is a request as an OAuth provider reads it (RFC 5849 3.4.1): the
// method, the base string URI as this server sees it, and every parameter
// from the Authorization header (realm excluded), the query and a form body.
type message struct {
	method, baseURI string
	params          []param
	// oauth holds the first value of each oauth_* parameter.
	oauth map[string]string
	// repeated lists the oauth_* names sent more than once.
	repeated []string
	// bad is the name of a parameter that could not be decoded, or
	// "Authorization" for a malformed header.
	bad string
	// hasOAuth reports whether the request carries an OAuth Authorization
	// header or any oauth_* parameter.
	hasOAuth bool
}

// get returns the first value of the oauth parameter name.
func (m *message) get(name string) string { return m.oauth[name] }

// baseString is Jira's signature base string for m (RFC 5849 3.4.1.1):
// the upper-case method, the encoded base string URI and the encoded
// normalized parameters.
func (m *message) baseString() string {
	return strings.ToUpper(m.method) + "&" + percentEncode(m.baseURI) + "&" + percentEncode(normalizeParameters(m.params))
}

// errBodyTooLarge means a form body over maxFormBody.
var errBodyTooLarge = errors.New("form body too large")

// readMessage collects the OAuth message of r. It reads a form body (only
// when the Content-Type is application/x-www-form-urlencoded, whatever its
// parameters) and fails only when that body cannot be read or is too
// large; undecodable parameters are recorded in message.bad.
func readMessage(r *http.Request) (*message, error) {
	m := &message{method: r.Method, baseURI: baseStringURI(r), oauth: map[string]string{}}
	for _, h := range r.Header.Values("Authorization") {
		ps, err := parseAuthorizationHeader(h)
		if errors.Is(err, errNotOAuth) {
			continue
		}
		m.hasOAuth = true
		if err != nil {
			m.bad = "Authorization"
			break
		}
		m.params = slices.DeleteFunc(ps, func(p param) bool { return p.name == "realm" })
		break
	}
	m.addForm(r.URL.RawQuery)
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Body != nil && err == nil && mt == "application/x-www-form-urlencoded" {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxFormBody+1))
		if err != nil {
			return nil, err
		}
		if len(b) > maxFormBody {
			return nil, errBodyTooLarge
		}
		m.addForm(string(b))
	}
	for _, p := range m.params {
		if !strings.HasPrefix(p.name, "oauth_") {
			continue
		}
		m.hasOAuth = true
		if _, seen := m.oauth[p.name]; !seen {
			m.oauth[p.name] = p.value
		} else if !slices.Contains(m.repeated, p.name) {
			m.repeated = append(m.repeated, p.name)
		}
	}
	return m, nil
}

// addForm adds the parameters of a query or form body.
func (m *message) addForm(s string) {
	ps, bad := parseForm(s)
	if m.bad == "" {
		m.bad = bad
	}
	m.params = append(m.params, ps...)
}

// baseStringURI is the base string URI of RFC 5849 3.4.1.2 as this server
// sees the request: the scheme from the connection (https when TLS), the
// Host header lower-cased without the scheme's default port, and the path
// exactly as received (the context path included, no query).
func baseStringURI(r *http.Request) string {
	scheme, port := "http", ":80"
	if r.TLS != nil {
		scheme, port = "https", ":443"
	}
	return scheme + "://" + strings.TrimSuffix(strings.ToLower(r.Host), port) + receivedPath(r)
}

// receivedPath is the request path as it came on the request line,
// still percent-encoded.
func receivedPath(r *http.Request) string {
	p, _, _ := strings.Cut(r.RequestURI, "?")
	if !strings.HasPrefix(p, "/") {
		// An absolute-form request line, or none (a request built in a
		// test): the parsed URL's path.
		p = r.URL.EscapedPath()
	}
	return cmp.Or(p, "/")
}

// siteURL is the Jira base URL as this server sees the request: scheme,
// host and context path.
func (j *Jira) siteURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + j.contextPath
}
