package oauth

import (
	"fmt"
	"io"
	"strings"
)

// Layout of WriteText: prose is wrapped at textWidth columns; form values
// start at valueColumn and are never wrapped, so that they copy whole.
const (
	textWidth   = 92
	valueColumn = 30
)

// WriteText writes the configuration for people: each field of the form with
// its value, the public key to paste, and the steps to find the form in each
// Jira generation (older Server/DC UI, Data Center 8.22+/9.x through
// "Atlassian product", Cloud).
//
// The public key block is printed flush left so that it pastes as it is.
// The text holds no secret.
func (c *AppLinkConfig) WriteText(w io.Writer) error {
	t := &textWriter{w: w}
	title := fmt.Sprintf("Jira Application Link for the OAuth 1.0a consumer %q", c.ConsumerKey)
	t.line(title)
	t.line(strings.Repeat("=", min(len(title), textWidth)))
	t.field("", "Jira", c.JiraURL)
	t.field("", "Public key fingerprint", c.PublicKeyFingerprint)
	t.line("")

	t.line("Read this first")
	t.para("  ! ", "    ", `Whoever is logged into Jira when "Allow" is clicked becomes the identity the `+
		"integration acts as: every change it makes shows in Jira as made by that user. Approve while "+
		"logged in as the service account, in a private browser window, never with your own admin account.")
	t.para("  ! ", "    ", "Editing this link's OAuth settings later (public key, consumer key...) deletes every "+
		"token approved through it: the integration must then be authorized again.")
	t.line("")

	t.line("1. Find the form")
	for _, g := range UISteps() {
		t.line("   " + g.Title)
		for i, s := range g.Steps {
			t.para(fmt.Sprintf("     %d. ", i+1), "        ", s)
		}
		t.line("")
	}

	t.line("2. Incoming Authentication: fill in these fields")
	t.field("   ", "Consumer Key", c.ConsumerKey)
	t.field("   ", "Consumer Name", c.ConsumerName)
	t.field("   ", "Description", c.Description)
	t.field("   ", "Public Key", "paste this block whole, from BEGIN to END:")
	t.line("")
	t.line(strings.TrimRight(c.PublicKey, "\n"))
	t.line("")
	if c.CallbackURL != "" {
		t.field("   ", "Consumer Callback URL", c.CallbackURL)
	} else {
		t.field("   ", "Consumer Callback URL", "may stay empty: the integration sends its callback with each request")
	}
	t.field("   ", "Allow 2-Legged OAuth", "leave off (it lets the integration act without anyone's approval)")
	t.field("   ", "Execute as", "leave empty (used only by 2-legged OAuth)")
	t.field("   ", "Allow user impersonation", "leave off (it lets the integration act as any user)")
	t.line("")

	t.line("3. Outgoing fields (only the Data Center 8.22+ form asks for them)")
	t.para("   ", "   ", "Jira 9 users report that these fields are mandatory even though this link never "+
		"uses them: any value will do. These fit:")
	t.field("   ", "Service Provider Name", c.ConsumerName)
	t.field("   ", "Consumer key", c.ConsumerKey)
	t.field("   ", "Shared secret", `any text, such as "unused" (it is not used)`)
	t.field("   ", "Request Token URL", c.RequestTokenURL)
	t.field("   ", "Access token URL", c.AccessTokenURL)
	t.field("   ", "Authorize URL", c.AuthorizeURL)
	t.line("")

	t.line("4. Authorize")
	t.para("   ", "   ", "Run this, open the URL it prints in a browser window logged into Jira as the "+
		"service account (a private window keeps your own session out of it), and click Allow:")
	t.line("     applink authorize --jira-url " + shellQuote(c.JiraURL) + " --consumer-key " + shellQuote(c.ConsumerKey) + ` \`)
	t.line("         --key-dir DIR --service-account SERVICE-ACCOUNT")
	t.para("   ", "   ", "A user sees and revokes the tokens they approved in Jira (Server and Data Center: "+
		"Profile > Tools > View OAuth Access Tokens).")
	return t.err
}

// textWriter writes lines and keeps the first error.
type textWriter struct {
	w   io.Writer
	err error
}

func (t *textWriter) line(s string) {
	if t.err == nil {
		_, t.err = io.WriteString(t.w, strings.TrimRight(s, " ")+"\n")
	}
}

// para writes text wrapped at textWidth, the first line after first and
// the others after rest.
func (t *textWriter) para(first, rest, text string) {
	prefix := first
	for _, l := range wrap(text, textWidth-len(rest)) {
		t.line(prefix + l)
		prefix = rest
	}
}

// field writes "name   value" with the value at valueColumn.
func (t *textWriter) field(indent, name, value string) {
	head := indent + name
	if len(head) >= valueColumn {
		head += "  "
	}
	t.line(fmt.Sprintf("%-*s%s", valueColumn, head, value))
}

// wrap splits text into lines of at most width bytes at spaces. It does not
// break inside double quotes nor around ">" (menu paths such as
// Profile > Tools); a word longer than width gets a line of its own.
func wrap(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, word := range unbreakable(strings.Fields(text)) {
		if cur.Len() > 0 && cur.Len()+1+len(word) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	if cur.Len() > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// unbreakable joins the words of a quoted phrase, and the words on either
// side of a ">", into one.
func unbreakable(words []string) []string {
	var out []string
	inQuote, glue := false, false
	for _, w := range words {
		if (inQuote || glue || w == ">") && len(out) > 0 {
			out[len(out)-1] += " " + w
		} else {
			out = append(out, w)
		}
		glue = w == ">"
		if strings.Count(w, `"`)%2 == 1 {
			inQuote = !inQuote
		}
	}
	return out
}

