package oauth

import "net/url"

// Paths of Jira's OAuth 1.0a and REST endpoints, relative to the base URL.
const (
	RequestTokenPath  = "/plugins/servlet/oauth/request-token"
	AuthorizePath     = "/plugins/servlet/oauth/authorize"
	AccessTokenPath   = "/plugins/servlet/oauth/access-token"
	MyselfPath        = "/rest/api/2/myself"
	MyPermissionsPath = "/rest/api/2/mypermissions"
	ServerInfoPath    = "/rest/api/2/serverInfo"
)

// Endpoints are the absolute URLs of one Jira site's OAuth endpoints.
type Endpoints struct {
	Base         string // normalised base URL, no trailing slash
	RequestToken string
	Authorize    string // without the oauth_token query
	AccessToken  string
}

// ParseBaseURL normalises a Jira base URL as people type it: it must be an
// absolute http or https URL with a host; a trailing slash, a query and a
// fragment are removed; a context path such as /jira is kept; pasted page
// paths Jira users often copy (/secure/Dashboard.jspa, /plugins/servlet/...,
// /rest/..., /browse/...) are cut off. Failures are *Error with CodeBadBaseURL.
func ParseBaseURL(raw string) (*url.URL, error) {
	panic("not implemented")
}

// EndpointsFor returns the endpoints under a base URL returned by
// ParseBaseURL.
func EndpointsFor(base *url.URL) Endpoints {
	panic("not implemented")
}
