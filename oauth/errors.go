package oauth

import (
	"slices"

	"github.com/applink/applink/fault"
)

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

// Surface is where a failure is shown: the words of a fix differ between
// the command line (flags and commands) and the web service (buttons and
// pages). The zero Surface is any other caller of this package.
type Surface string

// The surfaces.
const (
	SurfaceCLI Surface = "cli"
	SurfaceWeb Surface = "web"
)

// StartApproval is the name of the web service's one action that starts
// an approval (its button, and every hint and notice that points to it).
const StartApproval = "Start approval"

// Failure is one failure applink names: what its code means, the Jira
// behaviour that produces it, and what to do, phrased per surface where
// the words differ. The diagnoses (diagnose, diagnoseTransport, Preflight)
// decide the code; this table only says it in words.
type Failure struct {
	Code  Code   `json:"code"`
	Means string `json:"means"`
	Jira  string `json:"jira"` // the Jira behaviour (or network's) that produces it
	Fix   string `json:"fix"`  // what to do, in words every surface shares
	CLI   string `json:"cli,omitempty"`
	Web   string `json:"web,omitempty"`
}

// Codes that only the preflight names.
const (
	// CodeBaseURLMismatch: serverInfo's baseUrl is not the URL applink calls.
	CodeBaseURLMismatch Code = "base_url_mismatch"
	// CodeClockSkew: Jira's clock and this machine's differ by more than a
	// minute.
	CodeClockSkew Code = "clock_skew"
)

const (
	fixHTML = "a single sign-on (SSO/SAML) proxy or login page stands in front of Jira, or the URL is not " +
		"Jira's: check that the URL opens Jira, and ask the admins to let /plugins/servlet/oauth/* and " +
		"/rest/* reach Jira without an interactive login"
	fixBaseURL = "use the Base URL shown in Jira's Administration > System > General configuration, " +
		"context path included (if Jira opens at https://host/jira, the base URL ends in /jira)"
)

