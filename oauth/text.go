package oauth

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/applink/applink/fault"
)

// oneLine is fault.OneLine.
func oneLine(s string) string { return fault.OneLine(s) }

// short is oneLine(s) cut to at most n runes, with an ellipsis when cut.
func short(s string, n int) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return strings.TrimSpace(string(runes[:n-1])) + "…"
}

// withoutQuery returns raw without its query and fragment, for
// Error.URL and messages.
func withoutQuery(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	return raw
}

// hostOf returns the host (with port) of an absolute URL, or "".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// pair is one decoded name=value parameter.
type pair struct{ name, value string }

// parsePairs decodes an application/x-www-form-urlencoded string the way
// a Java servlet does: pairs separated by '&', the name ending at the first
// '=', '+' meaning space, a missing '=' meaning an empty value, repeated
// names kept in order and empty segments skipped. Unlike url.ParseQuery it
// keeps ';' as an ordinary character. It fails on a bad %-escape.
func parsePairs(s string) ([]pair, error) {
	var out []pair
	for seg := range strings.SplitSeq(s, "&") {
		if seg == "" {
			continue
		}
		name, value, _ := strings.Cut(seg, "=")
		n, err := url.QueryUnescape(name)
		if err != nil {
			return nil, err
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return nil, err
		}
		out = append(out, pair{n, v})
	}
	return out, nil
}

// lenientPairs is parsePairs that keeps what it can: a segment with a bad
// %-escape keeps its raw text. It is for reading answers, never for
// signing.
func lenientPairs(s string) []pair {
	var out []pair
	for seg := range strings.SplitSeq(s, "&") {
		if seg == "" {
			continue
		}
		name, value, _ := strings.Cut(seg, "=")
		out = append(out, pair{unescapeLenient(name), unescapeLenient(value)})
	}
	return out
}

func unescapeLenient(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}
