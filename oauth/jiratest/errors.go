package jiratest

import "github.com/applink/applink/fault"

// Codes of the *fault.Error failures of the simulated Jira's Go API and of
// Browser. Their Message is one line for people and never holds a
// password, a token secret or a verifier; Status is the HTTP status of the
// page that caused a Browser failure, 0 otherwise.
const (
	CodeBadInput       fault.Code = "bad_input"       // an empty consumer key, user name...
	CodeUnknownToken   fault.Code = "token_unknown"   // no such request token (or it was deleted)
	CodeTokenExpired   fault.Code = "token_expired"   // the request token is older than RequestTokenTTL
	CodeTokenUsed      fault.Code = "token_used"      // the request token was already approved or denied
	CodeUnknownUser    fault.Code = "user_unknown"    // no user of that name
	CodeLoginFailed    fault.Code = "login_failed"    // the login form refused the user name or password
	CodeUnexpectedPage fault.Code = "unexpected_page" // Browser met a page it does not know (SSO, error, 404...)
	CodeHTTP           fault.Code = "http_error"      // Browser could not get a page at all
)