// failures is the one table of failures, in the order the README lists
// them: reaching Jira, what answers, the OAuth answers, the approval.
var failures = []Failure{
	{Code: CodeConnectionRefused, Means: "nothing listens at the Jira URL's host and port (preflight: unreachable)",
		Jira: "the connection is refused: Jira is stopped, or the port is wrong",
		Fix:  "check the host and port of the Jira URL, and that Jira is running"},
	{Code: CodeDNS, Means: "the Jira URL's host name does not resolve (preflight: unreachable)",
		Jira: "no DNS answer for the host: a typo, or a name only a VPN resolves",
		Fix:  "check the spelling of the Jira URL, and the VPN or DNS this machine uses"},
	{Code: CodeTimeout, Means: "Jira did not answer in time (preflight: unreachable)",
		Jira: "no answer within the timeout: a firewall drops the packets, or Jira hangs",
		Fix:  "check that the Jira URL is reachable from this machine (VPN, proxy, firewall), then try again",
		CLI:  "check that the Jira URL is reachable from this machine (VPN, proxy, firewall), or allow more time with --timeout"},
	{Code: CodeNetwork, Means: "the connection to Jira failed in another way (preflight: unreachable)",
		Jira: "the connection is reset or the network is unreachable: a proxy or firewall in the way, or a port that speaks another protocol",
		Fix:  "check the Jira URL, and the network, VPN and proxy settings (HTTPS_PROXY) of the machine applink runs on"},
	{Code: CodeCanceled, Means: "the call was canceled before Jira answered",
		Jira: "none: applink stopped waiting",
		Fix:  "nothing to fix: try again"},
	{Code: CodeTLS, Means: "the TLS connection to Jira failed; the message names the certificate problem (preflight: tls)",
		Jira: "Jira's certificate is signed by an authority this machine does not trust (a private CA), has expired, or names another host; or the port speaks plain http",
		Fix: "for a private CA, give applink the CA's certificate (PEM); renew an expired certificate (and check this machine's clock); " +
			"use a host name the certificate names; applink never skips verification",
		CLI: "for a private CA, run again with --ca-file FILE (the CA's certificates, PEM); renew an expired certificate " +
			"(and check this machine's clock); use a host name the certificate names; applink never skips verification",
		Web: "for a private CA, create the link with the CA's certificates (PEM) under CA certificates; renew an expired " +
			"certificate (and check the clock of the machine applink runs on); use a host name the certificate names; " +
			"applink never skips verification"},
	{Code: CodeBadBaseURL, Means: "the Jira URL is not one applink can sign for",
		Jira: "not an absolute http(s) URL, or Jira redirects it (http to https, another path): a redirected request loses its signature",
		Fix:  fixBaseURL + ", with https:// when Jira uses TLS"},
	{Code: CodeNotFound, Means: "Jira answered 404 Not Found (preflight: not_found)",
		Jira: "the URL has a wrong context path (https://host instead of https://host/jira) or is not Jira's",
		Fix:  "the base URL or its context path is wrong: " + fixBaseURL},
	{Code: CodeHTMLPage, Means: "an HTML page answered where Jira answers text or JSON (preflight: html_response)",
		Jira: "an SSO/SAML proxy or a login page in front of Jira, or a URL that is another site",
		Fix:  fixHTML},
	{Code: CodeBaseURLMismatch, Means: "Jira's own base URL (serverInfo's baseUrl) differs from the URL applink calls",
		Jira: "Jira names another scheme, host, port or context path: a proxy in front of Jira, or a wrong context path; Jira signs with the URL it sees, so signatures may fail",
		Fix:  "use Jira's own base URL as the Jira URL; if people reach Jira through a proxy at another URL, set Jira's base URL and its connector's proxy settings to that URL",
		CLI:  "run again with --jira-url set to Jira's own base URL; if people reach Jira through a proxy at another URL, set Jira's base URL and its connector's proxy settings to that URL",
		Web:  "create the link with Jira's own base URL as its Jira URL; if people reach Jira through a proxy at another URL, set Jira's base URL and its connector's proxy settings to that URL"},
	{Code: CodeServerError, Means: "Jira, or a proxy in front of it, answered 5xx",
		Jira: "Jira or its proxy is failing, starting or in maintenance",
		Fix:  "try again in a few minutes; if it lasts, check Jira's log (atlassian-jira.log) and the proxy's"},
	{Code: CodeUnauthorized, Means: "Jira answered 401 or 403 without an oauth_problem",
		Jira: "Jira did not take the request as OAuth (a revoked token, a deleted Application Link, a proxy that drops the Authorization header), or the account may not do this",
		Fix:  "approve again if the token was revoked; check the account's permissions; let the Authorization header through any proxy in front of Jira",
		CLI:  "run applink authorize again if the token was revoked; check the account's permissions; let the Authorization header through any proxy in front of Jira",
		Web:  "click " + StartApproval + " if the token was revoked; check the account's permissions; let the Authorization header through any proxy in front of Jira"},
	{Code: CodeUnexpectedStatus, Means: "Jira answered a status applink does not expect",
		Jira: "an odd redirect or status: usually a URL that is not Jira's base URL",
		Fix:  "check the Jira URL; if it is right, look at Jira's log for this request"},
	{Code: CodeBadResponse, Means: "Jira's answer lacks what the step needs",
		Jira: "a 2xx answer that is not Jira's (another site, or a proxy rewriting answers)",
		Fix:  "check that the Jira URL is Jira's base URL and that no proxy rewrites Jira's answers"},
	{Code: CodeCallbackNotConfirmed, Means: "the request-token answer lacks oauth_callback_confirmed=true",
		Jira: "not an OAuth 1.0a provider (OAuth Security Advisory 2009.1), or a proxy rewriting its answers",
		Fix:  "check that the URL is Jira's and that no proxy rewrites its answers"},
	{Code: CodeClockSkew, Means: "Jira's clock and this machine's differ by more than a minute (Jira accepts about 5)",
		Jira: "serverInfo's serverTime (or the Date header) is far from this machine's clock",
		Fix:  "sync the clocks of this machine and of Jira's server with NTP",
		CLI:  "sync the clocks of this machine and of Jira's server with NTP (timedatectl set-ntp true)",
		Web:  "sync the clocks of the machine applink runs on and of Jira's server with NTP"},
	{Code: CodeConsumerKeyUnknown, Means: "Jira knows no Application Link with incoming authentication for this consumer key",
		Jira: "oauth_problem=consumer_key_unknown: no incoming authentication holds the key, a typo (case matters), or the link was saved on another Jira",
		Fix:  "enter the Application Link configuration in Jira's incoming authentication, consumer key exactly as given, and save it on this Jira",
		CLI:  "enter what applink config prints in Jira's incoming authentication, consumer key exactly as given, and save it on this Jira",
		Web:  "enter the Application Link configuration of this page in Jira's incoming authentication, consumer key exactly as shown, and save it on this Jira"},
	{Code: CodeSignatureInvalid, Means: "the signature does not verify with the public key Jira holds; the message says which part differs",
		Jira: "oauth_problem=signature_invalid: the Public Key in Jira is not the public half of applink's private key, or a proxy changes the scheme, host or port Jira sees",
		Fix:  "paste the public key into the Application Link's incoming authentication again (compare fingerprints), or make Jira see the URL applink signs",
		CLI:  "paste the public key that applink config prints into the Application Link's incoming authentication again (compare fingerprints), or make Jira see the URL applink signs",
		Web:  "paste the Public Key of this page's Application Link configuration into Jira's incoming authentication again (compare fingerprints), or make Jira see the URL applink signs"},
	{Code: CodeSignatureMethodRejected, Means: "Jira accepts only RSA-SHA1 from this consumer",
		Jira: "oauth_problem=signature_method_rejected: the incoming authentication has no Public Key (a shared secret, or OAuth 2.0), or a signature method other than RSA-SHA1",
		Fix:  "give the Application Link's incoming authentication a Public Key (not a shared secret) and sign with RSA-SHA1"},
	{Code: CodeTimestampRefused, Means: "the request's timestamp is outside Jira's window (about 5 minutes)",
		Jira: "oauth_problem=timestamp_refused: the clocks differ by more than about 5 minutes",
		Fix:  "sync the clocks of this machine and of Jira's server with NTP, then try again",
		CLI:  "sync the clocks of this machine and of Jira's server with NTP (timedatectl set-ntp true), then try again",
		Web:  "sync the clocks of the machine applink runs on and of Jira's server with NTP, then try again"},
	{Code: CodeNonceUsed, Means: "Jira has seen this request's nonce before",
		Jira: "oauth_problem=nonce_used: a request was replayed, often by a retrying proxy",
		Fix:  "try again; if it repeats, stop whatever between here and Jira sends requests twice"},
	{Code: CodePermissionUnknown, Means: "the request token has not been approved yet",
		Jira: "oauth_problem=permission_unknown: the exchange came before anyone clicked Allow",
		Fix:  "have the service account click Allow on Jira's approval page first",
		CLI:  "open the authorize URL, log in as the service account, click Allow, and only then exchange the token"},
	{Code: CodePermissionDenied, Means: "access was denied or the approval expired",
		Jira: "oauth_problem=permission_denied",
		Fix:  "start the approval again and click Allow within 10 minutes, logged in to Jira as the service account",
		CLI:  "run applink authorize again and click Allow within 10 minutes, logged in to Jira as the service account",
		Web:  "click " + StartApproval + " and have the service account click Allow within 10 minutes"},
	{Code: CodeTokenExpired, Means: "the token has expired",
		Jira: "oauth_problem=token_expired: more than 10 minutes between request token and exchange, or an old access token",
		Fix:  "approve again, within 10 minutes of starting",
		CLI:  "run applink authorize again and approve within 10 minutes",
		Web:  "click " + StartApproval + " and have the service account approve within 10 minutes"},
	{Code: CodeTokenRejected, Means: "Jira does not know, or no longer accepts, the token",
		Jira: "oauth_problem=token_rejected: the token was revoked, belongs to another consumer key, or the Application Link's OAuth settings were edited, which deletes every token issued to it",
		Fix:  "approve again to get a new token",
		CLI:  "run applink authorize again to get a new token",
		Web:  "click " + StartApproval + " to get a new token"},
	{Code: CodeParameterAbsent, Means: "a required OAuth parameter is missing",
		Jira: "oauth_problem=parameter_absent: a proxy in front of Jira strips the Authorization header",
		Fix:  "let the Authorization header through the proxy unchanged, or call Jira directly"},
	{Code: CodeParameterRejected, Means: "an OAuth parameter is malformed",
		Jira: "oauth_problem=parameter_rejected: usually a callback URL Jira refuses",
		Fix:  "check the callback URL (an absolute http(s) URL, or oob) and the consumer key"},
	{Code: CodeOAuthProblem, Means: "Jira answered an oauth_problem applink does not know",
		Jira: "any other oauth_problem (the message names it)",
		Fix:  "look up this oauth_problem in Jira's documentation and in Jira's log (atlassian-jira.log) for the request"},
	{Code: CodeDenied, Means: "someone clicked Deny on Jira's approval page",
		Jira: "the callback carries oauth_verifier=denied and Jira's exchange confirms it (permission_denied)",
		Fix:  "if that was a mistake, approve again and click Allow, logged in to Jira as the service account",
		CLI:  "if that was a mistake, run applink authorize again and click Allow, logged in to Jira as the service account",
		Web:  "if that was a mistake, click " + StartApproval + " and have the service account click Allow"},
	{Code: CodeRequestExpired, Means: "the request token is older than the 10 minutes Jira keeps it",
		Jira: "none yet: applink refuses to exchange it",
		Fix:  "start the approval again and approve within 10 minutes",
		CLI:  "run applink authorize again and approve within 10 minutes",
		Web:  "click " + StartApproval + " and have the service account approve within 10 minutes"},
	{Code: CodeBasicAuthFailed, Means: "Jira refused the Basic-auth login (an integration that does not use OAuth)",
		Jira: "401 to a login with username and password: a wrong password, or on Cloud the account password instead of an API token",
		Fix: "on Jira Server/Data Center give the username and its password; on Jira Cloud the email address and an API token " +
			"(id.atlassian.com > Security > API tokens), not the account password. Repeated failures make Server/Data Center ask for a CAPTCHA"},
	{Code: CodeCaptchaRequired, Means: "Jira refuses every Basic login of the account until someone answers a CAPTCHA",
		Jira: "403 with X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE, after too many failed logins (Server/Data Center)",
		Fix:  "log in to Jira in a browser as that account and answer the CAPTCHA, then fix the password the integration uses before it locks the account again"},
}

