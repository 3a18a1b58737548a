package oauth_test

import (
	"os"
	"strings"
	"testing"

	"github.com/applink/applink/oauth"
)

// Markers of the README's generated troubleshooting table.
const (
	failuresBegin = "<!-- failures:begin -->\n"
	failuresEnd   = "<!-- failures:end -->"
)

// troubleshooting renders the table of failures as the README's
// Markdown table.
func troubleshooting() string {
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	var b strings.Builder
	b.WriteString("| code | what it means | what Jira (or the network) does | what to do at the command line | what to do in the web service |\n|---|---|---|---|---|\n")
	for _, f := range oauth.Failures() {
		b.WriteString("| `" + string(f.Code) + "` | " + cell(f.Means) + " | " + cell(f.Jira) + " | " +
			cell(oauth.Explain(f.Code, oauth.SurfaceCLI)) + " | " + cell(oauth.Explain(f.Code, oauth.SurfaceWeb)) + " |\n")
	}
	return b.String()
}

// TestREADMETroubleshooting fails when the README's troubleshooting table
// is not the table of failures; APPLINK_UPDATE_README=1 rewrites it.
func TestREADMETroubleshooting(t *testing.T) {
	const path = "../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, failuresBegin), strings.Index(readme, failuresEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", path, failuresBegin, failuresEnd)
	}
	want := readme[:i+len(failuresBegin)] + troubleshooting() + readme[j:]
	if want == readme {
		return
	}
	if os.Getenv("APPLINK_UPDATE_README") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the troubleshooting table of %s is out of date: run APPLINK_UPDATE_README=1 go test ./oauth -run TestREADMETroubleshooting", path)
}
