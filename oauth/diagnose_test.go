package oauth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
)

// TestDiagnoseRecorded diagnoses the recorded Jira answers of
// testdata/oauth/responses.
func TestDiagnoseRecorded(t *testing.T) {
	const jira = "https://jira.example.com/plugins/servlet/oauth/request-token"
	now := time.Unix(1700000000, 0)
	tests := []struct {
		file, step, url string
		code            oauth.Code
		status          int
		problem         string
		skew            int64
		msg, hint       []string // substrings of Message and Hint
	}{
		{file: "consumer_key_unknown.http", code: oauth.CodeConsumerKeyUnknown, status: 401, problem: "consumer_key_unknown",
			msg: []string{"consumer key"}, hint: []string{"incoming authentication", "consumer key exactly"}},
		{file: "signature_invalid.http", step: "access_token", code: oauth.CodeSignatureInvalid, status: 401, problem: "signature_invalid",
			hint: []string{"public key", "fingerprints", "URL applink signs"}},
		{file: "signature_method_rejected.http", code: oauth.CodeSignatureMethodRejected, status: 401, problem: "signature_method_rejected",
			hint: []string{"RSA-SHA1"}},
		{file: "timestamp_refused.http", code: oauth.CodeTimestampRefused, status: 401, problem: "timestamp_refused", skew: 900,
			msg: []string{"Jira's clock is 900 s ahead of this machine's", "about 15 min"}, hint: []string{"NTP"}},
		{file: "timestamp_refused_date_only.http", code: oauth.CodeTimestampRefused, status: 401, problem: "timestamp_refused", skew: -600,
			msg: []string{"Jira's clock is 600 s behind this machine's"}, hint: []string{"NTP"}},
		{file: "nonce_used.http", code: oauth.CodeNonceUsed, status: 401, problem: "nonce_used", hint: []string{"twice"}},
		{file: "permission_unknown.http", step: "access_token", code: oauth.CodePermissionUnknown, status: 401,
			problem: "permission_unknown", hint: []string{"Allow"}},
		{file: "permission_denied.http", step: "access_token", code: oauth.CodePermissionDenied, status: 401,
			problem: "permission_denied", hint: []string{"Allow", "service account"}},
		{file: "token_expired.http", step: "access_token", code: oauth.CodeTokenExpired, status: 401, problem: "token_expired",
			msg: []string{"more than 10 minutes"}, hint: []string{"10 minutes"}},
		{file: "token_expired.http", step: "myself", code: oauth.CodeTokenExpired, status: 401, problem: "token_expired",
			msg: []string{"the token has expired"}, hint: []string{"approve again"}},
		{file: "token_rejected.http", step: "myself", code: oauth.CodeTokenRejected, status: 401, problem: "token_rejected",
			hint: []string{"approve again"}},
		{file: "parameter_absent.http", code: oauth.CodeParameterAbsent, status: 400, problem: "parameter_absent",
			msg: []string{"oauth_consumer_key, oauth_signature"}, hint: []string{"Authorization header"}},
		{file: "parameter_rejected.http", code: oauth.CodeParameterRejected, status: 400, problem: "parameter_rejected",
			msg: []string{"oauth_callback"}, hint: []string{"callback URL"}},
		{file: "header_only.http", step: "myself", code: oauth.CodeTokenRejected, status: 401, problem: "token_rejected"},
		{file: "unknown_problem.http", code: oauth.CodeOAuthProblem, status: 401, problem: "additional_authorization_required",
			msg: []string{"additional_authorization_required"}},
		{file: "sso_page.http", code: oauth.CodeHTMLPage, status: 200,
			msg: []string{`"Example Corp – Sign In"`}, hint: []string{"SSO", "/plugins/servlet/oauth/*"}},
		{file: "sso_page_no_content_type.http", code: oauth.CodeHTMLPage, status: 401, msg: []string{`"Access Denied"`}},
		{file: "ok_html.http", code: oauth.CodeHTMLPage, status: 200, msg: []string{"Welcome to nginx!"}},
		{file: "not_found.http", url: "https://jira.example.com/plugins/servlet/oauth/request-token?x=1", code: oauth.CodeNotFound, status: 404,
			msg: []string{"https://jira.example.com/plugins/servlet/oauth/request-token"}, hint: []string{"context path", "/jira"}},
		{file: "bad_gateway.http", code: oauth.CodeServerError, status: 502, msg: []string{"502 Bad Gateway"}},
		{file: "service_unavailable.http", code: oauth.CodeServerError, status: 503},
		{file: "unauthorized_plain.http", step: "myself", code: oauth.CodeUnauthorized, status: 401,
			hint: []string{"revoked", "Authorization header"}},
		{file: "forbidden.http", step: "mypermissions", code: oauth.CodeUnauthorized, status: 403, hint: []string{"permissions"}},
		{file: "redirect_https.http", url: "http://jira.example.com/jira/plugins/servlet/oauth/request-token",
			code: oauth.CodeBadBaseURL, status: 301, msg: []string{"use https://jira.example.com/jira as the Jira URL"}, hint: []string{"Base URL"}},
		{file: "redirect_sso.http", code: oauth.CodeHTMLPage, status: 302, msg: []string{"idp.example-sso.com"}, hint: []string{"SSO"}},
		{file: "redirect_context_path.http", code: oauth.CodeBadBaseURL, status: 302,
			msg: []string{"/jira/plugins/servlet/oauth/request-token"}, hint: []string{"context path"}},
		{file: "plain_http_to_tls.http", url: "http://jira.example.com:8443/plugins/servlet/oauth/request-token",
			code: oauth.CodeBadBaseURL, status: 400, msg: []string{"use https://"}, hint: []string{"https://"}},
		{file: "teapot.http", code: oauth.CodeUnexpectedStatus, status: 418, msg: []string{"418"}},
	}
	for _, tt := range tests {
		step := tt.step
		if step == "" {
			step = "request_token"
		}
		t.Run(tt.file+"/"+step, func(t *testing.T) {
			called := tt.url
			if called == "" {
				called = jira
			}
			resp, body := readResponse(t, tt.file, called)
			e := oauth.Diagnose(step, called, resp, body, now)
			if e.Code != tt.code || e.Status != tt.status || e.Problem != tt.problem || e.Step != step {
				t.Errorf("got code %s status %d problem %q step %q; want %s %d %q %q",
					e.Code, e.Status, e.Problem, e.Step, tt.code, tt.status, tt.problem, step)
			}
			if e.ClockSkew != tt.skew {
				t.Errorf("ClockSkew = %d, want %d", e.ClockSkew, tt.skew)
			}
			if e.URL != withoutQueryForTest(called) {
				t.Errorf("URL = %q, want %q", e.URL, withoutQueryForTest(called))
			}
			if e.Message == "" || e.Hint == "" {
				t.Errorf("Message %q / Hint %q must both be set", e.Message, e.Hint)
			}
			for _, s := range tt.msg {
				if !strings.Contains(e.Message, s) {
					t.Errorf("Message %q lacks %q", e.Message, s)
				}
			}
			for _, s := range tt.hint {
				if !strings.Contains(e.Hint, s) {
					t.Errorf("Hint %q lacks %q", e.Hint, s)
				}
			}
			line := e.Error()
			if strings.ContainsAny(line, "\r\n") {
				t.Errorf("Error() spans lines: %q", line)
			}
			// Bodies are never copied: only short safe fields.
			for _, leak := range []string{"should_not_be_read", "errorMessages", "short and stout", "SECRETV", "Jira is starting up"} {
				if strings.Contains(line, leak) {
					t.Errorf("Error() copies the body (%q): %s", leak, line)
				}
			}
		})
	}
}

