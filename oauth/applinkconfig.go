package oauth

import (
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
)

// CodeBadConfig is the code of NewAppLinkConfig's failures: its arguments
// are wrong.
const CodeBadConfig Code = "config_invalid" // a consumer key, name, callback or key the Application Link cannot take

// hintNewKey is the hint for a public key that cannot be used at all.
const hintNewKey = "make a new RSA key pair with `applink keys --out DIR` and put its public.pem " +
	"into the Application Link's Public Key field"

// AppLinkConfig is what a Jira admin types into the Application Link's
// incoming authentication form, plus the OAuth URLs that the newer Data
// Center form asks for. Its JSON form is part of the CLI contract.
type AppLinkConfig struct {
	JiraURL              string `json:"jira_url"`
	ConsumerKey          string `json:"consumer_key"`
	ConsumerName         string `json:"consumer_name"`
	Description          string `json:"description"`
	PublicKey            string `json:"public_key"` // PEM, "BEGIN PUBLIC KEY"
	PublicKeyFingerprint string `json:"public_key_fingerprint"`
	CallbackURL          string `json:"callback_url"`
	RequestTokenURL      string `json:"request_token_url"`
	AccessTokenURL       string `json:"access_token_url"`
	AuthorizeURL         string `json:"authorize_url"`
}

// ConfigInput are the arguments of NewAppLinkConfig.
type ConfigInput struct {
	JiraURL      string // Jira base URL, context path included; normalised
	ConsumerKey  string // required
	ConsumerName string // defaults to "applink: " + ConsumerKey
	CallbackURL  string // optional; empty means the consumer sends it with each request
	PublicKey    *rsa.PublicKey
}

// Limits on the text fields of the form.
const (
	MaxConsumerKeyLen  = 255
	maxConsumerNameLen = 255
)

// NewAppLinkConfig builds the configuration for one consumer. It fails with
// CodeBadConfig when the Jira URL is not an absolute http(s) URL, the
// consumer key fails CheckConsumerKey, or the callback URL is not absolute
// http(s).
//
// The Jira URL is normalised as ParseBaseURL does (trailing slash and
// pasted page paths removed, context path kept). The consumer name and the
// callback URL are trimmed of surrounding white space. A public key under
// keys.MinBits fails with keys.CodeTooShort.
func NewAppLinkConfig(in ConfigInput) (*AppLinkConfig, error) {
	base, err := ParseBaseURL(in.JiraURL)
	if err != nil {
		return nil, badConfig(err)
	}
	if err := CheckConsumerKey(in.ConsumerKey); err != nil {
		return nil, badConfig(err)
	}
	name := strings.TrimSpace(in.ConsumerName)
	if name == "" {
		name = "applink: " + in.ConsumerKey
	}
	if err := checkLine("consumer name", name, maxConsumerNameLen); err != nil {
		return nil, err
	}
	callback, err := checkCallback(in.CallbackURL)
	if err != nil {
		return nil, err
	}
	if in.PublicKey == nil {
		return nil, fault.New(CodeBadConfig, "no public key given", "give the key folder made by `applink keys`")
	}
	pubPEM, err := keys.MarshalPublicKey(in.PublicKey)
	if err != nil {
		return nil, fault.Wrap(err, CodeBadConfig, "the public key cannot be encoded", hintNewKey)
	}
	if err := keys.CheckSize(in.PublicKey); err != nil {
		return nil, err
	}
	fp := keys.Fingerprint(in.PublicKey)
	ep := EndpointsFor(base)
	return &AppLinkConfig{
		JiraURL:              ep.Base,
		ConsumerKey:          in.ConsumerKey,
		ConsumerName:         name,
		Description:          "OAuth 1.0a RSA key " + fp,
		PublicKey:            string(pubPEM),
		PublicKeyFingerprint: fp,
		CallbackURL:          callback,
		RequestTokenURL:      ep.RequestToken,
		AccessTokenURL:       ep.AccessToken,
		AuthorizeURL:         ep.Authorize,
	}, nil
}

// badConfig re-codes a failure of ParseBaseURL or CheckConsumerKey (always
// a *fault.Error) as CodeBadConfig, keeping its message and hint.
func badConfig(err error) error {
	e, _ := fault.As(err)
	return fault.Wrap(err, CodeBadConfig, e.Message, e.Hint)
}

// checkLine refuses text that would not fit one line of the form.
func checkLine(what, s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return fault.New(CodeBadConfig, "the "+what+" is not valid UTF-8 text", "type it again as plain text")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fault.New(CodeBadConfig, "the "+what+" holds a control character or line break", "give it on one line")
	case utf8.RuneCountInString(s) > max:
		return fault.New(CodeBadConfig, "the "+what+" is longer than "+strconv.Itoa(max)+" characters", "shorten it")
	}
	return nil
}

// checkCallback returns the trimmed callback URL, "" when none is given.
func checkCallback(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", nil
	}
	const hint = "give an absolute http(s) URL such as https://integration.example.com/oauth/callback, or leave it empty"
	u, err := url.Parse(s)
	if err != nil {
		return "", fault.New(CodeBadConfig, "the callback URL does not parse as a URL", hint)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Hostname() == "" {
		return "", fault.New(CodeBadConfig, "the callback URL must be an absolute http or https URL", hint)
	}
	if u.User != nil {
		return "", fault.New(CodeBadConfig, "the callback URL must not hold a user name or password", hint)
	}
	return s, nil
}

// WriteJSON writes the configuration as one indented JSON object followed
// by a line break: the form programs read (`applink config --json`).
func (c *AppLinkConfig) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}