// Explain returns what to do about a failure, in the words of surface s;
// "" when the table has no such code.
func Explain(code Code, s Surface) string {
	i := slices.IndexFunc(failures, func(f Failure) bool { return f.Code == code })
	switch {
	case i < 0:
		return ""
	case s == SurfaceCLI && failures[i].CLI != "":
		return failures[i].CLI
	case s == SurfaceWeb && failures[i].Web != "":
		return failures[i].Web
	}
	return failures[i].Fix
}

// HintFor returns e's hint in the words of surface s: the table's fix for
// its code, or e.Hint when the table has none (input errors with their own
// hint).
func HintFor(e *Error, s Surface) string {
	if e == nil {
		return ""
	}
	if h := Explain(e.Code, s); h != "" {
		return h
	}
	return e.Hint
}

// Unanswered reports whether a code means that no answer came from Jira
// (nothing listens, no DNS, TLS, a timeout...), so that a surface does
// not say "Jira refused" about a request Jira never got.
func Unanswered(code Code) bool {
	return slices.Contains([]Code{CodeConnectionRefused, CodeDNS, CodeTimeout, CodeNetwork, CodeCanceled, CodeTLS}, code)
}

// fix is the surface-neutral hint of a code, set by the diagnoses.
func fix(code Code) string { return Explain(code, "") }
