package oauth

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/dghubble/oauth1"
)

// signatureMethod is the only signature method Jira accepts.
const signatureMethod = "RSA-SHA1"

// Sign adds an OAuth Authorization header to req, signed with RSA-SHA1 for
// token (nil for an unsigned-token request). It includes every query
// parameter, repeated keys too, and the body's parameters when the body is
// application/x-www-form-urlencoded (with or without a charset). extra
// holds further oauth_* parameters (oauth_callback, oauth_verifier). It
// returns the base string it signed, which is not a secret, except that it
// holds oauth_verifier when extra does.
//
// A form body is read to be signed and put back, req.GetBody included, so
// that req can still be sent (and re-sent on a redirect or retry).
func (c *Consumer) Sign(req *http.Request, token *Token, extra map[string]string) (baseString string, err error) {
	if c == nil || c.PrivateKey == nil || c.ConsumerKey == "" {
		return "", &Error{Code: CodeBadInput, Step: "request",
			Message: "the consumer has no consumer key or private key",
			Hint:    "build the consumer with NewConsumer"}
	}
	if req == nil || req.URL == nil {
		return "", &Error{Code: CodeBadInput, Step: "request", Message: "no request to sign"}
	}
	params := map[string]string{
		"oauth_consumer_key":     c.ConsumerKey,
		"oauth_nonce":            c.nonce(),
		"oauth_signature_method": signatureMethod,
		"oauth_timestamp":        strconv.FormatInt(c.now().Unix(), 10),
		"oauth_version":          "1.0",
	}
	if token != nil && token.Token != "" {
		params["oauth_token"] = token.Token
	}
	for k, v := range extra {
		if !strings.HasPrefix(k, "oauth_") || k == "oauth_signature" {
			return "", &Error{Code: CodeBadInput, Step: "request",
				Message: fmt.Sprintf("cannot sign with the extra parameter %q: only oauth_* parameters other than oauth_signature", short(k, 40))}
		}
		params[k] = v
	}
	base, err := SignatureBaseString(req, params)
	if err != nil {
		return "", err
	}
	sig, err := (&oauth1.RSASigner{PrivateKey: c.PrivateKey}).Sign("", base)
	if err != nil {
		return "", &Error{Code: CodeBadInput, Step: "request",
			Message: "the private key cannot sign", Hint: "check the private key file (applink keys makes a new one)",
			Err: err}
	}
	params["oauth_signature"] = sig
	req.Header.Set("Authorization", authorizationHeader(params))
	return base, nil
}

// SignatureBaseString returns the RFC 5849 section 3.4.1 signature base
// string of req with the protocol parameters oauthParams: the upper-case
// method; the base URI (scheme and host lower-cased, default port dropped,
// path as sent, no query); and the normalized parameters: every query
// parameter (repeated names kept), the parameters of an
// application/x-www-form-urlencoded body, and oauthParams except
// oauth_signature and realm, each name and value percent-encoded, sorted by
// name then value. The host is req.Host when set (what the server sees),
// else req.URL.Host.
//
// A form body is read and put back (Body and GetBody). A query or form
// body with a bad %-escape fails with CodeBadInput.
func SignatureBaseString(req *http.Request, oauthParams map[string]string) (string, error) {
	bad := func(msg string, err error) error {
		return &Error{Code: CodeBadInput, Step: "request", Message: msg, Err: err}
	}
	if req == nil || req.URL == nil {
		return "", bad("no request to sign", nil)
	}
	query, err := parsePairs(req.URL.RawQuery)
	if err != nil {
		return "", bad("the request's query has a bad %-escape", err)
	}
	params := query
	form, err := formBody(req)
	if err != nil {
		return "", bad("the request's form body cannot be read", err)
	}
	params = append(params, form...)
	for k, v := range oauthParams {
		if k != "oauth_signature" && k != "realm" {
			params = append(params, pair{k, v})
		}
	}
	for i, p := range params {
		params[i] = pair{oauth1.PercentEncode(p.name), oauth1.PercentEncode(p.value)}
	}
	slices.SortFunc(params, func(a, b pair) int {
		return cmp.Or(strings.Compare(a.name, b.name), strings.Compare(a.value, b.value))
	})
	norm := make([]string, len(params))
	for i, p := range params {
		norm[i] = p.name + "=" + p.value
	}
	return strings.ToUpper(req.Method) + "&" + oauth1.PercentEncode(baseURI(req)) + "&" +
		oauth1.PercentEncode(strings.Join(norm, "&")), nil
}

// baseURI is RFC 5849 section 3.4.1.2's base string URI.
func baseURI(req *http.Request) string {
	scheme := strings.ToLower(req.URL.Scheme)
	if scheme == "" {
		scheme = "http"
		if req.TLS != nil {
			scheme = "https"
		}
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	host = dropDefaultPort(scheme, strings.ToLower(host))
	path := req.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

// formBody returns the parameters of req's body when its media type is
// application/x-www-form-urlencoded, and puts the body back.
func formBody(req *http.Request) ([]pair, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, nil
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	req.ContentLength = int64(len(b))
	return parsePairs(string(b))
}

// authorizationHeader formats the OAuth Authorization header (RFC 5849
// section 3.5.1), names sorted, values percent-encoded.
func authorizationHeader(params map[string]string) string {
	var fields []string
	for _, k := range slices.Sorted(maps.Keys(params)) {
		fields = append(fields, oauth1.PercentEncode(k)+`="`+oauth1.PercentEncode(params[k])+`"`)
	}
	return "OAuth " + strings.Join(fields, ", ")
}

// randomNoncer makes 32 random bytes, hex-encoded.
type randomNoncer struct{}

func (randomNoncer) Nonce() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}
