package jiratest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SignatureMethod is the one signature method Jira accepts.
const SignatureMethod = "RSA-SHA1"

// check says what a request must carry besides the common parameters.
type check int

const (
	checkRequestToken check = iota // request-token: oauth_callback, no token
	checkAccessToken               // access-token: a request token and oauth_verifier
	checkREST                      // a REST call: an access token
)

// checkParams are the parameters each check requires besides the common ones.
var checkParams = [...][]string{checkRequestToken: {"oauth_callback"}, checkAccessToken: {"oauth_token", "oauth_verifier"},
	checkREST: {"oauth_token"}}

// verifyLocked checks an OAuth message the way Jira's provider does, in
// this order: parameters present, single and well formed; oauth_version;
// the consumer; the signature method; the callback (request-token) or the
// token (it must exist, be of the right kind and belong to the consumer);
// the timestamp; the signature; the nonce, recorded only once the
// signature holds. Token state (expiry, approval, verifier) is the
// endpoint's to check. j.mu must be held.
func (j *Jira) verifyLocked(m *message, c check, now time.Time) (*consumer, *token, *problem) {
	if m.bad != "" {
		return nil, nil, newProblem(ProblemParameterRejected, param{"oauth_parameters_rejected", m.bad})
	}
	if len(m.repeated) > 0 {
		return nil, nil, newProblem(ProblemParameterRejected, param{"oauth_parameters_rejected", strings.Join(m.repeated, "&")})
	}
	required := append([]string{"oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce"},
		checkParams[c]...)
	if absent := slices.DeleteFunc(required, func(name string) bool { return m.get(name) != "" }); len(absent) > 0 {
		return nil, nil, newProblem(ProblemParameterAbsent, param{"oauth_parameters_absent", strings.Join(absent, "&")})
	}
	if v, ok := m.oauth["oauth_version"]; ok && v != "1.0" {
		return nil, nil, newProblem(ProblemParameterRejected, param{"oauth_parameters_rejected", "oauth_version"},
			param{"oauth_acceptable_versions", "1.0-1.0"})
	}
	cons := j.consumers[m.get("oauth_consumer_key")]
	if cons == nil {
		return nil, nil, newProblem(ProblemConsumerKeyUnknown)
	}
	if m.get("oauth_signature_method") != SignatureMethod || j.faults.RejectRSA {
		return nil, nil, newProblem(ProblemSignatureMethodRejected)
	}
	var tok *token
	switch c {
	case checkRequestToken:
		if !validCallback(m.get("oauth_callback")) {
			return nil, nil, newProblem(ProblemParameterRejected, param{"oauth_parameters_rejected", "oauth_callback"})
		}
	case checkAccessToken, checkREST:
		want := requestToken
		if c == checkREST {
			want = accessToken
		}
		tok = j.tokens[m.get("oauth_token")]
		if tok == nil || tok.kind != want || tok.consumerKey != cons.key {
			return nil, nil, newProblem(ProblemTokenRejected)
		}
	}
	ts, ok := parseTimestamp(m.get("oauth_timestamp"))
	if !ok {
		return nil, nil, newProblem(ProblemParameterRejected, param{"oauth_parameters_rejected", "oauth_timestamp"})
	}
	if d := now.Unix() - ts; d > int64(j.window/time.Second) || -d > int64(j.window/time.Second) {
		return nil, nil, newProblem(ProblemTimestampRefused,
			param{"oauth_acceptable_timestamps", fmt.Sprintf("%d-%d", now.Add(-j.window).Unix(), now.Add(j.window).Unix())})
	}
	base := m.baseString()
	if !verifyRSASHA1(cons.pub, base, m.get("oauth_signature")) {
		return nil, nil, newProblem(ProblemSignatureInvalid,
			param{"oauth_signature", m.get("oauth_signature")},
			param{"oauth_signature_base_string", base},
			param{"oauth_signature_method", SignatureMethod})
	}
	nk := nonceKey{cons.key, m.get("oauth_nonce")}
	if _, used := j.nonces[nk]; used {
		return nil, nil, newProblem(ProblemNonceUsed)
	}
	j.nonces[nk] = ts
	return cons, tok, nil
}

// parseTimestamp reads oauth_timestamp: decimal digits only.
func parseTimestamp(s string) (int64, bool) {
	if s == "" || len(s) > 18 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// validCallback reports whether oauth_callback is "oob" or an absolute
// http(s) URL.
func validCallback(cb string) bool {
	u, err := url.Parse(cb)
	return cb == "oob" || err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// verifyRSASHA1 checks an RSA-SHA1 signature (RFC 5849 3.4.3): base64 of
// an RSASSA-PKCS1-v1_5 signature over the SHA-1 of the base string.
func verifyRSASHA1(pub *rsa.PublicKey, base, signature string) bool {
	sig, err := base64.StdEncoding.DecodeString(signature)
	sum := sha1.Sum([]byte(base))
	return pub != nil && err == nil && rsa.VerifyPKCS1v15(pub, crypto.SHA1, sum[:], sig) == nil
}

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

// problem is an oauth_problem answer as parameters: oauth_problem first,
// then the extra fields that go with it (oauth_signature_base_string,
// oauth_acceptable_timestamps, oauth_parameters_absent...), in order.
type problem struct{ fields []param }

func newProblem(name string, extra ...param) *problem {
	return &problem{append([]param{{"oauth_problem", name}}, extra...)}
}

// writeProblem answers p as Jira does: 401, a text/plain form-encoded body
// and a WWW-Authenticate header with the realm (the base URL) and the same
// fields, percent-encoded as OAuth encodes header parameters.
func (j *Jira) writeProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	hdr := []string{`OAuth realm="` + percentEncode(j.siteURL(r)) + `"`}
	for _, f := range p.fields {
		hdr = append(hdr, percentEncode(f.name)+`="`+percentEncode(f.value)+`"`)
	}
	w.Header().Set("WWW-Authenticate", strings.Join(hdr, ", "))
	writeText(w, http.StatusUnauthorized, encodeForm(p.fields))
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
