package main

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
)

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		res := runCmd(t, "", arg)
		if res.code != exitOK || !strings.HasPrefix(res.stdout, "applink ") || !strings.Contains(res.stdout, runtime.Version()) {
			t.Errorf("applink %s: exit %d, stdout %q, stderr %q; want the version and %s", arg, res.code, res.stdout, res.stderr, runtime.Version())
		}
	}
	if res := runCmd(t, "", "version", "extra"); res.code != exitUsage {
		t.Errorf("applink version extra: exit %d, want 2", res.code)
	}
}

func TestVersionText(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"go install from a checkout", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20260101120000-0123456789ab+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.time", Value: "2026-01-01T12:00:00Z"}, {Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "true"}}},
			"applink v0.0.0-20260101120000-0123456789ab+dirty (commit 0123456789abcdef, 2026-01-01T12:00:00Z, with uncommitted changes) built with go1.26.0"},
		{"clean commit", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}},
			"applink v1.2.0 (commit abc) built with go1.26.0"},
		{"no version control", debug.BuildInfo{GoVersion: "go1.26.0"}, "applink (devel) built with go1.26.0"},
	}
	for _, tc := range tests {
		if got := versionText(&tc.bi); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// singleDash matches a flag spelled the flag package's way ("-jira-url"),
// not as the usage spells it.
var singleDash = regexp.MustCompile(`(^|[\s"])-[a-z][a-z-]+`)

func TestUsageErrorsSayWhatToDo(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"authorise"}, `unknown command "authorise"; did you mean authorize?`},
		{[]string{"confg"}, "did you mean config?"},
		{[]string{"--verison"}, "did you mean version?"},
		{[]string{"authorize", "--jira-ur", "https://x"}, "unknown flag --jira-ur; did you mean --jira-url?"},
		{[]string{"config", "-keydir", "x"}, "unknown flag --keydir; did you mean --key-dir?"},
		{[]string{"authorize", "--service", "x"}, "did you mean --service-account?"},
		{[]string{"authorize", "--timeout", "2"}, "--timeout needs a unit, such as 10m or 90s"},
		{[]string{"authorize", "--timeout", "soon"}, `--timeout "soon" is not a duration, such as 10m or 90s`},
		{[]string{"authorize", "--out"}, "--out needs a value"},
		{[]string{"keys", "--out", "x", "--bits", "many"}, `--bits "many" is not a whole number`},
		{[]string{"keys", "--out", "x", "--force=maybe"}, "--force=maybe: give true or false, or --force alone"},
		{[]string{"keys", "--out", filepath.Join(t.TempDir(), "k"), "--bits", "1024"}, "use 2048 (the default), 3072 or 4096 bits"},
		{[]string{"keys", "--out", filepath.Join(t.TempDir(), "k"), "--bits", "8192"}, "use 2048 (the default), 3072 or 4096 bits"},
		{[]string{"keys"}, "applink keys: missing --out\n"},
		{[]string{"config"}, "missing --jira-url, --key-dir and --consumer-key\n"},
		{[]string{"config", "--key-dir", "k"}, "missing --jira-url and --consumer-key\n"},
		{[]string{"authorize"}, "missing --jira-url, --key-dir or --private-key, --consumer-key and --service-account\n"},
		{[]string{"authorize", "--jira-url", "https://x", "--key-dir", "a", "--private-key", "b", "--consumer-key", "k", "--service-account", "s"},
			"give one of --key-dir and --private-key, not both"},
		{[]string{"keys", "--out", "x", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		res := runCmd(t, "", tc.args...)
		if res.code != exitUsage || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("applink %q: exit %d, stderr:\n%s\nwant exit 2 and %q", tc.args, res.code, res.stderr, tc.want)
		}
		if m := singleDash.FindString(res.stderr); m != "" {
			t.Errorf("applink %q spells a flag %q, not with --:\n%s", tc.args, m, res.stderr)
		}
	}
	// Nothing near: no suggestion.
	if res := runCmd(t, "", "xyzzy"); res.code != exitUsage || strings.Contains(res.stderr, "did you mean") {
		t.Errorf("applink xyzzy: exit %d, stderr:\n%s\nwant exit 2 and no suggestion", res.code, res.stderr)
	}
}

