package oauth

import "github.com/applink/applink/fault"

// Code names a failure so that programs can act on it (fault.Code). The
// codes that match Jira's oauth_problem values are spelled as Jira spells
// them.
type Code = fault.Code

// Codes for Jira's oauth_problem answers.
const (
	CodeConsumerKeyUnknown      Code = "consumer_key_unknown"
	CodeSignatureInvalid        Code = "signature_invalid"
	CodeSignatureMethodRejected Code = "signature_method_rejected"
	CodeTimestampRefused        Code = "timestamp_refused"
	CodeNonceUsed               Code = "nonce_used"
	CodePermissionUnknown       Code = "permission_unknown"
	CodePermissionDenied        Code = "permission_denied"
	CodeTokenExpired            Code = "token_expired"
	CodeTokenRejected           Code = "token_rejected"
	CodeParameterAbsent         Code = "parameter_absent"
	CodeParameterRejected       Code = "parameter_rejected"
	CodeOAuthProblem            Code = "oauth_problem" // an oauth_problem this package does not know; Error.Problem holds it
)

// Codes for failures that are not OAuth answers.
const (
	CodeDenied               Code = "denied"                 // the user clicked Deny (oauth_verifier=denied)
	CodeCallbackNotConfirmed Code = "callback_not_confirmed" // request-token answer without oauth_callback_confirmed=true
	CodeBadResponse          Code = "bad_response"           // a 200 whose body lacks what the step needs
	CodeHTMLPage             Code = "html_page"              // an HTML page where Jira answers text: SSO/SAML proxy, login page, wrong base URL
	CodeNotFound             Code = "jira_not_found"         // 404: wrong base URL or context path
	CodeUnauthorized         Code = "jira_unauthorized"      // 401/403 without an oauth_problem
	CodeServerError          Code = "server_error"           // 5xx
	CodeUnexpectedStatus     Code = "unexpected_status"      // any other status
	CodeTLS                  Code = "tls_error"              // certificate not trusted, wrong host name, TLS to a plain port
	CodeTimeout              Code = "timeout"                // no answer within the timeout
	CodeConnectionRefused    Code = "connection_refused"     // nothing listens at that host and port
	CodeDNS                  Code = "dns_error"              // the host name does not resolve
	CodeNetwork              Code = "network_error"          // any other transport failure
	CodeCanceled             Code = "canceled"               // the caller's context was canceled
	CodeBadBaseURL           Code = "bad_base_url"           // the Jira URL is not an absolute http(s) URL
	CodeBadInput             Code = "bad_input"              // an argument to this package is wrong (empty consumer key, nil key...)
	CodeRequestExpired       Code = "request_expired"        // the request token is older than 10 minutes: start again
	CodeBadCallback          Code = "bad_callback"           // a callback query without exactly one short oauth_token and oauth_verifier
)

// Error is every failure this package returns: applink's one error type,
// with what Jira said in its Step, Status, URL, Problem, base-string,
// timestamp and clock-skew fields. Message and Hint never hold a secret
// (token secret, verifier, private key) or a Jira response body.
type Error = fault.Error

// Problem is an oauth_problem answer as Jira sends it, in the body
// (form-encoded) and in the WWW-Authenticate header.
type Problem struct {
	Problem              string // e.g. "signature_invalid"
	Advice               string // oauth_problem_advice, when sent
	SignatureBaseString  string // oauth_signature_base_string (signature_invalid)
	AcceptableTimestamps string // oauth_acceptable_timestamps "FROM-TO" (timestamp_refused)
	ParametersAbsent     string // oauth_parameters_absent (parameter_absent)
	ParametersRejected   string // oauth_parameters_rejected (parameter_rejected)
}
