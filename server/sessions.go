package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/applink/applink/server/store"
)

// The admin's browser sessions live on the server (store.Session, in the
// data folder): the cookie carries only a random session id, encrypted and
// signed with the data folder's session keys. Signing out ends the session
// for good; a copied cookie then opens nothing.
const (
	sessionCookie = "applink_session"
	// DefaultSessionLifetime is how long a session lasts when
	// Config.SessionLifetime is zero.
	DefaultSessionLifetime = 12 * time.Hour
	// minSessionLifetime is the shortest lifetime Config accepts.
	minSessionLifetime = time.Minute
)

// CheckSessionLifetime checks a session lifetime (Config.SessionLifetime,
// --session-lifetime): at least a minute. A bad one is an *Error with
// CodeInvalidInput.
func CheckSessionLifetime(d time.Duration) error {
	if d < minSessionLifetime {
		return &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("the session lifetime %v is shorter than a minute", d),
			Hint: "give how long a sign-in lasts, such as 12h or 30m"}
	}
	return nil
}

// newCookieCodec returns the codec of the session cookie's value: signed
// with hashKey, encrypted with encKey (AES-256), refused once older than
// the session lifetime.
func newCookieCodec(hashKey, encKey []byte, lifetime time.Duration) *securecookie.SecureCookie {
	return securecookie.New(hashKey, encKey).MaxAge(int(lifetime / time.Second))
}

// tokenTag is a one-way tag of the admin token kept with each session, so
// that changing the token ends every session.
func tokenTag(token secret) string {
	sum := sha256.Sum256([]byte("applink session\x00" + token.reveal()))
	return hex.EncodeToString(sum[:16])
}

// sessionID returns the session id of the request's cookie: "" when there
// is none or it does not decode (other keys, tampered, too old).
func (s *Server) sessionID(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	var id string
	if s.cookies.Decode(sessionCookie, c.Value, &id) != nil {
		return ""
	}
	return id
}

// signedIn reports whether the request carries a live session: one the
// server keeps, made with the current admin token, not expired.
func (s *Server) signedIn(r *http.Request) bool {
	id := s.sessionID(r)
	if id == "" {
		return false
	}
	x, ok := s.store.Session(id)
	if !ok || subtle.ConstantTimeCompare([]byte(x.TokenTag), []byte(s.tokenTag)) != 1 {
		return false
	}
	now := s.now()
	return now.Before(x.ExpiresAt) && !now.Before(x.CreatedAt.Add(-time.Minute))
}

// startSession starts a new session (a new id, so that an id known before
// sign-in is worth nothing) and sends its cookie.
func (s *Server) startSession(w http.ResponseWriter) error {
	id := rand.Text()
	now := s.now()
	if err := s.store.AddSession(id, store.Session{TokenTag: s.tokenTag, CreatedAt: now, ExpiresAt: now.Add(s.sessionLifetime)}); err != nil {
		return err
	}
	v, err := s.cookies.Encode(sessionCookie, id)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, v, int(s.sessionLifetime/time.Second))
	return nil
}

// endSession ends the request's session, if any, and clears its cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	s.setSessionCookie(w, "", -1)
	if id := s.sessionID(r); id != "" {
		return s.store.EndSession(id)
	}
	return nil
}

// setSessionCookie sends the session cookie: HttpOnly, SameSite=Lax (so
// that it comes along when Jira sends the browser back), Secure unless
// applink is served over plain http. maxAge -1 deletes it.
func (s *Server) setSessionCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// pruneSessions ends, at start, the sessions made with another admin
// token and those expired.
func (s *Server) pruneSessions() error {
	now := s.now()
	n, err := s.store.EndSessions(func(x store.Session) bool {
		return x.TokenTag != s.tokenTag || !now.Before(x.ExpiresAt)
	})
	if n > 0 {
		s.log.Info().Bool("audit", true).Str("event", "sessions_pruned").Int("sessions", n).
			Msg("sessions made with another admin token, or expired, ended")
	}
	return err
}