func withoutQueryForTest(s string) string {
	before, _, _ := strings.Cut(s, "?")
	return before
}

func TestDiagnoseSignatureInvalidKeepsRedactedBaseString(t *testing.T) {
	resp, body := readResponse(t, "signature_invalid.http", "https://jira.example.com/plugins/servlet/oauth/access-token")
	e := oauth.Diagnose("access_token", "https://jira.example.com/plugins/servlet/oauth/access-token", resp, body, time.Now())
	want := "POST&https%3A%2F%2Fjira.example.com%2Fplugins%2Fservlet%2Foauth%2Faccess-token&oauth_consumer_key%3Dapplink" +
		"%26oauth_nonce%3Dabc%26oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1700000000%26oauth_token%3Dreqtok" +
		"%26oauth_verifier%3D[redacted]%26oauth_version%3D1.0"
	if e.SignatureBaseString != want {
		t.Errorf("SignatureBaseString\n got %s\nwant %s", e.SignatureBaseString, want)
	}
}

func TestDiagnoseConsumerKeyNamed(t *testing.T) {
	resp, body := readResponse(t, "consumer_key_unknown.http", "https://jira.example.com/x")
	resp.Request.Header.Set("Authorization", `OAuth oauth_consumer_key="my%20integration", oauth_signature="x"`)
	e := oauth.Diagnose("request_token", "https://jira.example.com/x", resp, body, time.Now())
	if !strings.Contains(e.Message, `"my integration"`) {
		t.Errorf("the consumer key is not named: %s", e.Error())
	}
}

func TestDiagnoseLongTitleCut(t *testing.T) {
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/html"}}}
	body := []byte("<html><head><TITLE lang=en>" + strings.Repeat("Very long title ", 30) + "</TITLE></head></html>")
	e := oauth.Diagnose("request_token", "https://jira.example.com/x", resp, body, time.Now())
	if e.Code != oauth.CodeHTMLPage {
		t.Fatalf("code %s", e.Code)
	}
	start := strings.Index(e.Message, `"`)
	end := strings.LastIndex(e.Message, `"`)
	if start < 0 || end <= start {
		t.Fatalf("no quoted title in %q", e.Message)
	}
	if n := len([]rune(e.Message[start+1 : end])); n > 80 {
		t.Errorf("title is %d runes long, want at most 80: %q", n, e.Message)
	}
}

func TestDiagnoseHTMLFromAnotherHost(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://login.example-sso.com/auth", nil)
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Request: req}
	e := oauth.Diagnose("myself", "https://jira.example.com/rest/api/2/myself", resp, []byte("<!DOCTYPE html><html></html>"), time.Now())
	if e.Code != oauth.CodeHTMLPage || !strings.Contains(e.Message, "from login.example-sso.com") {
		t.Errorf("got %s: %s", e.Code, e.Message)
	}
}

func TestDiagnoseNilResponse(t *testing.T) {
	e := oauth.Diagnose("myself", "https://jira.example.com/x", nil, nil, time.Now())
	if e == nil || e.Code != oauth.CodeBadResponse {
		t.Errorf("Diagnose(nil) = %+v, want CodeBadResponse", e)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    *oauth.Error
		want string
	}{
		{&oauth.Error{Code: oauth.CodeTimeout, Message: "no answer", Hint: "wait"}, "no answer (wait)"},
		{&oauth.Error{Code: oauth.CodeTimeout, Message: "two\nlines\x1b[2J", Hint: ""}, "two lines [2J"},
		{&oauth.Error{Code: oauth.CodeDenied}, "denied"},
		{nil, "<nil>"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