// shellQuote quotes s for a POSIX shell when it holds anything but the
// characters URLs and consumer keys usually hold.
func shellQuote(s string) string {
	const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,"
	if s != "" && strings.Trim(s, safe) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// UIGuide is how to find the Application Link form in one Jira UI generation.
type UIGuide struct {
	ID    string   `json:"id"`    // "server", "datacenter", "cloud"
	Title string   `json:"title"` // e.g. "Jira Data Center 8.22 and later (9.x, 10.x)"
	Steps []string `json:"steps"`
}

// UISteps returns the steps to reach the incoming-authentication form, by UI
// generation, in the order they should be shown: "server" (older Server/DC),
// "datacenter" (8.22+/9.x), "cloud". Each call returns a fresh copy.
func UISteps() []UIGuide {
	return []UIGuide{
		{
			ID:    "server",
			Title: "Jira Server, and Data Center before 8.22",
			Steps: []string{
				"Open Administration (the cog) > Applications > Application links, logged in as a Jira administrator.",
				"Enter the integration's URL (its callback URL, or any URL of it) and click Create new link.",
				`Jira says "No response was received from the URL you entered": click Continue.`,
				`Enter an Application Name (use the Consumer Name), keep the type "Generic Application", ` +
					`tick "Create incoming link" and click Continue.`,
				"Fill in the Consumer Key, Consumer Name and Public Key of this configuration and click Continue.",
				"Edit the new link (the pencil), open Incoming Authentication, and check every field against this configuration.",
			},
		},
		{
			ID:    "datacenter",
			Title: "Jira Data Center 8.22 and later (9.x, 10.x)",
			Steps: []string{
				"Open Administration (the cog) > Applications > Application links, logged in as a Jira " +
					"administrator, and click Create link.",
				`Choose "Atlassian product", not "External application" (that one is OAuth 2.0 only), ` +
					"enter the integration's URL and click Continue.",
				"Jira warns that it got no response from that URL: click Continue.",
				`In the Generic Application form, enter an Application Name (use the Consumer Name). ` +
					"Its outgoing fields are mandatory but unused by this link: any value will do, " +
					"such as the outgoing values of this configuration.",
				`Tick "Create incoming link" and click Continue.`,
				"Fill in the Consumer Key, Consumer Name and Public Key of this configuration and click Continue.",
				"Edit the new link, open Incoming Authentication, and check every field against this configuration.",
			},
		},
		{
			ID:    "cloud",
			Title: "Jira Cloud",
			Steps: []string{
				"Open Settings (the cog) > Products > Application links, logged in as a Jira site administrator.",
				"Click Create link, enter the integration's URL and click Continue; " +
					`continue past "No response was received from the URL you entered".`,
				`Enter an Application Name (use the Consumer Name), keep the type "Generic Application", ` +
					`tick "Create incoming link" and click Continue.`,
				"Fill in the Consumer Key, Consumer Name and Public Key of this configuration and click Continue.",
				"Edit the new link, open Incoming Authentication, and check every field against this configuration.",
			},
		},
	}
}
