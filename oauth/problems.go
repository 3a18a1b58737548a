package oauth

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// diagnoseProblem fills e from an oauth_problem answer, with the causes of
// JIRA-OAUTH.md.
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
	e.Code = Code(p.Problem)
	switch e.Code {
	case CodeConsumerKeyUnknown:
		key := sentParam(resp, "oauth_consumer_key")
		if key == "" {
			e.Message = refused("it knows no such consumer key")
			key = "no Application Link has incoming authentication with this consumer key"
		} else {
			e.Message = refused(fmt.Sprintf("it knows no consumer key %q", short(key, 80)))
			key = fmt.Sprintf("no Application Link has incoming authentication with consumer key %q", short(key, 80))
		}
		e.Hint = fmt.Sprintf("%s: "+
			"check it for typos (case matters) and that the link's incoming authentication is "+
			"saved on this Jira (applink config prints what to enter)", key)
	case CodeSignatureInvalid:
		e.Message = refused("the signature does not verify")
		e.Hint = signatureHint("", e.SignatureBaseString)
	case CodeSignatureMethodRejected:
		e.Message = refused("it accepts only RSA-SHA1 signatures")
		e.Hint = "sign with RSA-SHA1 and give the Application Link's incoming authentication " +
			"a Public Key (not a shared secret)"
	case CodeTimestampRefused:
		e.Message = refused("the request's timestamp is outside Jira's window (about 5 minutes)")
		if skew, ok := clockSkew(p.AcceptableTimestamps, resp.Header.Get("Date"), now); ok {
			e.ClockSkew = skew
			e.Hint = describeSkew(skew) + "; sync both clocks with NTP (timedatectl set-ntp true, " +
				"or the time service of the machine), then try again"
		} else {
			e.Hint = "the clocks of this machine and Jira's server differ by more than about 5 minutes: " +
				"sync both with NTP, then try again"
		}
	case CodeNonceUsed:
		e.Message = refused("it has seen this request's nonce before")
		e.Hint = "a request was replayed: try again; if it repeats, something between here and " +
			"Jira (a retrying proxy) sends requests twice"
	case CodePermissionUnknown:
		e.Message = refused("the request token has not been approved yet")
		e.Hint = "open the authorize URL, log in as the service account, click Allow, and only " +
			"then exchange the token"
	case CodePermissionDenied:
		e.Message = refused("access was denied or the approval expired")
		e.Hint = "start the authorization again and click Allow, logged in to Jira as the " +
			"service account, within 10 minutes"
	case CodeTokenExpired:
		e.Message = refused("the token has expired")
		if e.Step == "access_token" || e.Step == "request_token" {
			e.Hint = "more than 10 minutes passed between asking for the request token and " +
				"exchanging it: start the authorization again and approve within 10 minutes"
		} else {
			e.Hint = "the access token has expired: authorize again to get a new one"
		}
	case CodeTokenRejected:
		e.Message = refused("it does not know or no longer accepts the token")
		e.Hint = "the token was revoked, belongs to another consumer key, or the Application " +
			"Link's OAuth settings were edited, which deletes every token issued to it: " +
			"authorize again"
	case CodeParameterAbsent:
		e.Message = refused("a required OAuth parameter is missing" + paramList(p.ParametersAbsent))
		e.Hint = "a proxy in front of Jira may strip the Authorization header: let it through " +
			"unchanged, or call Jira directly"
	case CodeParameterRejected:
		e.Message = refused("an OAuth parameter is malformed" + paramList(p.ParametersRejected))
		e.Hint = "check the callback URL (an absolute http(s) URL, or oob) and the consumer key"
	default:
		e.Code = CodeOAuthProblem
		e.Message = fmt.Sprintf("Jira refused %s with oauth_problem=%q", what, e.Problem)
		e.Hint = "look up this oauth_problem in Jira's documentation and Jira's log " +
			"(atlassian-jira.log) for the request"
	}
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

// signatureHint explains a signature_invalid. With both base strings it
// says where they differ; otherwise it names both usual causes.
func signatureHint(ours, jiras string) string {
	if d := compareBaseStrings(ours, jiras); d != "" {
		return d
	}
	return "either the Public Key in the Application Link's incoming authentication is not the " +
		"public half of this private key (compare its fingerprint with the one applink config " +
		"prints, and paste the public key again), or Jira sees another URL than the one signed " +
		"(a proxy changing scheme, host or port): compare the base string Jira sent with the " +
		"one applink signed"
}

// compareBaseStrings describes how two signature base strings differ, or
// returns "" when either does not parse.
func compareBaseStrings(ours, jiras string) string {
	om, ou, op, ok1 := splitBaseString(ours)
	jm, ju, jp, ok2 := splitBaseString(jiras)
	if !ok1 || !ok2 {
		return ""
	}
	switch {
	case om == jm && ou == ju && op == jp:
		return "Jira computed the same base string, so the signature failed on the key: the " +
			"Public Key in the Application Link's incoming authentication is not the public half " +
			"of this private key; compare fingerprints (applink config) and paste the public key again"
	case ou != ju:
		return fmt.Sprintf("Jira saw the URL %s but the request was signed for %s: a proxy "+
			"changes the scheme, host or port; make Jira see the URL people use (its base URL "+
			"and the proxy settings of its connector) or use the URL Jira sees",
			short(ju, 120), short(ou, 120))
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
	seen := map[string]bool{}
	var names []string
	for kv := range strings.SplitSeq(a+"&"+b, "&") {
		name, _, _ := strings.Cut(kv, "=")
		if count[kv] != 0 && name != "" && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}

// redactVerifier hides the value of oauth_verifier in a base string (raw,
// once or twice percent-encoded): the verifier is a secret until used.
func redactVerifier(s string) string {
	for _, f := range []struct{ key, sep string }{
		{"oauth_verifier%3D", "%26"},
		{"oauth_verifier%253D", "%2526"},
		{"oauth_verifier=", "&"},
	} {
		out := ""
		rest := s
		for {
			i := strings.Index(rest, f.key)
			if i < 0 {
				break
			}
			out += rest[:i+len(f.key)] + "[redacted]"
			rest = rest[i+len(f.key):]
			if j := strings.Index(rest, f.sep); j >= 0 {
				rest = rest[j:]
			} else {
				rest = ""
			}
		}
		s = out + rest
	}
	return s
}
