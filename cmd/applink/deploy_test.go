package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tool is the path of a command the test needs: the test is skipped, with
// the reason, when it is missing, unless CI=true (.ci/run installs it).
func tool(t *testing.T, name, debPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run this test, but %s is missing (apt-get install %s)", name, debPackage)
		}
		t.Skipf("%s is not installed (apt-get install %s): %v", name, debPackage, err)
	}
	return p
}

// runTool runs a command in dir and fails with its output unless it succeeds
// without a word on standard error.
func runTool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// TestAlertRules: the Prometheus rules are valid and their unit tests
// (deploy/prometheus/applink-rules.test.yml) pass.
func TestAlertRules(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	dir := filepath.Join("..", "..", "deploy", "prometheus")
	if out := runTool(t, dir, promtool, "check", "rules", "applink-rules.yml"); !strings.Contains(out, "4 rules found") {
		t.Errorf("promtool check rules: %s", out)
	}
	runTool(t, dir, promtool, "test", "rules", "applink-rules.test.yml")
}

// TestServiceUnit: systemd accepts deploy/systemd/applink.service without a
// warning (its ExecStart pointed at a binary that exists), and the unit
// keeps its sandbox and passes the data key as a credential.
func TestServiceUnit(t *testing.T) {
	analyze := tool(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile(filepath.Join("..", "..", "deploy", "systemd", "applink.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nDynamicUser=yes\n", "\nStateDirectory=applink\n", "\nProtectSystem=strict\n", "\nNoNewPrivileges=yes\n",
		"\nPrivateTmp=yes\n", "\nLoadCredential=data-key:", "--data ${STATE_DIRECTORY}", "--data-key-file ${CREDENTIALS_DIRECTORY}/data-key"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fixed := strings.Replace(string(unit), "ExecStart=/usr/local/bin/applink ", "ExecStart="+self+" ", 1)
	if fixed == string(unit) {
		t.Fatal("the unit's ExecStart is not /usr/local/bin/applink")
	}
	if err := os.WriteFile(filepath.Join(dir, "applink.service"), []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	runTool(t, dir, analyze, "verify", "applink.service")
}
