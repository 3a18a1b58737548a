package oauth

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/oauth")

// fixture reads a file of testdata/keys.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// publicKey parses the public key of testdata/keys/name.
func publicKey(t *testing.T, name string) *rsa.PublicKey {
	t.Helper()
	pub, err := keys.ParsePublicKey(fixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// goldenInput is the fixed input of the golden files.
func goldenInput(t *testing.T) ConfigInput {
	return ConfigInput{
		JiraURL:     "https://Jira.Example.com/jira/secure/Dashboard.jspa",
		ConsumerKey: "jira-align",
		PublicKey:   publicKey(t, "rsa2048-public.pem"),
	}
}

// golden compares got with testdata/oauth/name; go test ./oauth -update
// rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "oauth", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./oauth -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test ./oauth -update to accept it); got:\n%s", name, got)
	}
}

func TestNewAppLinkConfig(t *testing.T) {
	c, err := NewAppLinkConfig(goldenInput(t))
	if err != nil {
		t.Fatal(err)
	}
	want := AppLinkConfig{
		JiraURL:              "https://jira.example.com/jira",
		ConsumerKey:          "jira-align",
		ConsumerName:         "applink: jira-align",
		Description:          "OAuth 1.0a RSA key SHA256:PNdborPhzfMGyIDufZ/mM/2+OT+ySEXioboxV3VtnCQ",
		PublicKey:            string(fixture(t, "rsa2048-public.pem")),
		PublicKeyFingerprint: "SHA256:PNdborPhzfMGyIDufZ/mM/2+OT+ySEXioboxV3VtnCQ",
		CallbackURL:          "",
		RequestTokenURL:      "https://jira.example.com/jira/plugins/servlet/oauth/request-token",
		AccessTokenURL:       "https://jira.example.com/jira/plugins/servlet/oauth/access-token",
		AuthorizeURL:         "https://jira.example.com/jira/plugins/servlet/oauth/authorize",
	}
	if *c != want {
		t.Fatalf("got  %+v\nwant %+v", *c, want)
	}
	pub, err := keys.ParsePublicKey([]byte(c.PublicKey))
	if err != nil {
		t.Fatalf("the public key of the configuration does not parse as Jira parses it: %v", err)
	}
	if !pub.Equal(goldenInput(t).PublicKey) {
		t.Fatal("the configuration holds another public key")
	}
}

func TestNewAppLinkConfigOptionalFields(t *testing.T) {
	in := goldenInput(t)
	in.JiraURL = "http://localhost:8080/"
	in.ConsumerName = "  Jira Align (production)  "
	in.CallbackURL = " https://align.example.com/oauth/callback?site=1&x=2 "
	c, err := NewAppLinkConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	if c.JiraURL != "http://localhost:8080" {
		t.Errorf("JiraURL = %q", c.JiraURL)
	}
	if c.ConsumerName != "Jira Align (production)" {
		t.Errorf("ConsumerName = %q", c.ConsumerName)
	}
	if c.CallbackURL != "https://align.example.com/oauth/callback?site=1&x=2" {
		t.Errorf("CallbackURL = %q", c.CallbackURL)
	}
	var text bytes.Buffer
	if err := c.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "   Consumer Callback URL      https://align.example.com/oauth/callback?site=1&x=2\n") {
		t.Errorf("text does not show the callback URL:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := c.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"callback_url": "https://align.example.com/oauth/callback?site=1&x=2"`) {
		t.Errorf("JSON escapes the callback URL:\n%s", js.String())
	}
}

func TestNewAppLinkConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*ConfigInput)
		code   fault.Code
		msgHas string
	}{
		{"empty Jira URL", func(in *ConfigInput) { in.JiraURL = "" }, CodeBadConfig, "empty"},
		{"Jira URL without scheme", func(in *ConfigInput) { in.JiraURL = "jira.example.com" }, CodeBadConfig, "https://"},
		{"Jira URL ftp", func(in *ConfigInput) { in.JiraURL = "ftp://jira.example.com" }, CodeBadConfig, "http"},
		{"Jira URL with password", func(in *ConfigInput) { in.JiraURL = "https://admin:pw@jira.example.com" }, CodeBadConfig, "password"},
		{"empty consumer key", func(in *ConfigInput) { in.ConsumerKey = "" }, CodeBadConfig, "empty"},
		{"consumer key with a space", func(in *ConfigInput) { in.ConsumerKey = "jira align" }, CodeBadConfig, "white space"},
		{"consumer key with a trailing space", func(in *ConfigInput) { in.ConsumerKey = "jira-align " }, CodeBadConfig, "white space"},
		{"consumer key with a tab", func(in *ConfigInput) { in.ConsumerKey = "jira\talign" }, CodeBadConfig, "white space"},
		{"consumer key with a control character", func(in *ConfigInput) { in.ConsumerKey = "jira\x00align" }, CodeBadConfig, "control"},
		{"consumer key too long", func(in *ConfigInput) { in.ConsumerKey = strings.Repeat("k", 256) }, CodeBadConfig, "longer"},
		{"consumer name with a line break", func(in *ConfigInput) { in.ConsumerName = "a\nb" }, CodeBadConfig, "line break"},
		{"consumer name not UTF-8", func(in *ConfigInput) { in.ConsumerName = "\xff" }, CodeBadConfig, "UTF-8"},
		{"relative callback", func(in *ConfigInput) { in.CallbackURL = "/oauth/callback" }, CodeBadConfig, "absolute"},
		{"oob callback", func(in *ConfigInput) { in.CallbackURL = "oob" }, CodeBadConfig, "absolute"},
		{"ftp callback", func(in *ConfigInput) { in.CallbackURL = "ftp://align.example.com/cb" }, CodeBadConfig, "absolute"},
		{"callback without host", func(in *ConfigInput) { in.CallbackURL = "https:///cb" }, CodeBadConfig, "absolute"},
		{"callback that does not parse", func(in *ConfigInput) { in.CallbackURL = "https://a b/%zz" }, CodeBadConfig, "parse"},
		{"no public key", func(in *ConfigInput) { in.PublicKey = nil }, CodeBadConfig, "public key"},
		{"empty public key", func(in *ConfigInput) { in.PublicKey = &rsa.PublicKey{} }, CodeBadConfig, "public key"},
		{"short public key", func(in *ConfigInput) { in.PublicKey = publicKey(t, "rsa1024-public.pem") }, keys.CodeTooShort, "1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goldenInput(t)
			tt.edit(&in)
			c, err := NewAppLinkConfig(in)
			if c != nil {
				t.Error("got a configuration along with the error")
			}
			e, ok := fault.As(err)
			if !ok || e.Code != tt.code {
				t.Fatalf("error %v, want code %s", err, tt.code)
			}
			if !strings.Contains(e.Message, tt.msgHas) {
				t.Errorf("message %q does not hold %q", e.Message, tt.msgHas)
			}
			if e.Hint == "" {
				t.Error("no hint")
			}
		})
	}
}

func TestNewAppLinkConfigKeepsTheOAuthError(t *testing.T) {
	in := goldenInput(t)
	in.JiraURL = "jira"
	_, err := NewAppLinkConfig(in)
	oe, ok := fault.As(errors.Unwrap(err))
	if !ok || oe.Code != CodeBadBaseURL {
		t.Fatalf("error %#v does not wrap the oauth.Error", err)
	}
	if e, _ := fault.As(err); e.Message != oe.Message || e.Hint != oe.Hint {
		t.Errorf("message/hint %q/%q, want oauth's %q/%q", e.Message, e.Hint, oe.Message, oe.Hint)
	}
}

