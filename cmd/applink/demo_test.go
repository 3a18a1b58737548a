package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDemoOnce(t *testing.T) {
	for _, flavor := range []string{"server", "cloud"} {
		t.Run(flavor, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "demo")
			args := []string{"demo", "--once", "--addr", "127.0.0.1:0", "--data", data}
			if flavor == "cloud" {
				args = append(args, "--cloud")
			}
			res := runCmd(t, "", args...)
			if res.code != exitOK {
				t.Fatalf("exit = %d; stderr:\n%s\nstdout:\n%s", res.code, res.stderr, res.stdout)
			}
			for _, want := range []string{
				"identity check     ok",
				"permissions        ok",
				"identity check     MISMATCH",
				"not by the service account",
				"sign in with the admin token",
				"applink authorize --jira-url http://127.0.0.1:",
				"go install ./cmd/applink",
				"Metrics (what Prometheus reads): http://127.0.0.1:",
			} {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("demo output lacks %q:\n%s", want, res.stdout)
				}
			}
			// The printed admin token is the one kept in the data folder.
			m := regexp.MustCompile(`admin token (\S+)`).FindStringSubmatch(res.stdout)
			if m == nil {
				t.Fatal("no admin token printed")
			}
			kept, err := os.ReadFile(filepath.Join(data, "service", "admin-token"))
			if err != nil || !strings.Contains(string(kept), m[1]) {
				t.Errorf("admin token %q not kept in the data folder (%q, %v)", m[1], kept, err)
			}
			// The log holds no secret the demo printed.
			logData, err := os.ReadFile(filepath.Join(data, "applink.log"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(logData, []byte(m[1])) {
				t.Error("the log holds the admin token")
			}
			// Run again on the same folder: the link is kept and works.
			if again := runCmd(t, "", args...); again.code != exitOK || !strings.Contains(again.stdout, m[1]) {
				t.Errorf("second run on the same data: exit %d, stderr:\n%s", again.code, again.stderr)
			}
		})
	}
}

func TestServeHealthzAndShutdown(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(t.Context())
	stderr := newLineWriter()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", data},
			env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: stderr})
	}()
	first := <-stderr.first
	m := regexp.MustCompile(`serving (http://\S+)`).FindStringSubmatch(first)
	if m == nil {
		cancel()
		t.Fatalf("first line = %q, want the address", first)
	}
	resp, err := http.Get(m[1] + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz = %d, want 200", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit after shutdown = %d, want 0; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "cat "+filepath.Join(data, "admin-token")) {
		t.Errorf("first start did not say where the admin token is:\n%s", stderr.String())
	}
	fi, err := os.Stat(filepath.Join(data, "admin-token"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin-token: %v, mode %v", err, fi)
	}
}
