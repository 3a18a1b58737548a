// Package fault is applink's one error model: every package (keys, oauth,
// the simulated Jira, the store and the web service) returns failures as an
// *Error with a Code that programs act on, a one-line Message for people
// and a Hint that says what to do. Callers read it with errors.As (or
// CodeOf), never by type-asserting a package's own error type and never by
// reading the message.
//
// A failure at a remote call (Jira) also says where (Step, Status, URL)
// and what Jira's OAuth answer held (Problem, base strings, the acceptable
// timestamps, the clock skew); those fields are zero for other failures.
// Package oauth's Error is this type.
//
// Message and Hint never hold a secret (a private key, a token secret, a
// verifier, a password) or a response body from another service. Err is
// the cause, kept for errors.Is/As and for logs, and is never shown.
package fault

import (
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Code names a failure so that programs can act on it: snake_case, stable,
// part of the CLI's output and of the JSON API.
type Code string

// Error is a failure with a code. Its JSON form is the API's
// {"code", "message", "hint"}, with "step" when a remote call failed and
// "field" and "errors" for refused input; the other fields are never
// encoded.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint"`

	// Where a remote call failed: the step ("request_token",
	// "access_token", "myself", "mypermissions", "serverinfo", "authorize",
	// "request"), the HTTP status (0 when there was no answer) and the URL
	// called, without its query.
	Step   string `json:"step,omitempty"`
	Status int    `json:"-"`
	URL    string `json:"-"`

	// What Jira's OAuth answer held: the oauth_problem as sent; its own
	// signature base string (signature_invalid) next to ours; the
	// acceptable timestamps "FROM-TO" (timestamp_refused); and the seconds
	// Jira's clock is ahead of ours (negative: behind), when known.
	Problem              string `json:"-"`
	SignatureBaseString  string `json:"-"`
	ExpectedBaseString   string `json:"-"`
	AcceptableTimestamps string `json:"-"`
	ClockSkew            int64  `json:"-"`

	// Field names the input field a refused input is about ("jira_url"),
	// and Errors lists every refused field of one input, this one first.
	Field  string   `json:"field,omitempty"`
	Errors []*Error `json:"errors,omitempty"`

	// Err is the cause, if any.
	Err error `json:"-"`
}

// New returns an *Error without a cause.
func New(code Code, message, hint string) *Error {
	return &Error{Code: code, Message: message, Hint: hint}
}

// Wrap returns an *Error whose cause is err.
func Wrap(err error, code Code, message, hint string) *Error {
	return &Error{Code: code, Message: message, Hint: hint, Err: err}
}

// Error returns the message and, in parentheses, the hint, on one line.
func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	msg := OneLine(e.Message)
	if msg == "" {
		msg = string(e.Code)
	}
	if hint := OneLine(e.Hint); hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CodeOf returns the code of the first *Error in err's chain, or "" when
// there is none.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return ""
}

// Is reports whether err's chain holds an *Error with one of codes.
func Is(err error, codes ...Code) bool {
	c := CodeOf(err)
	return c != "" && slices.Contains(codes, c)
}

// OneLine folds s onto one line: control characters (newlines, escapes)
// become spaces, runs of white space collapse, format characters are
// dropped and invalid UTF-8 becomes '?', so that text from anywhere can go
// to a terminal or a log.
func OneLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError {
			r = '?'
		}
		if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
