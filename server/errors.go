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
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// Error codes of the service, besides those of package oauth (which it
// passes on for failures at Jira) and of package store (whose not_found is
// also a page or API route that does not exist, already_exists a taken
// link name). Status tells the HTTP status of each.
const (
	CodeBadRequest       fault.Code = "bad_request"          // 400: a body that is not the JSON or form expected
	CodeUnknownField     fault.Code = "unknown_field"        // 400: a JSON field the API does not know
	CodeBodyTooLarge     fault.Code = "body_too_large"       // 400: a body over the size limit
	CodeInvalidName      fault.Code = "invalid_name"         // 400: a link name that is not a slug
	CodeInvalidJiraURL   fault.Code = "invalid_jira_url"     // 400: a Jira URL that is not absolute http(s)
	CodeInvalidInput     fault.Code = "invalid_input"        // 400: another field is wrong
	CodeUnauthorized     fault.Code = "unauthorized"         // 401: no admin token or session, or a wrong one
	CodeSignInInvalid    fault.Code = "sign_in_invalid"      // 401: an OpenID sign-in whose state, ID token or nonce does not check out
	CodeNotAllowed       fault.Code = "not_allowed"          // 403: someone the OpenID sign-in does not admit, or the token's form turned off
	CodeProviderDown     fault.Code = "provider_unreachable" // 503: the OpenID provider did not answer its discovery
	CodeCrossOrigin      fault.Code = "cross_origin_request" // 403: a state-changing request from another site
	CodeLinkNotFound     fault.Code = "link_not_found"       // 404: no link of that name
	CodeHandshakeUnknown fault.Code = "handshake_unknown"    // 404: a callback or approval link applink did not start, or already used
	CodeConsumerKeyTaken fault.Code = "consumer_key_taken"   // 409: another link uses that consumer key on the same Jira
	CodeNotApproved      fault.Code = "not_approved"         // 409: no access token to export yet
	CodeApprovalChanged  fault.Code = "approval_changed"     // 409: an export's confirmation names another approval than the kept one
	CodeLinkEdited       fault.Code = "link_edited"          // 409: the link's Jira URL was edited while its Jira was asked for an approval
	CodeHandshakeExpired fault.Code = "handshake_expired"    // 410: a handshake older than 10 minutes
	CodeApprovalDropped  fault.Code = "approval_dropped"     // 410: Jira refused too many callbacks of a handshake, which applink dropped
	CodeTooManyPending   fault.Code = "too_many_pending"     // 429: a link has the most pending approvals already
	CodeInternal         fault.Code = "internal_error"       // 500: a failure inside applink; the log has the detail
	CodeSaveFailed       fault.Code = "save_failed"          // 503: the data folder refused to save a callback's outcome (disk full, read-only)
)

// Error is the service's error: applink's one error type. The JSON API
// sends it as {"error": {"code", "message", "hint"}}; pages show Message
// and Hint; Err is the cause, kept for errors.As and the log, never shown.
type Error = fault.Error

// Status maps an error code to its HTTP status: the one place that does.
// Codes of package oauth are failures at Jira: 502 Bad Gateway, except a
// timeout (504), a denied or wrongly approved request (403), an expired
// request token (410), and wrong input (400). 401 and 403 otherwise belong
// to applink's own sign-in.
func Status(code fault.Code) int {
	switch code {
	case CodeBadRequest, CodeUnknownField, CodeBodyTooLarge, CodeInvalidName,
		CodeInvalidJiraURL, CodeInvalidInput, store.CodeInvalid,
		oauth.CodeBadInput, oauth.CodeBadBaseURL, oauth.CodeBadCallback, oauth.CodeBadConfig:
		return http.StatusBadRequest
	case CodeUnauthorized, CodeSignInInvalid:
		return http.StatusUnauthorized
	case CodeCrossOrigin, CodeNotAllowed, oauth.CodeWrongApprover, oauth.CodeAccountReplaced, oauth.CodeApproverUnknown, oauth.CodeDenied, CodeVerifiedTokenKept:
		return http.StatusForbidden
	case store.CodeNotFound, CodeLinkNotFound, CodeHandshakeUnknown:
		return http.StatusNotFound
	case store.CodeExists, CodeConsumerKeyTaken, CodeNotApproved, oauth.CodeApproverNotConfirmed, CodeApprovalChanged, CodeLinkEdited:
		return http.StatusConflict
	case CodeHandshakeExpired, CodeApprovalDropped, oauth.CodeRequestExpired:
		return http.StatusGone
	case CodeTooManyPending:
		return http.StatusTooManyRequests
	case CodeSaveFailed, CodeProviderDown:
		return http.StatusServiceUnavailable
	case CodeInternal, "", store.CodeIO, store.CodeCorrupt, store.CodeLocked:
		return http.StatusInternalServerError
	case oauth.CodeTimeout:
		return http.StatusGatewayTimeout
	default:
		return http.StatusBadGateway
	}
}

// asError turns any error into an *Error: applink's own keep their code,
// with the hint in the web service's words (oauth.HintFor) and the first
// letter of message and hint capitalised (packages write them in Go's
// lower-case style, pages show sentences). An error whose
// code would say "Jira failed" (502) but that no call to Jira made (no
// Step), such as a failure of a link's own key, and anything that is not
// an *Error, become CodeInternal, whose message is generic.
func asError(err error) *Error {
	if e, ok := fault.As(err); ok && (e.Step != "" || Status(e.Code) != http.StatusBadGateway) {
		hint := upperFirst(oauth.HintFor(e, oauth.SurfaceWeb))
		if upperFirst(e.Message) == e.Message && hint == e.Hint {
			return e
		}
		c := *e
		c.Message, c.Hint, c.Err = upperFirst(e.Message), hint, err
		return &c
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
	if Status(e.Code) != http.StatusInternalServerError {
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

// writeError answers an API request with the JSON error for err.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.public(r, asError(err))
	if e.Code == CodeUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="applink"`)
	}
	writeJSON(w, Status(e.Code), struct {
		Error *Error `json:"error"`
	}{e})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.MarshalIndent(v, "", "  ") // only applink's own types, which always marshal
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// logOAuthError adds the non-secret fields of a Jira failure to an event.
// Base strings are left out: the access-token step's holds the verifier.
func logOAuthError(ev *zerolog.Event, err error) *zerolog.Event {
	oe := asError(err)
	ev = ev.Str("code", string(oe.Code))
	if oe.Step != "" {
		ev = ev.Str("step", oe.Step)
	}
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
