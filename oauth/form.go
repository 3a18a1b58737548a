package oauth

import (
	"cmp"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/applink/applink/fault"
)

// short is fault.OneLine(s) cut to at most n runes, with an ellipsis when cut.
func short(s string, n int) string {
	s = fault.OneLine(s)
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
func parsePairs(s string) ([]pair, error) { return splitPairs(s, false) }

// lenientPairs is parsePairs that keeps what it can: a segment with a bad
// %-escape keeps its raw text. It is for reading answers, never for
// signing.
func lenientPairs(s string) []pair {
	out, _ := splitPairs(s, true)
	return out
}

// splitPairs is parsePairs, or lenientPairs when lenient.
func splitPairs(s string, lenient bool) ([]pair, error) {
	var out []pair
	for seg := range strings.SplitSeq(s, "&") {
		if seg == "" {
			continue
		}
		name, value, _ := strings.Cut(seg, "=")
		n, err1 := url.QueryUnescape(name)
		v, err2 := url.QueryUnescape(value)
		if err := cmp.Or(err1, err2); err != nil && !lenient {
			return nil, err
		}
		// A failed unescape gives "": the raw text stays.
		out = append(out, pair{cmp.Or(n, name), cmp.Or(v, value)})
	}
	return out, nil
}
