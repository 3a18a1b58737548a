package jiratest

import (
	"cmp"
	"errors"
	"net/url"
	"slices"
	"strings"
)

// param is one request parameter, decoded. Repeated names are kept as
// separate params, as RFC 5849 3.4.1.3 requires.
type param struct {
	name, value string
}

// errNotOAuth means an Authorization header that is not an OAuth one
// (Basic, Bearer...).
var errNotOAuth = errors.New("not an OAuth Authorization header")

// parseAuthorizationHeader parses the value of an "OAuth" Authorization
// header (RFC 5849 3.5.1): the scheme name (any case), then a
// comma-separated list of name="value" pairs whose names and values are
// percent-encoded. The realm parameter is returned like the others; the
// caller leaves it out of the signature. Unquoted values are tolerated, as
// Jira tolerates them; a pair without "=" or with a bad percent escape is
// an error. It returns errNotOAuth for another scheme.
func parseAuthorizationHeader(h string) ([]param, error) {
	const lws = " \t\r\n"
	h = strings.TrimLeft(h, lws)
	if len(h) < 5 || !strings.EqualFold(h[:5], "oauth") || len(h) > 5 && !strings.ContainsRune(lws, rune(h[5])) {
		return nil, errNotOAuth
	}
	var params []param
	for rest := h[5:]; ; {
		if rest = strings.TrimLeft(rest, lws+","); rest == "" {
			return params, nil
		}
		rawName, v, ok := strings.Cut(rest, "=")
		if rawName = strings.TrimRight(rawName, lws); !ok || rawName == "" || strings.ContainsAny(rawName, lws+",\"") {
			return nil, errors.New("authorization header: a parameter without a name and '='")
		}
		var rawValue string
		if v, ok = strings.CutPrefix(strings.TrimLeft(v, lws), `"`); ok {
			if rawValue, rest, ok = strings.Cut(v, `"`); !ok {
				return nil, errors.New("authorization header: an unterminated quoted value")
			}
			if rest = strings.TrimLeft(rest, lws); rest != "" && rest[0] != ',' {
				return nil, errors.New("authorization header: parameters must be separated by commas")
			}
		} else {
			rawValue, rest, _ = strings.Cut(v, ",")
			rawValue = strings.TrimRight(rawValue, lws)
		}
		name, err1 := url.PathUnescape(rawName)
		value, err2 := url.PathUnescape(rawValue)
		if err1 != nil || err2 != nil {
			return nil, errors.New("authorization header: a bad percent escape in " + safeName(rawName))
		}
		params = append(params, param{name, value})
	}
}

// parseForm decodes an application/x-www-form-urlencoded string (a query or
// a form body) into params, keeping order and repeated names ("+" is a
// space, as RFC 5849 3.4.1.3.1 says). Empty pairs are skipped; a pair
// without "=" has an empty value. A bad percent escape is an error that
// stops it: bad is then the name of that parameter.
func parseForm(s string) (params []param, bad string) {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(rawName)
		value, err2 := url.QueryUnescape(rawValue)
		if err1 != nil || err2 != nil {
			return nil, safeName(rawName)
		}
		params = append(params, param{name, value})
	}
	return params, ""
}

// safeName shortens a raw parameter name for an error message; names are
// never secret, values may be.
func safeName(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.ToValidUTF8(s, "?")
}

// percentEncode encodes s as RFC 5849 3.6 says: every byte except the
// unreserved characters ALPHA, DIGIT, "-", ".", "_" and "~" becomes %XX with
// upper-case hex digits. url.QueryEscape does the same but for the space,
// which it writes "+" (a "+" of s it writes "%2B").
func percentEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// normalizeParameters builds the normalized parameter string of RFC 5849
// 3.4.1.3.2: every parameter except oauth_signature, names and values
// percent-encoded, sorted by name and then by value, joined with "=" and
// "&". Repeated names all take part.
func normalizeParameters(params []param) string {
	ps := slices.DeleteFunc(slices.Clone(params), func(p param) bool { return p.name == "oauth_signature" })
	slices.SortFunc(ps, func(a, b param) int {
		return cmp.Or(strings.Compare(percentEncode(a.name), percentEncode(b.name)),
			strings.Compare(percentEncode(a.value), percentEncode(b.value)))
	})
	return encodeForm(ps)
}

// encodeForm encodes params as OAuth form-encodes answers: percent-encoded
// names and values (RFC 5849 3.6), joined with "=" and "&".
func encodeForm(params []param) string {
	pairs := make([]string, len(params))
	for i, p := range params {
		pairs[i] = percentEncode(p.name) + "=" + percentEncode(p.value)
	}
	return strings.Join(pairs, "&")
}
