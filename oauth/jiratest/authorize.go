package jiratest

import (
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/applink/applink/fault"
)

// sessionCookie is the name of Jira's session cookie.
const sessionCookie = "JSESSIONID"

// maxFormPost bounds the body of the login and approval forms.
const maxFormPost = 64 << 10

// crossOrigin refuses cross-origin POSTs to the login and approval forms
// (on top of the atl_token each form carries).
var crossOrigin = http.NewCrossOriginProtection()

// sessionLocked returns the live session of r's cookie, or nil. j.mu must
// be held.
func (j *Jira) sessionLocked(r *http.Request, now time.Time) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	s := j.sessions[sessionID(c.Value)]
	if s == nil || now.Sub(s.lastUsed) > sessionLife {
		return nil
	}
	s.lastUsed = now
	return s
}

// newSessionLocked starts a session for user ("" before login) and
// returns the cookie value. j.mu must be held.
func (j *Jira) newSessionLocked(now time.Time, user string) (string, *session) {
	value := rand.Text() + rand.Text()
	s := &session{csrf: rand.Text(), user: user, lastUsed: now}
	j.sessions[sessionID(value)] = s
	return value, s
}

// setSessionCookie sends the session cookie: HttpOnly, SameSite=Lax (it
// must survive the consumer's link to the authorize page), Secure on TLS.
// An empty value deletes the cookie.
func (j *Jira) setSessionCookie(w http.ResponseWriter, r *http.Request, value string) {
	c := &http.Cookie{Name: sessionCookie, Value: value, Path: cmp.Or(j.contextPath, "/"), HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil}
	if value == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// validCSRF reports whether the form's atl_token is the session's.
func validCSRF(s *session, formToken string) bool {
	return s != nil && formToken != "" && subtle.ConstantTimeCompare([]byte(s.csrf), []byte(formToken)) == 1
}

// destination checks an os_destination: a path relative to the context
// path, never another site. The home page when it is not one.
func destination(d string) string {
	if !strings.HasPrefix(d, "/") || strings.HasPrefix(d, "//") || strings.ContainsAny(d, "\\\r\n") {
		return "/"
	}
	return d
}

// authorizeDestination is the os_destination of the authorize page of a
// request token.
func authorizeDestination(tokenValue string) string {
	return PathAuthorize + "?oauth_token=" + url.QueryEscape(tokenValue)
}

// redirect answers a redirect to a path under the context path.
func (j *Jira) redirect(w http.ResponseWriter, status int, relPath string) {
	w.Header().Set("Location", j.contextPath+relPath)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}

// handleAuthorizePage serves GET authorize?oauth_token=T: Jira's login
// page first (by a redirect, as Jira's login filter does), then the
// Allow/Deny page naming the consumer and the logged-in user.
func (j *Jira) handleAuthorizePage(w http.ResponseWriter, r *http.Request) {
	value := r.URL.Query().Get("oauth_token")
	j.mu.Lock()
	now := j.nowLocked()
	s := j.sessionLocked(r, now)
	var u *User
	if s != nil {
		u = j.users[s.user]
	}
	if u == nil {
		j.mu.Unlock()
		q := url.Values{"os_destination": {authorizeDestination(value)}, "permissionViolation": {"true"}}
		j.redirect(w, http.StatusFound, PathLogin+"?"+q.Encode())
		return
	}
	t := j.tokens[value]
	terr := j.requestTokenErrorLocked(t, value, now)
	v := j.newView("Welcome to Jira")
	if terr == nil {
		v.Consumer = j.consumerNameLocked(t.consumerKey)
		v.Token = t.value
		v.CSRF = s.csrf
		v.Action = j.contextPath + PathAuthorize
		v.LogoutAction = j.contextPath + PathLogout
		v.Destination = authorizeDestination(t.value)
		v.Login, v.Email, v.DisplayName = u.Name, u.Email, displayName(u)
	}
	j.mu.Unlock()
	if terr != nil {
		j.tokenErrorPage(w, terr)
		return
	}
	j.render(w, http.StatusOK, "approve", v)
}

// handleDecision serves POST authorize: the user clicked Allow or Deny.
// The browser goes to the consumer's callback with oauth_token and
// oauth_verifier ("denied" on Deny), or, for oob, sees the verification
// code.
func (j *Jira) handleDecision(w http.ResponseWriter, r *http.Request) {
	if !j.readPost(w, r) {
		return
	}
	value := r.PostForm.Get("oauth_token")
	allow := r.PostForm.Has("approve")
	if !allow && !r.PostForm.Has("deny") {
		j.message(w, http.StatusBadRequest, "Invalid request", "Choose Allow or Deny.")
		return
	}
	j.mu.Lock()
	now := j.nowLocked()
	s := j.sessionLocked(r, now)
	if s == nil || !validCSRF(s, r.PostForm.Get("atl_token")) {
		j.mu.Unlock()
		j.xsrfPage(w)
		return
	}
	if s.user == "" {
		j.mu.Unlock()
		q := url.Values{"os_destination": {authorizeDestination(value)}}
		j.redirect(w, http.StatusSeeOther, PathLogin+"?"+q.Encode())
		return
	}
	u := j.users[s.user]
	d, terr := j.decideLocked(j.tokens[value], value, u, allow, now)
	j.mu.Unlock()
	if terr != nil {
		j.tokenErrorPage(w, terr)
		return
	}
	if d.callback != "" {
		w.Header().Set("Location", d.callback)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusFound)
		return
	}
	v := j.newView("Access approved")
	v.Consumer, v.DisplayName, v.Login = d.consumer, displayName(u), u.Name
	if !allow {
		v.Title = "Access denied"
		j.render(w, http.StatusOK, "denied", v)
		return
	}
	v.Verifier = d.verifier
	j.render(w, http.StatusOK, "verifier", v)
}

