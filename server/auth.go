package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/applink/applink/server/store"
)

// AdminTokenFrom returns the admin token: the environment variable
// APPLINK_ADMIN_TOKEN when set (white space around it trimmed), else the
// token kept in the data folder, made and saved (0600) at the first start,
// when created is true. Either must pass store.CheckAdminToken: a token
// that does not is an *Error (CodeInvalidInput) naming where it came from
// and how to make a good one, never quoting it.
func AdminTokenFrom(st *store.Store, getenv func(string) string) (token string, created bool, err error) {
	if getenv != nil {
		if t := strings.TrimSpace(getenv(AdminTokenEnv)); t != "" {
			if err := store.CheckAdminToken(t); err != nil {
				return "", false, &Error{Code: CodeInvalidInput, Message: AdminTokenEnv + " is not a usable admin token: " + err.Error(),
					Hint: store.AdminTokenHint + ", or unset " + AdminTokenEnv + " to have applink make one and keep it in the data folder"}
			}
			return t, false, nil
		}
	}
	return st.AdminToken()
}

// AdminTokenEnv is the environment variable that gives the admin token.
const AdminTokenEnv = "APPLINK_ADMIN_TOKEN"

// Failed sign-ins (UI or API) allowed per client address and window.
const (
	signInFailures = 10
	signInWindow   = time.Minute
)

// tokenEqual compares a presented token with the admin token in constant
// time (hashing first, so that the length does not leak either).
func (s *Server) tokenEqual(presented string) bool {
	a := sha256.Sum256([]byte(presented))
	b := sha256.Sum256([]byte(s.adminToken.reveal()))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// clientKey is the rate-limit key of a request: the client's IP address.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// requireToken wraps an API handler: it needs "Authorization: Bearer
// TOKEN" with the admin token.
func (s *Server) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			s.writeError(w, r, &Error{Code: CodeUnauthorized, Message: "The API needs the admin token.",
				Hint: "Send the header \"Authorization: Bearer TOKEN\" with the admin token (APPLINK_ADMIN_TOKEN, or the admin-token file in the data folder)."})
			return
		}
		key := clientKey(r)
		if wait, blocked := s.signInLimit.blocked(key); blocked {
			s.tooMany(w, r, wait, true)
			return
		}
		if !s.tokenEqual(token) {
			s.signInLimit.fail(key)
			s.logger(r.Context()).Warn().Str("client", key).Msg("API request with a wrong admin token")
			s.writeError(w, r, &Error{Code: CodeUnauthorized, Message: "That is not the admin token.",
				Hint: "Send the admin token applink printed at its first start, or APPLINK_ADMIN_TOKEN."})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireSession wraps a UI handler: it needs a signed-in session. A GET
// without one is sent to the sign-in page; anything else gets a 401 page.
func (s *Server) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.signedIn(r) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		s.renderError(w, r, &Error{Code: CodeUnauthorized, Message: "You are not signed in (or your session ended).",
			Hint: "Sign in again with the admin token, then repeat what you did."})
	})
}

// tooMany answers a client that failed to sign in too often.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration, api bool) {
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	e := &Error{Code: CodeTooManyAttempts, Message: "Too many wrong admin tokens from this address.",
		Hint: "Wait " + strconv.Itoa(secs) + " seconds, then try again with the right token."}
	if api {
		s.writeError(w, r, e)
		return
	}
	s.renderError(w, r, e)
}

// limiter counts failures per key in a fixed window.
type limiter struct {
	mu     sync.Mutex
	now    func() time.Time
	max    int
	window time.Duration
	fails  map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// maxLimiterKeys bounds the limiter's memory; past it old windows go.
const maxLimiterKeys = 10000

func newLimiter(now func() time.Time, max int, w time.Duration) *limiter {
	return &limiter{now: now, max: max, window: w, fails: map[string]*window{}}
}

// blocked reports whether key failed max times within the window, and
// how long until it may try again.
func (l *limiter) blocked(key string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.fails[key]
	if !ok {
		return 0, false
	}
	left := l.window - l.now().Sub(w.start)
	if left <= 0 {
		delete(l.fails, key)
		return 0, false
	}
	return left, w.n >= l.max
}

// fail records a failure of key.
func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, ok := l.fails[key]
	if !ok || now.Sub(w.start) >= l.window {
		if len(l.fails) >= maxLimiterKeys {
			for k, old := range l.fails {
				if now.Sub(old.start) >= l.window {
					delete(l.fails, k)
				}
			}
			if len(l.fails) >= maxLimiterKeys {
				l.fails = map[string]*window{}
			}
		}
		w = &window{start: now}
		l.fails[key] = w
	}
	w.n++
}

// reset forgets the failures of key (after a success).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}
