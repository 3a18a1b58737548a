package oauth

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

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

// parseProblem reads an oauth_problem from a response body (form-encoded)
// and from a WWW-Authenticate header value; the body wins where both have a
// field. ok is false when neither holds an oauth_problem. It never panics,
// whatever the input.
//
// The header is read as RFC 7235 auth-params (`OAuth realm="...",
// oauth_problem="..."`): quoted or bare values, backslash escapes inside
// quotes, values percent-decoded as Jira percent-encodes them. Only
// parameters whose names start with oauth_ are kept, so other challenges in
// the same header (Basic, Bearer) do no harm. A body that is an HTML or
// JSON document is not read.
func parseProblem(wwwAuthenticate string, body []byte) (p Problem, ok bool) {
	// The body first: set keeps the first value, so the header only fills
	// what the body lacks.
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] != '<' && trimmed[0] != '{' && trimmed[0] != '[' {
		for _, kv := range lenientPairs(string(trimmed)) {
			p.set(strings.TrimSpace(kv.name), kv.value)
		}
	}
	for _, kv := range authParams(wwwAuthenticate) {
		p.set(kv.name, kv.value)
	}
	return p, p.Problem != ""
}

// set stores one parameter, keeping the first value of each name.
func (p *Problem) set(name, value string) {
	var field *string
	switch strings.ToLower(name) {
	case "oauth_problem":
		field = &p.Problem
		value = strings.TrimSpace(value)
	case "oauth_problem_advice":
		field = &p.Advice
	case "oauth_signature_base_string":
		field = &p.SignatureBaseString
	case "oauth_acceptable_timestamps":
		field = &p.AcceptableTimestamps
		value = strings.TrimSpace(value)
	case "oauth_parameters_absent":
		field = &p.ParametersAbsent
	case "oauth_parameters_rejected":
		field = &p.ParametersRejected
	default:
		return
	}
	if *field == "" {
		*field = value
	}
}

// authParams returns the name=value parameters of a WWW-Authenticate (or
// Authorization) header value whose names start with "oauth_" (any case),
// values unquoted and percent-decoded. Scheme names and malformed pieces
// are skipped.
func authParams(h string) []pair {
	var out []pair
	i := 0
	for i < len(h) {
		// Skip separators.
		for i < len(h) && (h[i] == ' ' || h[i] == '\t' || h[i] == ',') {
			i++
		}
		start := i
		for i < len(h) && !strings.ContainsRune(" \t,=\"", rune(h[i])) {
			i++
		}
		name := h[start:i]
		j := i
		for j < len(h) && (h[j] == ' ' || h[j] == '\t') {
			j++
		}
		if j >= len(h) || h[j] != '=' {
			if i == start { // a stray quote or '=': step over it
				i++
			}
			continue // a scheme name, or junk
		}
		i = j + 1
		for i < len(h) && (h[i] == ' ' || h[i] == '\t') {
			i++
		}
		var value string
		if i < len(h) && h[i] == '"' {
			var b strings.Builder
			i++
			for i < len(h) && h[i] != '"' {
				if h[i] == '\\' && i+1 < len(h) {
					i++
				}
				b.WriteByte(h[i])
				i++
			}
			i++ // closing quote (or past the end)
			value = b.String()
		} else {
			vs := i
			for i < len(h) && h[i] != ',' && h[i] != ' ' && h[i] != '\t' {
				i++
			}
			value = h[vs:i]
		}
		if name != "" && strings.HasPrefix(strings.ToLower(name), "oauth_") {
			if u, err := url.PathUnescape(value); err == nil {
				value = u
			}
			out = append(out, pair{name, value})
		}
	}
	return out
}

// diagnoseProblem fills e from an oauth_problem answer: the code, and a
// message with what Jira's answer tells of the cause.
func diagnoseProblem(e *Error, p Problem, resp *http.Response, now time.Time) {
	e.Problem = short(p.Problem, 100)
	if e.Problem == "" {
		e.Problem = "(unreadable)"
	}
	e.SignatureBaseString = redactVerifier(p.SignatureBaseString)
	e.AcceptableTimestamps = short(p.AcceptableTimestamps, 100)
	what := stepLabel(e.Step)
	refused := func(why string) string {
		return fmt.Sprintf("Jira refused %s with oauth_problem=%s: %s", what, e.Problem, why)
	}
	// A known problem is its own code; the default case says otherwise.
	// The table of failures (Explain) says what to do; only the finding
	// goes into the message.
	e.Code = Code(p.Problem)
	switch e.Code {
	case CodeConsumerKeyUnknown:
		if key := sentParam(resp, "oauth_consumer_key"); key == "" {
			e.Message = refused("it knows no such consumer key")
		} else {
			e.Message = refused(fmt.Sprintf("no Application Link has incoming authentication with consumer key %q", short(key, 80)))
		}
	case CodeSignatureInvalid:
		e.Message = refused("the signature does not verify")
	case CodeSignatureMethodRejected:
		e.Message = refused("it accepts only RSA-SHA1 signatures, with a Public Key in the Application Link")
	case CodeTimestampRefused:
		e.Message = refused("the request's timestamp is outside Jira's window (about 5 minutes)")
		if skew, ok := clockSkew(p.AcceptableTimestamps, resp.Header.Get("Date"), now); ok {
			e.ClockSkew = skew
			e.Message += "; " + describeSkew(skew)
		}
	case CodeNonceUsed:
		e.Message = refused("it has seen this request's nonce before")
	case CodePermissionUnknown:
		e.Message = refused("the request token has not been approved yet")
	case CodePermissionDenied:
		e.Message = refused("access was denied or the approval expired")
	case CodeTokenExpired:
		e.Message = refused("the token has expired")
		if e.Step == "access_token" || e.Step == "request_token" {
			e.Message += " (more than 10 minutes passed between the request token and its exchange)"
		}
	case CodeTokenRejected:
		e.Message = refused("it does not know or no longer accepts the token")
	case CodeParameterAbsent:
		e.Message = refused("a required OAuth parameter is missing" + paramList(p.ParametersAbsent))
	case CodeParameterRejected:
		e.Message = refused("an OAuth parameter is malformed" + paramList(p.ParametersRejected))
	default:
		e.Code = CodeOAuthProblem
		e.Message = fmt.Sprintf("Jira refused %s with oauth_problem=%q", what, e.Problem)
	}
	e.Hint = fix(e.Code)
}