// handleLoginPage serves GET login.jsp: the login form, with a session
// (and its atl_token) made for it.
func (j *Jira) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	j.mu.Lock()
	now := j.nowLocked()
	s := j.sessionLocked(r, now)
	var cookie string
	if s == nil {
		cookie, s = j.newSessionLocked(now, "")
	}
	csrf := s.csrf
	j.mu.Unlock()
	if cookie != "" {
		j.setSessionCookie(w, r, cookie)
	}
	j.renderLogin(w, csrf, destination(r.URL.Query().Get("os_destination")), "", false)
}

// renderLogin writes the login page.
func (j *Jira) renderLogin(w http.ResponseWriter, csrf, dest, username string, failed bool) {
	v := j.newView("Log in")
	v.Action, v.CSRF, v.Destination, v.Username, v.Failed = j.contextPath+PathLogin, csrf, dest, username, failed
	if failed {
		w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
	}
	j.render(w, http.StatusOK, "login", v)
}

// handleLogin serves POST login.jsp: a good user name (or email) and
// password start a new session and send the browser on to os_destination;
// a bad one shows the form again with Jira's error (and its
// X-Seraph-LoginReason header).
func (j *Jira) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !j.readPost(w, r) {
		return
	}
	f := r.PostForm
	dest := destination(f.Get("os_destination"))
	j.mu.Lock()
	now := j.nowLocked()
	s := j.sessionLocked(r, now)
	if s == nil || !validCSRF(s, f.Get("atl_token")) {
		j.mu.Unlock()
		j.xsrfPage(w)
		return
	}
	u := j.findUserLocked(f.Get("os_username"))
	if u == nil || u.Password == "" || subtle.ConstantTimeCompare([]byte(u.Password), []byte(f.Get("os_password"))) != 1 {
		csrf := s.csrf
		j.mu.Unlock()
		j.renderLogin(w, csrf, dest, f.Get("os_username"), true)
		return
	}
	// A new session on login: a session id known before login is worth
	// nothing after it.
	maps.DeleteFunc(j.sessions, func(_ string, old *session) bool { return old == s })
	delete(j.failures, strings.ToLower(u.Name)) // a web login ends the CAPTCHA of Basic logins
	cookie, _ := j.newSessionLocked(now, strings.ToLower(u.Name))
	j.mu.Unlock()
	j.setSessionCookie(w, r, cookie)
	j.redirect(w, http.StatusSeeOther, dest)
}

// handleLogout serves POST logout (the "Not you? Log out" link): the
// session ends and the browser goes back to os_destination, which shows
// the login form again.
func (j *Jira) handleLogout(w http.ResponseWriter, r *http.Request) {
	if !j.readPost(w, r) {
		return
	}
	j.mu.Lock()
	now := j.nowLocked()
	s := j.sessionLocked(r, now)
	if s == nil || !validCSRF(s, r.PostForm.Get("atl_token")) {
		j.mu.Unlock()
		j.xsrfPage(w)
		return
	}
	maps.DeleteFunc(j.sessions, func(_ string, old *session) bool { return old == s })
	j.mu.Unlock()
	j.setSessionCookie(w, r, "")
	j.redirect(w, http.StatusSeeOther, destination(r.PostForm.Get("os_destination")))
}

// readPost parses a form POST from a browser, refusing cross-origin posts
// and oversized bodies.
func (j *Jira) readPost(w http.ResponseWriter, r *http.Request) bool {
	if err := crossOrigin.Check(r); err != nil {
		j.xsrfPage(w)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormPost)
	if err := r.ParseForm(); err != nil {
		j.message(w, http.StatusBadRequest, "Invalid request", "The form could not be read.")
		return false
	}
	return true
}

