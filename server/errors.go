package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"unicode"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// Error codes of the service, besides those of package oauth (which it
// passes on for failures at Jira). Status tells the HTTP status of each.
const (
	CodeBadRequest       = "bad_request"          // 400: a body that is not the JSON or form expected
	CodeUnknownField     = "unknown_field"        // 400: a JSON field the API does not know
	CodeBodyTooLarge     = "body_too_large"       // 400: a body over the size limit
	CodeInvalidName      = "invalid_name"         // 400: a link name that is not a slug
	CodeInvalidJiraURL   = "invalid_jira_url"     // 400: a Jira URL that is not absolute http(s)
	CodeInvalidInput     = "invalid_input"        // 400: another field is wrong
	CodeUnauthorized     = "unauthorized"         // 401: no admin token or session, or a wrong one
	CodeCrossOrigin      = "cross_origin_request" // 403: a state-changing request from another site
	CodeNotFound         = "not_found"            // 404: no such link or page
	CodeHandshakeUnknown = "handshake_unknown"    // 404: a callback or approval link applink did not start, or already used
	CodeExists           = "already_exists"       // 409: a link of that name exists
	CodeConsumerKeyTaken = "consumer_key_taken"   // 409: another link uses that consumer key on the same Jira
	CodeNotApproved      = "not_approved"         // 409: no access token to export yet
	CodeHandshakeExpired = "handshake_expired"    // 410: a handshake older than 10 minutes
	CodeTooManyAttempts  = "too_many_attempts"    // 429: too many failed sign-ins
	CodeInternal         = "internal_error"       // 500: a failure inside applink; the log has the detail
	CodeWrongApprover    = "wrong_approver"       // 403: approved by someone other than the service account (on-mismatch reject)
)

// Error is a failure of the service as programs and people see it: a Code
// to act on, a one-line Message and a Hint that says what to do. The JSON
// API sends it as {"error": {"code", "message", "hint"}}; pages show
// Message and Hint. Err is the cause, kept for errors.As and the log, and
// never shown.
type Error struct {
	Code    string
	Message string
	Hint    string
	Err     error
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return e.Message + " (" + e.Hint + ")"
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Status returns the HTTP status the service answers e with.
func (e *Error) Status() int { return Status(e.Code) }

// Status maps an error code to its HTTP status: the one place that does.
// Codes of package oauth are failures at Jira: 502 Bad Gateway, except a
// timeout (504), a denied or wrongly approved request (403), an expired
// request token (410), and wrong input (400).
func Status(code string) int {
	switch code {
	case CodeBadRequest, CodeUnknownField, CodeBodyTooLarge, CodeInvalidName,
		CodeInvalidJiraURL, CodeInvalidInput,
		string(oauth.CodeBadInput), string(oauth.CodeBadBaseURL):
		return http.StatusBadRequest
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeCrossOrigin, CodeWrongApprover, string(oauth.CodeDenied):
		return http.StatusForbidden
	case CodeNotFound, CodeHandshakeUnknown:
		return http.StatusNotFound
	case CodeExists, CodeConsumerKeyTaken, CodeNotApproved:
		return http.StatusConflict
	case CodeHandshakeExpired, string(oauth.CodeRequestExpired):
		return http.StatusGone
	case CodeTooManyAttempts:
		return http.StatusTooManyRequests
	case CodeInternal, "":
		return http.StatusInternalServerError
	case string(oauth.CodeTimeout):
		return http.StatusGatewayTimeout
	default:
		return http.StatusBadGateway
	}
}

// asError turns any error into an *Error. Errors of package oauth keep
// their code, message and hint (they never hold secrets). Anything that is
// not a known failure becomes CodeInternal, whose message is generic.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if se, ok := fault.As(err); ok && se.Step == "" { // the store's (Jira's failures have a Step)
		switch se.Code {
		case store.CodeNotFound:
			return &Error{Code: CodeNotFound, Message: "Not found.", Err: err}
		case store.CodeExists:
			return &Error{Code: CodeExists, Message: "It exists already.", Err: err}
		case store.CodeInvalid:
			return &Error{Code: CodeInvalidInput, Message: se.Message, Err: err}
		case store.CodeIO, store.CodeLocked, store.CodeCorrupt:
			return &Error{Code: CodeInternal, Err: err}
		}
	}
	var oe *oauth.Error
	if errors.As(err, &oe) {
		return &Error{Code: string(oe.Code), Message: upperFirst(oe.Message), Hint: upperFirst(oe.Hint), Err: err}
	}
	var ke *keys.Error
	if errors.As(err, &ke) && ke.Code == keys.CodeBadConfigArgs {
		return &Error{Code: CodeInvalidInput, Message: ke.Message, Hint: ke.Hint, Err: err}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Error{Code: CodeBodyTooLarge, Message: fmt.Sprintf("The request body is larger than %d bytes.", mbe.Limit), Err: err}
	}
	return &Error{Code: CodeInternal, Err: err}
}

// public returns what may be shown for e: internal errors are logged with
// their detail and replaced by a generic message naming the request id.
func (s *Server) public(r *http.Request, e *Error) *Error {
	if e.Code != CodeInternal {
		return e
	}
	id := requestID(r)
	s.logger(r.Context()).Error().Err(e.Err).Msg("internal error")
	return &Error{
		Code:    CodeInternal,
		Message: "Something went wrong inside applink (request id " + id + ").",
		Hint:    "The details are in applink's log under that request id; try again, and report it if it happens again.",
	}
}

// requestID returns the request's id ("" when it has none).
func requestID(r *http.Request) string {
	if id, ok := hlog.IDFromRequest(r); ok {
		return id.String()
	}
	return ""
}

// errorBody is the JSON form of an error.
type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

// writeError answers an API request with the JSON error for err.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.public(r, asError(err))
	if e.Code == CodeUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="applink"`)
	}
	writeJSON(w, e.Status(), errorBody{errorJSON{Code: e.Code, Message: e.Message, Hint: e.Hint}})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		// Only our own types are encoded; they always marshal.
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal_error","message":"encoding the answer failed","hint":""}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// logOAuthError adds the non-secret fields of a Jira failure to an event.
// Base strings are left out: the access-token step's holds the verifier.
func logOAuthError(ev *zerolog.Event, err error) *zerolog.Event {
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		e := asError(err)
		return ev.Str("code", e.Code)
	}
	ev = ev.Str("code", string(oe.Code)).Str("step", oe.Step)
	if oe.Status != 0 {
		ev = ev.Int("jira_status", oe.Status)
	}
	if oe.Problem != "" {
		ev = ev.Str("oauth_problem", oe.Problem)
	}
	if oe.URL != "" {
		ev = ev.Str("jira_endpoint", oe.URL)
	}
	if oe.ClockSkew != 0 {
		ev = ev.Int64("clock_skew_seconds", oe.ClockSkew)
	}
	return ev
}

// upperFirst capitalises a message's first letter: package oauth writes
// messages in Go's lower-case error style, pages show sentences.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
