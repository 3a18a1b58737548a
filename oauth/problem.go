package oauth

import (
	"bytes"
	"net/url"
	"strings"
)

// ParseProblem reads an oauth_problem from a response body (form-encoded)
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
func ParseProblem(wwwAuthenticate string, body []byte) (p Problem, ok bool) {
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
