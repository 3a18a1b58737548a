package jiratest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// Paths of Jira's endpoints, relative to the base URL (after the context
// path).
const (
	PathRequestToken  = "/plugins/servlet/oauth/request-token"
	PathAuthorize     = "/plugins/servlet/oauth/authorize"
	PathAccessToken   = "/plugins/servlet/oauth/access-token"
	PathMyself        = "/rest/api/2/myself"
	PathMyPermissions = "/rest/api/2/mypermissions"
	PathServerInfo    = "/rest/api/2/serverInfo"
	PathSearch        = "/rest/api/2/search"
	PathProject       = "/rest/api/2/project"
	PathLogin         = "/login.jsp"
	PathLogout        = "/logout"
)

// NewServer starts a simulated Jira for a test, as httptest.NewServer
// starts a handler: New(opts) with users, served on loopback until the test
// ends (tb is the test's *testing.T or *testing.B; the product does not
// link package testing). The Jira's base URL is the server's URL followed
// by ContextPath.
func NewServer(tb interface{ Cleanup(func()) }, opts Options, users ...User) (*Jira, *httptest.Server) {
	j := New(opts)
	for _, u := range users {
		j.AddUser(u)
	}
	srv := httptest.NewServer(j)
	tb.Cleanup(srv.Close)
	return j, srv
}

// handler serves one of Jira's endpoints.
type handler func(*Jira, http.ResponseWriter, *http.Request)

// routes are Jira's endpoints by path: the handler of GET (HEAD too) and
// the handler of POST.
var routes = map[string]struct{ get, post handler }{
	"/":               {get: (*Jira).homePage},
	"":                {get: (*Jira).homePage},
	PathRequestToken:  {post: (*Jira).handleRequestToken},
	PathAuthorize:     {get: (*Jira).handleAuthorizePage, post: (*Jira).handleDecision},
	PathAccessToken:   {post: (*Jira).handleAccessToken},
	PathLogin:         {get: (*Jira).handleLoginPage, post: (*Jira).handleLogin},
	PathLogout:        {post: (*Jira).handleLogout},
	PathServerInfo:    {get: (*Jira).handleServerInfo},
	PathMyself:        {get: (*Jira).handleMyself},
	PathMyPermissions: {get: (*Jira).handleMyPermissions},
	PathSearch:        {get: (*Jira).handleSearch, post: (*Jira).handleSearch},
	PathProject:       {get: (*Jira).handleProjects},
	PathCreateMeta:    {get: (*Jira).handleCreateMeta},
}

// ServeHTTP serves Jira's endpoints under the context path: the OAuth
// servlets, the login form, the REST resources, and Jira's 404 page for
// anything else; a method an endpoint does not take is a 405. Faults apply
// to every request.
func (j *Jira) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := j.Faults()
	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			return // the client has gone: nobody to answer
		}
	}
	j.mu.Lock()
	now := j.nowLocked()
	j.pruneLocked(now)
	j.mu.Unlock()
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	rel, inside := strings.CutPrefix(r.URL.Path, j.contextPath) // rel is "" for the context path itself
	route, known := routes[rel]
	switch {
	case f.Status5xx != 0:
		j.proxyError(w, f.Status5xx)
	case f.SSOPage:
		j.ssoPage(w)
	case !inside || rel != "" && rel[0] != '/':
		j.notFound(w, r)
	case !known && strings.HasPrefix(rel, PathCreateMetaProject) && r.Method == http.MethodGet:
		j.handleCreateMetaProject(w, r, strings.TrimPrefix(rel, PathCreateMetaProject))
	case !known:
		j.notFound(w, r)
	case r.Method == http.MethodPost && route.post != nil:
		route.post(j, w, r)
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && route.get != nil:
		route.get(j, w, r)
	default:
		var allow []string
		if route.get != nil {
			allow = append(allow, http.MethodGet, http.MethodHead)
		}
		if route.post != nil {
			allow = append(allow, http.MethodPost)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		http.Error(w, "HTTP method "+r.Method+" is not supported by this URL", http.StatusMethodNotAllowed)
	}
}