// TestHelpNamesEveryFlag checks that each command's usage line names all
// its flags and that the list spells them with "--".
func TestHelpNamesEveryFlag(t *testing.T) {
	flagLine := regexp.MustCompile(`(?m)^  -(-?)([a-z-]+)`)
	for _, c := range commands {
		res := runCmd(t, "", c.name, "-h")
		usageLine, list, _ := strings.Cut(res.stderr, "\n")
		if res.code != exitOK || !strings.HasPrefix(usageLine, "Usage: applink "+c.name) {
			t.Errorf("%s -h: exit %d, stderr:\n%s", c.name, res.code, res.stderr)
			continue
		}
		for _, m := range flagLine.FindAllStringSubmatch(list, -1) {
			if m[1] != "-" {
				t.Errorf("%s -h lists -%s; want --%s", c.name, m[2], m[2])
			}
			if !strings.Contains(usageLine, "--"+m[2]) {
				t.Errorf("%s -h: usage line %q lacks --%s", c.name, usageLine, m[2])
			}
		}
	}
	if res := runCmd(t, "", "authorize", "-h"); !strings.Contains(res.stderr, "[--projects KEYS]") {
		t.Errorf("authorize -h usage:\n%s", res.stderr)
	}
}

func TestClosest(t *testing.T) {
	names := []string{"keys", "config", "authorize", "serve", "demo", "version"}
	for word, want := range map[string]string{
		"authorise": "authorize", "autorize": "authorize", "auth": "authorize", "key": "keys",
		"sever": "serve", "dmeo": "demo", "cnfig": "config", "zz": "", "status": "", "x": "",
	} {
		if got := closest(word, names); got != want {
			t.Errorf("closest(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestKeysMakesAnOpenFolderPrivate(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	res := runCmd(t, "", "keys", "--out", dir)
	if res.code != exitOK || !strings.Contains(res.stderr, "Made "+dir+" private (mode 0700, was 0755)") {
		t.Fatalf("keys into a 0755 folder: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode after keys = %v (%v), want 0700", fi.Mode().Perm(), err)
	}

	// A refused write changes nothing, the folder's mode included.
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	res = runCmd(t, "", "keys", "--out", dir)
	if res.code != exitFailure || strings.Contains(res.stderr, "Made ") {
		t.Errorf("keys over existing keys: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("folder mode after a refused write = %v (%v), want 0750 as before", fi.Mode().Perm(), err)
	}
}

func TestKeyFolderIsAFile(t *testing.T) {
	dir, _ := keyDir(t)
	file := filepath.Join(dir, "private.pem")
	for _, args := range [][]string{
		{"keys", "--out", file},
		{"config", "--jira-url", "https://jira.example.com", "--key-dir", file, "--consumer-key", "k"},
		{"authorize", "--jira-url", "https://jira.example.com", "--key-dir", file, "--consumer-key", "k", "--service-account", "s"},
	} {
		res := runCmd(t, "", args...)
		if res.code != exitFailure || !strings.Contains(res.stderr, file+" is a file, not a key folder") {
			t.Errorf("applink %s with a file: exit %d, stderr:\n%s", args[0], res.code, res.stderr)
		}
	}
}

func TestConfigNeedsOnlyThePublicKey(t *testing.T) {
	dir, _ := keyDir(t)
	if err := os.Remove(filepath.Join(dir, "private.pem")); err != nil {
		t.Fatal(err)
	}
	res := runCmd(t, "", "config", "--jira-url", "https://jira.example.com", "--key-dir", dir, "--consumer-key", "k")
	if res.code != exitOK || !strings.Contains(res.stdout, "BEGIN PUBLIC KEY") {
		t.Errorf("config with public.pem only: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	if res := runCmd(t, "", "config", "-h"); !strings.Contains(res.stderr, "only the public key is read") {
		t.Errorf("config -h does not say the private key is not needed:\n%s", res.stderr)
	}
}

func TestTimeoutHint(t *testing.T) {
	life := oauth.RequestTokenLifetime
	for _, tc := range []struct {
		timeout time.Duration
		want    string
	}{
		{time.Minute, "allow more time with --timeout (up to " + fmtDuration(life)},
		{life, "a longer --timeout does not help"},
	} {
		if got := timeoutHint(tc.timeout); !strings.Contains(got, tc.want) {
			t.Errorf("timeoutHint(%s) = %q, want %q in it", tc.timeout, got, tc.want)
		}
	}
	if got := fmtDuration(10 * time.Minute); got != "10m" {
		t.Errorf("fmtDuration(10m) = %q", got)
	}
}
