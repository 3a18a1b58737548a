package jiratest

import (
	"net/http"
	"strings"
)

// Problems: the oauth_problem values of the OAuth Problem Reporting
// extension that Jira answers with.
const (
	ProblemConsumerKeyUnknown      = "consumer_key_unknown"
	ProblemSignatureInvalid        = "signature_invalid"
	ProblemSignatureMethodRejected = "signature_method_rejected"
	ProblemTimestampRefused        = "timestamp_refused"
	ProblemNonceUsed               = "nonce_used"
	ProblemPermissionUnknown       = "permission_unknown"
	ProblemPermissionDenied        = "permission_denied"
	ProblemTokenExpired            = "token_expired"
	ProblemTokenRejected           = "token_rejected"
	ProblemParameterAbsent         = "parameter_absent"
	ProblemParameterRejected       = "parameter_rejected"
)

// problem is an oauth_problem answer: the problem and the extra fields
// that go with it (oauth_signature_base_string, oauth_acceptable_timestamps,
// oauth_parameters_absent...), in order.
type problem struct {
	name  string
	extra []param
}

func newProblem(name string, extra ...param) *problem {
	return &problem{name: name, extra: extra}
}

// fields is the problem as parameters: oauth_problem first.
func (p *problem) fields() []param {
	return append([]param{{"oauth_problem", p.name}}, p.extra...)
}

// writeProblem answers p as Jira does: 401, a text/plain form-encoded body
// and a WWW-Authenticate header with the realm (the base URL) and the same
// fields, percent-encoded as OAuth encodes header parameters.
func (j *Jira) writeProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	fields := p.fields()
	var hdr strings.Builder
	hdr.WriteString(`OAuth realm="`)
	hdr.WriteString(percentEncode(j.siteURL(r)))
	hdr.WriteByte('"')
	for _, f := range fields {
		hdr.WriteString(", ")
		hdr.WriteString(percentEncode(f.name))
		hdr.WriteString(`="`)
		hdr.WriteString(percentEncode(f.value))
		hdr.WriteByte('"')
	}
	h := w.Header()
	h.Set("WWW-Authenticate", hdr.String())
	writeText(w, http.StatusUnauthorized, encodeForm(fields))
}

// writeText writes a text/plain answer that must not be cached (token
// answers hold secrets).
func writeText(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// encodeForm encodes params as OAuth form-encodes answers: percent-encoded
// names and values (RFC 5849 3.6), joined with "=" and "&".
func encodeForm(params []param) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(percentEncode(p.name))
		b.WriteByte('=')
		b.WriteString(percentEncode(p.value))
	}
	return b.String()
}
