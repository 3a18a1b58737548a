package jiratest

// Codes of Error, for the Go API of the simulated Jira and for Browser.
const (
	CodeBadInput       = "bad_input"       // an empty consumer key, user name...
	CodeUnknownToken   = "token_unknown"   // no such request token (or it was deleted)
	CodeTokenExpired   = "token_expired"   // the request token is older than RequestTokenTTL
	CodeTokenUsed      = "token_used"      // the request token was already approved or denied
	CodeUnknownUser    = "user_unknown"    // no user of that name
	CodeLoginFailed    = "login_failed"    // the login form refused the user name or password
	CodeUnexpectedPage = "unexpected_page" // Browser met a page it does not know (SSO, error, 404...)
	CodeHTTP           = "http_error"      // Browser could not get a page at all
)

// Error is a failure of the simulated Jira's Go API or of a Browser. Code
// is one of the Code constants; Message is one line for people and never
// holds a password, a token secret or a verifier.
type Error struct {
	Code    string
	Message string
	// Status is the HTTP status of the page that caused a Browser error,
	// 0 otherwise.
	Status int
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string { return "jiratest: " + e.Message }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
