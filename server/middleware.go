package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog/hlog"
)

// contentSecurityPolicy allows only applink's own scripts, styles and
// images, no framing, and forms that post to applink only.
const contentSecurityPolicy = "default-src 'self'; base-uri 'none'; object-src 'none'; " +
	"frame-ancestors 'none'; form-action 'self'"

// middleware wraps the routes, outermost first: the request's logger
// (hlog.NewHandler), a request id (field req_id, header X-Request-Id), the
// access log, security headers, panic recovery, and cross-origin
// protection of every state-changing request.
func (s *Server) middleware(routes http.Handler) (http.Handler, error) {
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(s.publicURL); err != nil {
		return nil, fmt.Errorf("server: public URL as trusted origin: %w", err)
	}
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	h := cop.Handler(routes)
	h = s.recoverer(h)
	h = securityHeaders(h, s.secureCookies)
	h = hlog.AccessHandler(s.accessLog)(h)
	h = hlog.RequestIDHandler("req_id", "X-Request-Id")(h)
	h = hlog.NewHandler(s.log)(h)
	return h, nil
}

// accessLog logs one line per request: method, path (never the query: the
// callback's holds oauth_token and oauth_verifier), status, size, duration.
func (s *Server) accessLog(r *http.Request, status, size int, d time.Duration) {
	hlog.FromRequest(r).Info().
		Str("method", r.Method).
		Str("path", logPath(r.URL.Path)).
		Int("status", status).
		Int("size", size).
		Dur("duration", d).
		Msg("request")
}

// logPath is the path as logged: the id of an approval link, which opens
// the way to Jira's authorize page, is left out.
func logPath(p string) string {
	if strings.HasPrefix(p, ApprovalPathPrefix) {
		return ApprovalPathPrefix + "{id}"
	}
	if len(p) > 256 {
		return p[:256] + "..."
	}
	return p
}

// securityHeaders sets the headers every answer carries. Answers are not
// cached (pages show tokens' metadata, approval and authorize URLs) except
// static assets, which set their own Cache-Control.
func securityHeaders(next http.Handler, https bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic in a handler into a logged 500 instead of a
// dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			s.refuse(w, r, &Error{Code: CodeInternal, Err: fmt.Errorf("panic: %v", rec)})
		}()
		next.ServeHTTP(w, r)
	})
}

// crossOriginDenied answers a state-changing request from another site.
func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	s.logger(r.Context()).Warn().Str("method", r.Method).Str("path", logPath(r.URL.Path)).
		Str("origin", r.Header.Get("Origin")).Msg("cross-origin request refused")
	s.refuse(w, r, &Error{Code: CodeCrossOrigin, Message: "This request came from another site, so applink refused it.",
		Hint: "Use applink's own pages, or call the API from a script (not a web page of another site)."})
}

// refuse answers with e: a JSON error for the API, else an error page.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, e *Error) {
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeError(w, r, e)
		return
	}
	s.renderError(w, r, e)
}
