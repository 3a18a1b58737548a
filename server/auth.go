package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

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

// tokenEqual compares a presented token with the admin token (secretEqual).
func (s *Server) tokenEqual(presented string) bool {
	return secretEqual(presented, s.adminToken.reveal())
}

// secretEqual compares two secrets in constant time (hashing first, so
// that the length does not leak either).
func secretEqual(x, y string) bool {
	a, b := sha256.Sum256([]byte(x)), sha256.Sum256([]byte(y))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
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
		if !s.tokenEqual(token) {
			s.signInFailed(r, "API request with a wrong admin token")
			s.writeError(w, r, &Error{Code: CodeUnauthorized, Message: "That is not the admin token.",
				Hint: "Send the admin token: APPLINK_ADMIN_TOKEN when it is set, else the one in the admin-token file of applink's data folder."})
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), byKey{}, "admin token")))
	})
}

// byKey is the request context's key of who made the request: "admin
// token" for the API, who signed the session in for the pages.
type byKey struct{}

// requireSession wraps a UI handler: it needs a signed-in session. A GET
// without one is sent to the sign-in page; anything else gets a 401 page.
func (s *Server) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if who := s.who(r); who != "" {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), byKey{}, who)))
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		s.renderError(w, r, &Error{Code: CodeUnauthorized, Message: "You are not signed in (or your session ended).",
			Hint: "Sign in again, then repeat what you did."})
	})
}