func TestWriteTextGolden(t *testing.T) {
	c, err := NewAppLinkConfig(goldenInput(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "applink-config.golden.txt", buf.Bytes())

	text := buf.String()
	for i, line := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("line %d has %d columns, more than 100: %q", i+1, n, line)
		}
	}
	fields := []struct{ name, value string }{
		{"Jira", "https://jira.example.com/jira"},
		{"Public key fingerprint", "SHA256:PNdborPhzfMGyIDufZ/mM/2+OT+ySEXioboxV3VtnCQ"},
		{"Consumer Key", "jira-align"},
		{"Consumer Name", "applink: jira-align"},
		{"Description", "OAuth 1.0a RSA key SHA256:PNdborPhzfMGyIDufZ/mM/2+OT+ySEXioboxV3VtnCQ"},
		{"Public Key", "paste this block whole, from BEGIN to END:"},
		{"Consumer Callback URL", "may stay empty: the integration sends its callback with each request"},
		{"Allow 2-Legged OAuth", "leave off (it lets the integration act without anyone's approval)"},
		{"Execute as", "leave empty (used only by 2-legged OAuth)"},
		{"Allow user impersonation", "leave off (it lets the integration act as any user)"},
		{"Service Provider Name", "applink: jira-align"},
		{"Consumer key", "jira-align"},
		{"Shared secret", `any text, such as "unused" (it is not used)`},
		{"Request Token URL", "https://jira.example.com/jira/plugins/servlet/oauth/request-token"},
		{"Access token URL", "https://jira.example.com/jira/plugins/servlet/oauth/access-token"},
		{"Authorize URL", "https://jira.example.com/jira/plugins/servlet/oauth/authorize"},
	}
	for _, f := range fields {
		re := regexp.MustCompile(`(?m)^ *` + regexp.QuoteMeta(f.name) + ` {2,}` + regexp.QuoteMeta(f.value) + `$`)
		if !re.MatchString(text) {
			t.Errorf("text has no line %q with value %q", f.name, f.value)
		}
	}
	for _, want := range []string{
		"\n\n" + c.PublicKey + "\n", // flush left between blank lines: pastes as it is
		"mandatory",
		"any value will do",
		"Administration (the cog) > Applications > Application links",
		`"Atlassian product"`,
		"Generic Application",
		"Settings (the cog) > Products > Application links",
		"deletes every",
		`when "Allow" is clicked becomes the identity`,
		"applink authorize --jira-url https://jira.example.com/jira --consumer-key jira-align",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text does not hold %q", want)
		}
	}
	for _, g := range UISteps() {
		if !strings.Contains(text, g.Title) {
			t.Errorf("text does not hold the guide %q", g.Title)
		}
	}
}

func TestWriteJSONGolden(t *testing.T) {
	c, err := NewAppLinkConfig(goldenInput(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "applink-config.golden.json", buf.Bytes())

	// The CLI contract: these keys, with these values.
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"consumer_key", "consumer_name", "public_key", "public_key_fingerprint",
		"callback_url", "request_token_url", "access_token_url", "authorize_url"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if pk, _ := m["public_key"].(string); !strings.HasPrefix(pk, "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("public_key is not a BEGIN PUBLIC KEY PEM: %.40q", pk)
	}
	var back AppLinkConfig
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back != *c {
		t.Errorf("JSON round trip: got %+v, want %+v", back, *c)
	}
}

func TestWriteTextReportsWriteErrors(t *testing.T) {
	c, err := NewAppLinkConfig(goldenInput(t))
	if err != nil {
		t.Fatal(err)
	}
	want := errors.New("disk full")
	if got := c.WriteText(failingWriter{want}); !errors.Is(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestUISteps(t *testing.T) {
	guides := UISteps()
	var ids []string
	for _, g := range guides {
		ids = append(ids, g.ID)
		if g.Title == "" || len(g.Steps) < 3 {
			t.Errorf("guide %q is incomplete: %+v", g.ID, g)
		}
	}
	if got, want := strings.Join(ids, ","), "server,datacenter,cloud"; got != want {
		t.Fatalf("ids %s, want %s", got, want)
	}
	dc := strings.Join(guides[1].Steps, " ")
	for _, want := range []string{"Atlassian product", "Continue", "Generic Application", "Create incoming link", "any value will do"} {
		if !strings.Contains(dc, want) {
			t.Errorf("Data Center steps do not hold %q", want)
		}
	}
	guides[0].Steps[0] = "changed"
	if UISteps()[0].Steps[0] == "changed" {
		t.Error("UISteps shares its slices between calls")
	}
}

func TestShellQuote(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://jira.example.com/jira", "https://jira.example.com/jira"},
		{"my-key_1.0", "my-key_1.0"},
		{"a$b", "'a$b'"},
		{"it's", `'it'\''s'`},
		{"", "''"},
	} {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
