package jiratest

import (
	"context"
	"net/http"
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

// ServeHTTP serves Jira's endpoints under the context path: the OAuth
// servlets, the login form, the REST resources, and Jira's 404 page for
// anything else. Faults apply to every request.
func (j *Jira) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := j.Faults()
	if f.Latency > 0 && !wait(r.Context(), f.Latency) {
		return // the client has gone: nobody to answer
	}
	j.mu.Lock()
	now := j.nowLocked()
	j.pruneLocked(now)
	j.mu.Unlock()
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	switch {
	case f.Status5xx != 0:
		j.proxyError(w, f.Status5xx)
		return
	case f.SSOPage:
		j.ssoPage(w)
		return
	}
	rel, ok := j.relative(r.URL.Path)
	if !ok {
		j.notFound(w, r)
		return
	}
	switch rel {
	case "/", "":
		if allowMethods(w, r, http.MethodGet, http.MethodHead) {
			j.homePage(w, r)
		}
	case PathRequestToken:
		if allowMethods(w, r, http.MethodPost) {
			j.handleRequestToken(w, r)
		}
	case PathAuthorize:
		if allowMethods(w, r, http.MethodGet, http.MethodHead, http.MethodPost) {
			if r.Method == http.MethodPost {
				j.handleDecision(w, r)
			} else {
				j.handleAuthorizePage(w, r)
			}
		}
	case PathAccessToken:
		if allowMethods(w, r, http.MethodPost) {
			j.handleAccessToken(w, r)
		}
	case PathLogin:
		if allowMethods(w, r, http.MethodGet, http.MethodHead, http.MethodPost) {
			if r.Method == http.MethodPost {
				j.handleLogin(w, r)
			} else {
				j.handleLoginPage(w, r)
			}
		}
	case PathLogout:
		if allowMethods(w, r, http.MethodPost) {
			j.handleLogout(w, r)
		}
	case PathServerInfo:
		if allowMethods(w, r, http.MethodGet, http.MethodHead) {
			j.handleServerInfo(w, r)
		}
	case PathMyself:
		if allowMethods(w, r, http.MethodGet, http.MethodHead) {
			j.handleMyself(w, r)
		}
	case PathMyPermissions:
		if allowMethods(w, r, http.MethodGet, http.MethodHead) {
			j.handleMyPermissions(w, r)
		}
	case PathSearch:
		if allowMethods(w, r, http.MethodGet, http.MethodHead, http.MethodPost) {
			j.handleSearch(w, r)
		}
	case PathProject:
		if allowMethods(w, r, http.MethodGet, http.MethodHead) {
			j.handleProjects(w, r)
		}
	case PathCreateMeta:
		if allowMethods(w, r, http.MethodGet, http.MethodHead) {
			j.handleCreateMeta(w, r)
		}
	default:
		if rest, ok := strings.CutPrefix(rel, PathCreateMetaProject); ok && r.Method == http.MethodGet {
			j.handleCreateMetaProject(w, r, rest)
			return
		}
		j.notFound(w, r)
	}
}

// relative returns path relative to the context path; ok is false when
// path is outside it.
func (j *Jira) relative(path string) (rel string, ok bool) {
	if j.contextPath == "" {
		return path, true
	}
	if path == j.contextPath {
		return "/", true
	}
	if strings.HasPrefix(path, j.contextPath+"/") {
		return path[len(j.contextPath):], true
	}
	return "", false
}

// allowMethods answers 405 and returns false when r's method is not one
// of methods.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "HTTP method "+r.Method+" is not supported by this URL", http.StatusMethodNotAllowed)
	return false
}

// wait waits for d, or until ctx ends; it reports whether d elapsed.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
