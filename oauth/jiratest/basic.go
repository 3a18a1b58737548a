package jiratest

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// MaxLoginFailures is how many wrong Basic logins in a row Server and Data
// Center accept before they ask for a CAPTCHA (Jira's default is 3): from
// then on every Basic login of that user, right or wrong, is refused with
// X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE until the user logs in
// through the web page.
const MaxLoginFailures = 3

// basicUser authenticates a REST call with Basic authentication: on
// Server and Data Center a username and its password, on Cloud an email
// address and an API token (Cloud refuses account passwords there). A
// wrong pair is a 401 with X-Seraph-LoginReason: AUTHENTICATED_FAILED;
// past MaxLoginFailures, Server and Data Center answer 403 with the
// CAPTCHA headers. The user returned is a copy.
func (j *Jira) basicUser(w http.ResponseWriter, r *http.Request, login, pass string) (*User, bool) {
	j.mu.Lock()
	var found *User
	for _, u := range j.users {
		secret := u.Password
		match := sameName(login, u.Name)
		if j.flavor == Cloud {
			secret, match = u.APIToken, sameName(login, u.Email)
		}
		if match && secret != "" && subtle.ConstantTimeCompare([]byte(pass), []byte(secret)) == 1 {
			c := *u
			found = &c
		}
	}
	key := strings.ToLower(login)
	captcha := j.flavor != Cloud && j.failures[key] >= MaxLoginFailures
	switch {
	case found != nil && !captcha:
		delete(j.failures, key)
	case found == nil && j.flavor != Cloud:
		j.failures[key]++
	}
	j.mu.Unlock()
	switch {
	case captcha:
		w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATION_DENIED")
		w.Header().Set("X-Authentication-Denied-Reason", "CAPTCHA_CHALLENGE; login-url="+j.siteURL(r)+PathLogin)
		writeRESTError(w, http.StatusForbidden, "CAPTCHA_CHALLENGE")
		return nil, false
	case found == nil:
		w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
		w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
		writeRESTError(w, http.StatusUnauthorized, "Basic authentication failed.")
		return nil, false
	}
	return found, true
}

// ClearLoginFailures forgets the wrong Basic logins of a user, as logging
// in through the web page (and solving the CAPTCHA) does.
func (j *Jira) ClearLoginFailures(userName string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.failures, strings.ToLower(userName))
}