// paramList formats a few parameter names Jira listed: " (a, b)".
func paramList(s string) string {
	var names []string
	for n := range strings.SplitSeq(s, "&") {
		if n = short(n, 40); n != "" && len(names) < 5 {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + ")"
}

// sentParam returns an oauth_* parameter of the Authorization header of
// the request that got resp, or "".
func sentParam(resp *http.Response, name string) string {
	if resp == nil || resp.Request == nil {
		return ""
	}
	for _, kv := range authParams(resp.Request.Header.Get("Authorization")) {
		if kv.name == name {
			return kv.value
		}
	}
	return ""
}

// clockSkew returns how many seconds Jira's clock is ahead of now: from
// the middle of oauth_acceptable_timestamps "FROM-TO" when sent, else from
// the Date header.
func clockSkew(acceptable, date string, now time.Time) (int64, bool) {
	if from, to, ok := strings.Cut(strings.TrimSpace(acceptable), "-"); ok {
		f, err1 := strconv.ParseInt(strings.TrimSpace(from), 10, 64)
		t, err2 := strconv.ParseInt(strings.TrimSpace(to), 10, 64)
		if err1 == nil && err2 == nil && 0 <= f && f <= t {
			return f + (t-f)/2 - now.Unix(), true
		}
	}
	if d, err := http.ParseTime(date); err == nil && !now.IsZero() {
		return d.Unix() - now.Unix(), true
	}
	return 0, false
}

// describeSkew says which clock is ahead, by how much.
func describeSkew(skew int64) string {
	dir := "ahead of"
	n := skew
	if skew < 0 {
		dir, n = "behind", -skew
	}
	s := fmt.Sprintf("Jira's clock is %d s %s this machine's", n, dir)
	switch {
	case n >= 1<<40:
	case n >= 2*3600:
		s += fmt.Sprintf(" (about %d h)", (n+1800)/3600)
	case n >= 120:
		s += fmt.Sprintf(" (about %d min)", (n+30)/60)
	}
	return s
}

// signatureFinding says how two signature base strings differ, or ""
// when either does not parse: the part of a signature_invalid's message
// that tells a wrong key from a proxy.
func signatureFinding(ours, jiras string) string {
	om, ou, op, ok1 := splitBaseString(ours)
	jm, ju, jp, ok2 := splitBaseString(jiras)
	if !ok1 || !ok2 {
		return ""
	}
	switch {
	case om == jm && ou == ju && op == jp:
		return "Jira computed the same base string, so the signature failed on the key: the Public Key " +
			"in the Application Link's incoming authentication is not the public half of applink's private key"
	case ou != ju:
		return fmt.Sprintf("Jira saw the URL %s but the request was signed for %s: a proxy changes the "+
			"scheme, host or port", short(ju, 120), short(ou, 120))
	case om != jm:
		return fmt.Sprintf("Jira saw the method %s but the request was signed as %s: something "+
			"between here and Jira changes the request", short(jm, 10), short(om, 10))
	default:
		return "Jira saw other parameters than the ones signed" + paramList(strings.Join(diffNames(op, jp), "&")) +
			": a proxy or the HTTP client changes the query or the form body"
	}
}

// splitBaseString splits "METHOD&enc(URI)&enc(params)" and decodes the
// URI and parameter parts once.
func splitBaseString(s string) (method, uri, params string, ok bool) {
	parts := strings.SplitN(s, "&", 3)
	if len(parts) != 3 {
		return "", "", "", false
	}
	u, err1 := url.PathUnescape(parts[1])
	p, err2 := url.PathUnescape(parts[2])
	if err1 != nil || err2 != nil {
		return "", "", "", false
	}
	return parts[0], u, p, true
}

// diffNames returns the (still encoded) names of parameters that appear
// in one normalized parameter string and not the other, or with another
// value, each name once.
func diffNames(a, b string) []string {
	count := map[string]int{}
	for kv := range strings.SplitSeq(a, "&") {
		count[kv]++
	}
	for kv := range strings.SplitSeq(b, "&") {
		count[kv]--
	}
	var names []string
	for kv := range strings.SplitSeq(a+"&"+b, "&") {
		name, _, _ := strings.Cut(kv, "=")
		if count[kv] != 0 && name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// verifierValues find the value of oauth_verifier in a base string: raw,
// once or twice percent-encoded (each up to its separator or the end).
var verifierValues = []*regexp.Regexp{
	regexp.MustCompile(`(oauth_verifier%3D)(?s:.*?)(%26|$)`),
	regexp.MustCompile(`(oauth_verifier%253D)(?s:.*?)(%2526|$)`),
	regexp.MustCompile(`(oauth_verifier=)(?s:.*?)(&|$)`),
}

// redactVerifier hides the value of oauth_verifier in a base string: the
// verifier is a secret until used.
func redactVerifier(s string) string {
	for _, re := range verifierValues {
		s = re.ReplaceAllString(s, "${1}[redacted]${2}")
	}
	return s
}
