package jiratest

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// handleRequestToken serves POST request-token (RFC 5849 2.1): a signed
// request with oauth_callback gets a new request token, its secret and
// oauth_callback_confirmed=true.
func (j *Jira) handleRequestToken(w http.ResponseWriter, r *http.Request) {
	m, ok := j.readMessageOrFail(w, r)
	if !ok {
		return
	}
	j.mu.Lock()
	now := j.nowLocked()
	cons, _, prob := j.verifyLocked(m, checkRequestToken, now)
	var t *token
	if prob == nil {
		t = &token{
			value:       randomToken(),
			kind:        requestToken,
			consumerKey: cons.key,
			created:     now,
			expires:     now.Add(j.requestTTL),
			callback:    m.get("oauth_callback"),
		}
		j.tokens[t.value] = t
	}
	j.mu.Unlock()
	if prob != nil {
		j.writeProblem(w, r, prob)
		return
	}
	writeText(w, http.StatusOK, encodeForm([]param{
		{"oauth_token", t.value},
		{"oauth_token_secret", randomToken()},
		{"oauth_callback_confirmed", "true"},
	}))
}

// handleAccessToken serves POST access-token (RFC 5849 2.3): an approved
// request token and its verifier become an access token. The request
// token is spent: its verifier works once.
func (j *Jira) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	m, ok := j.readMessageOrFail(w, r)
	if !ok {
		return
	}
	j.mu.Lock()
	now := j.nowLocked()
	at, prob := j.exchangeLocked(m, now)
	j.mu.Unlock()
	if prob != nil {
		j.writeProblem(w, r, prob)
		return
	}
	ttl := strconv.FormatInt(int64(j.accessTTL/time.Second), 10)
	writeText(w, http.StatusOK, encodeForm([]param{
		{"oauth_token", at.value},
		{"oauth_token_secret", randomToken()},
		{"oauth_expires_in", ttl},
		{"oauth_session_handle", rand.Text()},
		{"oauth_authorization_expires_in", ttl},
	}))
}

// exchangeLocked checks an access-token request and issues the access
// token. j.mu must be held.
func (j *Jira) exchangeLocked(m *message, now time.Time) (*token, *problem) {
	cons, rt, prob := j.verifyLocked(m, checkAccessToken, now)
	if prob != nil {
		return nil, prob
	}
	if rt.expired(now) {
		return nil, newProblem(ProblemTokenExpired)
	}
	switch rt.state {
	case pending:
		return nil, newProblem(ProblemPermissionUnknown)
	case denied:
		return nil, newProblem(ProblemPermissionDenied)
	}
	if subtle.ConstantTimeCompare([]byte(m.get("oauth_verifier")), []byte(rt.verifier)) != 1 {
		return nil, newProblem(ProblemPermissionDenied)
	}
	delete(j.tokens, rt.value)
	at := &token{
		value:       randomToken(),
		kind:        accessToken,
		consumerKey: cons.key,
		created:     now,
		expires:     now.Add(j.accessTTL),
		user:        rt.user,
	}
	j.tokens[at.value] = at
	return at, nil
}

// readMessageOrFail reads r's OAuth message, answering 413 or 400 itself
// when the body is too large or cannot be read.
func (j *Jira) readMessageOrFail(w http.ResponseWriter, r *http.Request) (*message, bool) {
	m, err := readMessage(r)
	switch {
	case errors.Is(err, errBodyTooLarge):
		writeText(w, http.StatusRequestEntityTooLarge, "request body too large")
		return nil, false
	case err != nil:
		writeText(w, http.StatusBadRequest, "cannot read the request body")
		return nil, false
	}
	return m, true
}
