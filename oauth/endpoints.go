package oauth

import (
	"net/url"
	"strings"
)

// Paths of Jira's OAuth 1.0a and REST endpoints, relative to the base URL.
const (
	requestTokenPath  = "/plugins/servlet/oauth/request-token"
	authorizePath     = "/plugins/servlet/oauth/authorize"
	accessTokenPath   = "/plugins/servlet/oauth/access-token"
	MyselfPath        = "/rest/api/2/myself"
	myPermissionsPath = "/rest/api/2/mypermissions"
	serverInfoPath    = "/rest/api/2/serverInfo"
)

// Endpoints are the absolute URLs of one Jira site's OAuth endpoints.
type Endpoints struct {
	Base         string // normalised base URL, no trailing slash
	RequestToken string
	Authorize    string // without the oauth_token query
	AccessToken  string
}

// pagePrefixes are paths inside Jira that people paste along with the base
// URL; everything from them on is cut off.
var pagePrefixes = []string{
	"/secure/", "/plugins/servlet/", "/rest/", "/browse/", "/projects/",
	"/issues/", "/login.jsp", "/jira/software/", "/jira/core/", "/jira/servicedesk/",
	"/jira/your-work", "/jira/dashboards", "/jira/projects", "/jira/for-you",
}

// ParseBaseURL normalises a Jira base URL as people type it: it must be an
// absolute http or https URL with a host; a trailing slash, a query and a
// fragment are removed; a context path such as /jira is kept; pasted page
// paths Jira users often copy (/secure/Dashboard.jspa, /plugins/servlet/...,
// /rest/..., /browse/...) are cut off. Scheme and host are lower-cased and a
// default port (:443 for https, :80 for http) is dropped, because Jira signs
// with the URL it sees. Failures are *Error with CodeBadBaseURL.
func ParseBaseURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	bad := func(msg string) error {
		return &Error{Code: CodeBadBaseURL, Step: "base_url",
			Message: msg,
			Hint:    "give the address you open Jira at, such as https://jira.example.com or https://jira.example.com/jira"}
	}
	if s == "" {
		return nil, bad("the Jira URL is empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, bad("the Jira URL does not parse as a URL")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		if u.Scheme == "" || u.Host == "" && u.Opaque != "" {
			return nil, bad("the Jira URL must start with https:// or http://")
		}
		return nil, bad("the Jira URL must be http or https, not " + u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, bad("the Jira URL has no host name")
	}
	if u.User != nil {
		return nil, bad("the Jira URL must not hold a user name or password")
	}
	u.Host = dropDefaultPort(u.Scheme, strings.ToLower(u.Host))
	u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = "", "", "", false
	path := u.EscapedPath()
	lower := strings.ToLower(path)
	cut := len(path)
	for _, p := range pagePrefixes {
		if i := strings.Index(lower, strings.ToLower(p)); i >= 0 && i < cut {
			cut = i
		}
	}
	path, lower = path[:cut], lower[:cut]
	for _, suffix := range []string{"/default.jsp", "/login.jsp", "/secure"} {
		if strings.HasSuffix(lower, suffix) {
			path = path[:len(path)-len(suffix)]
			lower = lower[:len(lower)-len(suffix)]
		}
	}
	path = strings.TrimRight(path, "/")
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return nil, bad("the Jira URL's path does not parse")
	}
	// EscapedPath uses RawPath only where it is a valid encoding of Path.
	u.Path, u.RawPath = unescaped, path
	return u, nil
}

// dropDefaultPort removes :80 from an http host and :443 from an https one
// (lower-case scheme): the one rule of default ports.
func dropDefaultPort(scheme, host string) string {
	h, _ := strings.CutSuffix(host, map[string]string{"http": ":80", "https": ":443"}[scheme])
	return h
}

// EndpointsFor returns the endpoints under a base URL returned by
// ParseBaseURL.
func EndpointsFor(base *url.URL) Endpoints {
	b := strings.TrimRight(base.String(), "/")
	return Endpoints{
		Base:         b,
		RequestToken: b + requestTokenPath,
		Authorize:    b + authorizePath,
		AccessToken:  b + accessTokenPath,
	}
}