// xsrfPage is Jira's answer to a form without a valid atl_token.
func (j *Jira) xsrfPage(w http.ResponseWriter) {
	j.message(w, http.StatusForbidden, "XSRF Security Token Missing",
		"Jira could not complete this action due to a missing form token. Your session may have expired: go back, reload the page and try again.")
}

// tokenErrorPage shows why a request token cannot be approved.
func (j *Jira) tokenErrorPage(w http.ResponseWriter, e *fault.Error) {
	title := "Invalid OAuth token"
	switch e.Code {
	case CodeTokenExpired:
		title = "OAuth token expired"
	case CodeTokenUsed:
		title = "OAuth token already used"
	case CodeUnknownUser:
		title = "Unknown user"
	}
	j.message(w, http.StatusBadRequest, title, e.Message)
}

// decision is the outcome of Allow or Deny.
type decision struct {
	verifier string // "denied" on Deny
	callback string // where the browser goes; "" for oob
	consumer string // the consumer's name
}

// requestTokenErrorLocked says why t (looked up by value) cannot be
// approved now, or returns nil. j.mu must be held.
func (j *Jira) requestTokenErrorLocked(t *token, value string, now time.Time) *fault.Error {
	switch {
	case value == "":
		return &fault.Error{Code: CodeUnknownToken, Message: "The oauth_token parameter is missing."}
	case t == nil || t.kind != requestToken:
		return &fault.Error{Code: CodeUnknownToken, Message: "The request token is not known to Jira: it was never issued, it was spent, or the Application Link was edited or deleted. Start the authorization again."}
	case t.expired(now):
		return &fault.Error{Code: CodeTokenExpired, Message: "The request token has expired (request tokens live " + j.requestTTL.String() + "). Start the authorization again."}
	case t.state != pending:
		return &fault.Error{Code: CodeTokenUsed, Message: "The request token was already approved or denied. Start the authorization again."}
	}
	return nil
}

// decideLocked approves or denies the request token t as user u. j.mu must
// be held.
func (j *Jira) decideLocked(t *token, value string, u *User, allow bool, now time.Time) (*decision, *fault.Error) {
	if e := j.requestTokenErrorLocked(t, value, now); e != nil {
		return nil, e
	}
	if u == nil {
		return nil, &fault.Error{Code: CodeUnknownUser, Message: "no such user"}
	}
	d := &decision{verifier: "denied", consumer: j.consumerNameLocked(t.consumerKey)}
	if allow {
		t.state = approved
		t.verifier = randomVerifier()
		t.user = strings.ToLower(u.Name)
		d.verifier = t.verifier
	} else {
		t.state = denied
	}
	if t.callback != "oob" {
		d.callback = callbackURL(t.callback, t.value, d.verifier)
	}
	return d, nil
}

// callbackURL adds oauth_token and oauth_verifier to the consumer's
// callback, keeping its own query.
func callbackURL(callback, tokenValue, verifier string) string {
	u, err := url.Parse(callback)
	if err != nil {
		return ""
	}
	q := "oauth_token=" + url.QueryEscape(tokenValue) + "&oauth_verifier=" + url.QueryEscape(verifier)
	u.RawQuery = strings.TrimPrefix(u.RawQuery+"&"+q, "&")
	return u.String()
}

// consumerNameLocked is the name of a consumer, as the Allow page shows it.
func (j *Jira) consumerNameLocked(key string) string {
	if c := j.consumers[key]; c != nil {
		return c.name
	}
	return key
}

// findUserLocked finds a user by name or email, compared lower-cased.
func (j *Jira) findUserLocked(login string) *User {
	login = strings.TrimSpace(login)
	if login == "" {
		return nil
	}
	if u := j.users[strings.ToLower(login)]; u != nil {
		return u
	}
	for _, u := range j.users {
		if u.Email != "" && sameName(u.Email, login) {
			return u
		}
	}
	return nil
}

// displayName is the user's display name, or the name.
func displayName(u *User) string { return cmp.Or(u.DisplayName, u.Name) }

// ApproveRequest approves or denies a request token as the named user
// would by logging in and clicking Allow or Deny, without HTTP. It returns
// the verifier ("denied" on deny) and the callback URL the browser would be
// sent to ("" for oob). It fails with a *fault.Error: CodeUnknownUser,
// CodeUnknownToken, CodeTokenExpired or CodeTokenUsed.
func (j *Jira) ApproveRequest(requestToken, userName string, allow bool) (verifier, callback string, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	u := j.users[strings.ToLower(userName)]
	if u == nil {
		return "", "", &fault.Error{Code: CodeUnknownUser, Message: "no user named " + safeName(userName)}
	}
	d, e := j.decideLocked(j.tokens[requestToken], requestToken, u, allow, j.nowLocked())
	if e != nil {
		return "", "", e
	}
	return d.verifier, d.callback, nil
}
