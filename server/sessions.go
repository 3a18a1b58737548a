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
	"github.com/gorilla/sessions"

	"github.com/applink/applink/server/store"
)

// The admin's session cookie (see sessionStore) and its lifetime.
const (
	sessionCookie = "applink_session"
	// DefaultSessionLifetime is how long a session lasts when
	// Config.SessionLifetime is zero.
	DefaultSessionLifetime = 12 * time.Hour
)

// CheckSessionLifetime checks a session lifetime (Config.SessionLifetime,
// --session-lifetime): at least a minute. A bad one is an *Error with
// CodeInvalidInput.
func CheckSessionLifetime(d time.Duration) error {
	if d < time.Minute {
		return &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("the session lifetime %v is shorter than a minute", d),
			Hint: "give how long a sign-in lasts, such as 12h or 30m"}
	}
	return nil
}

// sessionStore is the sessions.Store of the admin's sessions: their
// records live on the server (store.Session, in the data folder), the
// cookie carries only a random session id, signed and encrypted with the
// data folder's session keys. Ending a session deletes its record, so a
// copied cookie then opens nothing. A session is signed in when its
// value "who" names someone; its Values (strings under strings) are kept
// in its record.
type sessionStore struct {
	st       *store.Store
	codec    *securecookie.SecureCookie // the cookie's: signed, AES-256, refused once older than the lifetime
	options  sessions.Options           // copied into each session
	tokenTag string                     // a one-way tag of the admin token kept with each session: another token ends it
	now      func() time.Time
}

// newSessionStore returns the session store: cookies HttpOnly, SameSite=Lax
// (so that the cookie comes along when Jira sends the browser back),
// Secure unless applink is served over plain http, lasting lifetime.
func newSessionStore(st *store.Store, hashKey, encKey []byte, token secret, lifetime time.Duration, secure bool, now func() time.Time) *sessionStore {
	age, tag := int(lifetime/time.Second), sha256.Sum256([]byte("applink session\x00"+token.reveal()))
	return &sessionStore{st: st, codec: securecookie.New(hashKey, encKey).MaxAge(age), tokenTag: hex.EncodeToString(tag[:16]), now: now,
		options: sessions.Options{Path: "/", MaxAge: age, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}}
}

// Get returns the request's session, read once per request (see New); it
// never fails, sessionCookie being a valid cookie name.
func (ss *sessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(ss, name)
}

// New returns the session the request's cookie names when it is live (a
// record the server keeps, made with the current admin token, not
// expired), else a new empty session: a cookie that does not decode
// (other keys, tampered, too old) or names no live record is no session,
// never an error.
func (ss *sessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(ss, name)
	opts := ss.options
	sess.Options, sess.IsNew = &opts, true
	var id string
	if c, err := r.Cookie(name); err != nil || ss.codec.Decode(name, c.Value, &id) != nil {
		return sess, nil
	}
	x, ok := ss.st.Session(id)
	now := ss.now()
	if !ok || subtle.ConstantTimeCompare([]byte(x.TokenTag), []byte(ss.tokenTag)) != 1 ||
		!now.Before(x.ExpiresAt) || now.Before(x.CreatedAt.Add(-time.Minute)) {
		return sess, nil
	}
	sess.ID, sess.IsNew = id, false
	for k, v := range x.Values {
		sess.Values[k] = v
	}
	return sess, nil
}

// Save saves the session's record and sends its cookie. A session without
// a live record gets a new random id and lasts Options.MaxAge (the session
// lifetime unless changed) from now; a live one keeps its id and expiry. Options.MaxAge < 0 ends the
// session: its record is deleted and its cookie expired.
func (ss *sessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	if sess.Options.MaxAge < 0 {
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		id := sess.ID
		sess.ID, sess.IsNew = "", true
		return ss.st.EndSession(id)
	}
	now := ss.now()
	x := store.Session{TokenTag: ss.tokenTag, CreatedAt: now, ExpiresAt: now.Add(time.Duration(sess.Options.MaxAge) * time.Second),
		Values: make(map[string]string, len(sess.Values))}
	for k, v := range sess.Values {
		ks, ok := k.(string)
		vs, ok2 := v.(string)
		if !ok || !ok2 {
			return fmt.Errorf("server: session value %v is not a string kept under a string", k)
		}
		x.Values[ks] = vs
	}
	id := sess.ID
	if old, ok := ss.st.Session(id); ok {
		x.CreatedAt, x.ExpiresAt = old.CreatedAt, old.ExpiresAt
	} else {
		id = rand.Text()
	}
	if err := ss.st.AddSession(id, x); err != nil {
		return err
	}
	v, err := ss.codec.Encode(sess.Name(), id)
	if err != nil {
		return err
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), v, sess.Options))
	sess.ID, sess.IsNew = id, false
	return nil
}

// who returns who signed the request's session in: its value "who" ("":
// no live session, or one holding an OpenID sign-in under way).
func (s *Server) who(r *http.Request) string {
	sess, _ := s.sessions.Get(r, sessionCookie) // never an error: see New
	who, _ := sess.Values["who"].(string)
	return who
}

// pruneSessions ends, at start, the sessions made with another admin
// token and those expired.
func (s *Server) pruneSessions() error {
	now := s.now()
	n, err := s.store.EndSessions(func(x store.Session) bool {
		return x.TokenTag != s.sessions.tokenTag || !now.Before(x.ExpiresAt)
	})
	if n > 0 {
		s.log.Info().Bool("audit", true).Str("event", "sessions_pruned").Int("sessions", n).
			Msg("sessions made with another admin token, or expired, ended")
	}
	return err
}
