package oauth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/applink/applink/oauth"
)

func TestParseProblem(t *testing.T) {
	tests := []struct {
		name   string
		header string
		body   string
		want   oauth.Problem
		ok     bool
	}{
		{name: "body only", body: "oauth_problem=token_rejected\n",
			want: oauth.Problem{Problem: "token_rejected"}, ok: true},
		{name: "header only", header: `OAuth realm="https%3A%2F%2Fjira.example.com", oauth_problem="nonce_used"`,
			want: oauth.Problem{Problem: "nonce_used"}, ok: true},
		{name: "bare token value", header: `OAuth realm=x,oauth_problem=token_expired`,
			want: oauth.Problem{Problem: "token_expired"}, ok: true},
		{name: "body wins",
			header: `OAuth oauth_problem="timestamp_refused", oauth_acceptable_timestamps="1-2", oauth_problem_advice="from%20header"`,
			body:   "oauth_problem=timestamp_refused&oauth_acceptable_timestamps=10-20",
			want:   oauth.Problem{Problem: "timestamp_refused", AcceptableTimestamps: "10-20", Advice: "from header"}, ok: true},
		{name: "quoted escapes and percent-encoding",
			header: `OAuth oauth_problem="signature_invalid", oauth_signature_base_string="GET%26http%253A%252F%252Fh%252F%26a%253D\"b\""`,
			want:   oauth.Problem{Problem: "signature_invalid", SignatureBaseString: `GET&http%3A%2F%2Fh%2F&a%3D"b"`}, ok: true},
		{name: "other challenges around", header: `Basic realm="jira", OAuth realm="r", oauth_problem="consumer_key_unknown", Bearer`,
			want: oauth.Problem{Problem: "consumer_key_unknown"}, ok: true},
		{name: "parameters absent", body: "oauth_problem=parameter_absent&oauth_parameters_absent=oauth_token%26oauth_verifier",
			want: oauth.Problem{Problem: "parameter_absent", ParametersAbsent: "oauth_token&oauth_verifier"}, ok: true},
		{name: "parameters rejected", body: "oauth_problem=parameter_rejected&oauth_parameters_rejected=oauth_callback",
			want: oauth.Problem{Problem: "parameter_rejected", ParametersRejected: "oauth_callback"}, ok: true},
		{name: "bad escape kept raw", body: "oauth_problem=x%zz",
			want: oauth.Problem{Problem: "x%zz"}, ok: true},
		{name: "HTML body not read", body: "<html>oauth_problem=fake</html>"},
		{name: "JSON body not read", body: `{"oauth_problem=x":1}`},
		{name: "nothing", header: `Basic realm="jira"`, body: "Unauthorized"},
		{name: "empty"},
		{name: "unterminated quote", header: `OAuth oauth_problem="token_rejected`,
			want: oauth.Problem{Problem: "token_rejected"}, ok: true},
		{name: "invalid UTF-8", body: "oauth_problem=%B5",
			want: oauth.Problem{Problem: "\xb5"}, ok: true},
		{name: "junk", header: `=,"",= =" OAuth ,,oauth_problem`, body: "&&=&oauth_problem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := oauth.ParseProblem(tt.header, []byte(tt.body))
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseProblem = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseProblem(f *testing.F) {
	f.Add(`OAuth realm="x", oauth_problem="signature_invalid"`, []byte("oauth_problem=signature_invalid&oauth_signature_base_string=a%26b"))
	f.Add(`OAuth oauth_problem="\`, []byte("oauth_problem"))
	f.Add(`"=,=`, []byte("%"))
	f.Add("", []byte("oauth_problem=timestamp_refused&oauth_acceptable_timestamps=9223372036854775807-9223372036854775807"))
	f.Add("", []byte("oauth_problem=parameter_absent&oauth_parameters_absent=\x1b[2J%0A"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		p, ok := oauth.ParseProblem(header, body)
		if ok != (p.Problem != "") {
			t.Errorf("ok = %v but Problem = %q", ok, p.Problem)
		}
		// Whatever Jira sends, the diagnosis is one line of bounded size.
		resp := &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{}}
		resp.Header.Set("WWW-Authenticate", header)
		e := oauth.Diagnose("access_token", "https://jira.example.com/x", resp, body, time.Unix(1700000000, 0))
		if e == nil || e.Code == "" {
			t.Fatalf("Diagnose = %+v, want a coded error", e)
		}
		msg := e.Error()
		if strings.ContainsAny(msg, "\r\n\x1b") || !utf8.ValidString(msg) {
			t.Errorf("Error() is not one clean line: %q", msg)
		}
		if len(msg) > 1500 {
			t.Errorf("Error() is %d bytes long", len(msg))
		}
		if ok && e.Problem == "" {
			t.Errorf("problem %q parsed but Error.Problem is empty", p.Problem)
		}
	})
}
