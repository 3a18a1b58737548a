package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// chromiumPath is Debian's Chromium, which e2e/browser.mjs drives.
const chromiumPath = "/usr/bin/chromium"

// e2eDir is the folder of the browser script, from this package's folder.
var e2eDir = filepath.Join("..", "..", "e2e")

// browserSteps are the "ok:" lines e2e/browser.mjs prints, one per step of
// the walk-through, in order.
var browserSteps = []string{
	"ok: self-check:",
	"ok: login:",
	"ok: link page:",
	"ok: start approval:",
	"ok: wrong account: alex.admin approves",
	"ok: admin sees the warning and who approved",
	"ok: service account: svc-jira approves",
	"ok: deny:",
	"ok: no page error, console error or request to another host",
}

// markWriter is a concurrency-safe buffer that closes ready once mark has
// been written at the start of a line.
type markWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	mark  string
	ready chan struct{}
	seen  bool
}

func newMarkWriter(mark string) *markWriter {
	return &markWriter{mark: mark, ready: make(chan struct{})}
}

func (w *markWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.seen && strings.Contains("\n"+w.buf.String(), "\n"+w.mark+"\n") {
		w.seen = true
		close(w.ready)
	}
	return len(p), nil
}

func (w *markWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// browserPrerequisites says what is missing to run the browser test, or "".
func browserPrerequisites() (node, missing string) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", "node is not installed (apt-get install nodejs)"
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		return "", chromiumPath + " is missing (apt-get install chromium)"
	}
	if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", "playwright-core", "package.json")); err != nil {
		return "", "e2e/node_modules/playwright-core is missing (cd e2e && npm ci)"
	}
	return node, ""
}

// demoInfo is what `applink demo` prints for a person to follow.
type demoInfo struct {
	appURL, jiraURL, adminToken, svcPass, adminPass string
}

// parseDemoOutput reads the web UI, the simulated Jira, the admin token
// and both users' passwords from the demo's standard output.
func parseDemoOutput(out string) (demoInfo, error) {
	find := func(expr string) string {
		m := regexp.MustCompile(`(?m)` + expr).FindStringSubmatch(out)
		if m == nil {
			return ""
		}
		return m[1]
	}
	d := demoInfo{
		jiraURL:    find(`^Simulated Jira\s+(http://\S+)$`),
		svcPass:    find(`^\s+service account\s+` + regexp.QuoteMeta(demoServiceAccount) + `\s+password (\S+)`),
		adminPass:  find(`^\s+personal admin\s+` + regexp.QuoteMeta(demoAdmin) + `\s+password (\S+)`),
		appURL:     find(`Open (http://\S+)/login and sign in`),
		adminToken: find(`sign in with the admin token (\S+)$`),
	}
	if d.jiraURL == "" || d.svcPass == "" || d.adminPass == "" || d.appURL == "" || d.adminToken == "" {
		return d, errors.New("the demo's output lacks the web UI, Jira URL, admin token or a password")
	}
	return d, nil
}

func TestParseDemoOutput(t *testing.T) {
	out := "applink demo: ...\n\nSimulated Jira   http://127.0.0.1:40001\n" +
		"  service account  svc-jira     password aaaa2222bb   (the account that should approve)\n" +
		"  personal admin   alex.admin   password cccc3333dd   (approving as this one is the classic mistake)\n\n" +
		"  1. Open http://127.0.0.1:40002/login and sign in with the admin token tok_en-1\n"
	got, err := parseDemoOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	want := demoInfo{appURL: "http://127.0.0.1:40002", jiraURL: "http://127.0.0.1:40001",
		adminToken: "tok_en-1", svcPass: "aaaa2222bb", adminPass: "cccc3333dd"}
	if got != want {
		t.Errorf("parseDemoOutput = %+v, want %+v", got, want)
	}
	if _, err := parseDemoOutput(strings.Replace(out, "admin token", "token", 1)); err == nil {
		t.Error("output without the admin token: no error")
	}
}

// TestBrowserDemo follows `applink demo` in a real browser: Debian's
// Chromium driven by e2e/browser.mjs (playwright-core). It catches what an
// HTTP-level test cannot: scripts, Content-Security-Policy violations,
// requests to other hosts, and the pages as rendered.
func TestBrowserDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser test starts Chromium")
	}
	node, missing := browserPrerequisites()
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the browser test, but %s", missing)
		}
		t.Skipf("browser test skipped: %s", missing)
	}
	shots := t.TempDir()
	if dir := os.Getenv("APPLINK_E2E_SHOTS"); dir != "" {
		abs, err := filepath.Abs(dir) // the script runs in e2e/
		if err != nil {
			t.Fatal(err)
		}
		shots = abs
		t.Logf("screenshots in %s", shots)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	stdout := newMarkWriter("Press Ctrl-C to stop.")
	stderr := newLineWriter()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo")},
			env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: stdout, stderr: stderr})
	}()
	// Whatever happens below, stop the demo before the test's folders go.
	serving := false
	defer func() {
		cancel()
		if code := <-done; serving && code != exitOK {
			t.Errorf("demo exit = %d after stop, want 0; stderr:\n%s", code, stderr.String())
		}
	}()
	select {
	case <-stdout.ready:
		serving = true
	case code := <-done:
		done <- code
		t.Fatalf("demo exited with %d before serving; stderr:\n%s\nstdout:\n%s", code, stderr.String(), stdout.String())
	case <-ctx.Done():
		t.Fatalf("demo not serving after 2 minutes; stdout:\n%s", stdout.String())
	}
	info, err := parseDemoOutput(stdout.String())
	if err != nil {
		t.Fatalf("%v:\n%s", err, stdout.String())
	}

	start := time.Now()
	cmd := exec.CommandContext(ctx, node, "browser.mjs")
	cmd.Dir = e2eDir
	// Secrets go in the environment, not on the command line.
	cmd.Env = append(os.Environ(),
		"E2E_APP_URL="+info.appURL,
		"E2E_JIRA_URL="+info.jiraURL,
		"E2E_ADMIN_TOKEN="+info.adminToken,
		"E2E_SVC_PASSWORD="+info.svcPass,
		"E2E_ADMIN_PASSWORD="+info.adminPass,
		"E2E_SHOTS="+shots,
		"E2E_CHROMIUM="+chromiumPath,
	)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	t.Logf("browser walk-through took %s", time.Since(start).Round(100*time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("the browser walk-through did not finish within 2 minutes (%v); stdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	if err != nil {
		t.Fatalf("node e2e/browser.mjs: %v (screenshots in %s)\nstdout:\n%s\nstderr:\n%s", err, shots, out.String(), errOut.String())
	}

	t.Logf("node e2e/browser.mjs:\n%s", out.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	next := 0
	for _, line := range lines {
		if next < len(browserSteps) && strings.HasPrefix(line, browserSteps[next]) {
			next++
		}
	}
	if next < len(browserSteps) {
		t.Errorf("browser output lacks %q (or has it out of order):\n%s", browserSteps[next], out.String())
	}
	for name, secret := range map[string]string{"admin token": info.adminToken, "svc-jira password": info.svcPass, "alex.admin password": info.adminPass} {
		if strings.Contains(out.String()+errOut.String(), secret) {
			t.Errorf("the browser script printed the %s", name)
		}
	}
	shotFiles, _ := filepath.Glob(filepath.Join(shots, "*.png"))
	if len(shotFiles) < len(browserSteps) {
		t.Errorf("%d screenshots in %s, want at least one per step (%d)", len(shotFiles), shots, len(browserSteps))
	}
}
