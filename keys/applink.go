package keys

import (
	"crypto/rsa"
	"io"
)

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

// NewAppLinkConfig builds the configuration for one consumer. It fails with
// CodeBadConfigArgs when the Jira URL is not an absolute http(s) URL, the
// consumer key is empty or holds white space, or the callback URL is not
// absolute http(s).
func NewAppLinkConfig(in ConfigInput) (*AppLinkConfig, error) {
	panic("not implemented")
}

// WriteText writes the configuration for people: each field of the form with
// its value, the public key to paste, and the steps to find the form in each
// Jira generation (older Server/DC UI, Data Center 8.22+/9.x through
// "Atlassian product", Cloud).
func (c *AppLinkConfig) WriteText(w io.Writer) error {
	panic("not implemented")
}

// UISteps returns the steps to reach the incoming-authentication form, by UI
// generation, in the order they should be shown: "server" (older Server/DC),
// "datacenter" (8.22+/9.x), "cloud".
func UISteps() []UIGuide {
	panic("not implemented")
}

// UIGuide is how to find the Application Link form in one Jira UI generation.
type UIGuide struct {
	ID    string   `json:"id"`    // "server", "datacenter", "cloud"
	Title string   `json:"title"` // e.g. "Jira Data Center 8.22 and later (9.x, 10.x)"
	Steps []string `json:"steps"`
}
