package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serveOnce runs applink serve until it is ready, then stops it (the
// context is already done), and returns its exit code and standard error.
func serveOnce(t *testing.T, dir string, terminal bool, getenv func(string) string, flags ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var stderr bytes.Buffer
	code := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, flags...),
		env{getenv: getenv, stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr, terminal: terminal})
	return code, stderr.String()
}

func noEnv(string) string { return "" }

// TestServeNewAdminTokenNotInLogs: the admin token made at the first start
// is printed to a terminal only; otherwise standard error (the log stream)
// gets where the file is, never the token.
func TestServeNewAdminTokenNotInLogs(t *testing.T) {
	for _, terminal := range []bool{false, true} {
		dir := t.TempDir()
		code, stderr := serveOnce(t, dir, terminal, noEnv)
		if code != exitOK {
			t.Fatalf("terminal %v: exit %d: %s", terminal, code, stderr)
		}
		file := filepath.Join(dir, "admin-token")
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		token := strings.TrimSpace(string(b))
		if got := strings.Contains(stderr, token); got != terminal {
			t.Errorf("terminal %v: token printed %v:\n%s", terminal, got, stderr)
		}
		if !terminal && !strings.Contains(stderr, "cat "+file) {
			t.Errorf("not a terminal: the file is not named:\n%s", stderr)
		}
		// Printed once: a second start says nothing of it.
		if _, again := serveOnce(t, dir, terminal, noEnv); strings.Contains(again, token) || strings.Contains(again, "admin-token") {
			t.Errorf("terminal %v: second start mentions the token:\n%s", terminal, again)
		}
	}
}

// TestServeRefusesShortAdminToken: APPLINK_ADMIN_TOKEN shorter than 32
// characters stops applink serve with a message naming the variable and
// how to make a good one.
func TestServeRefusesShortAdminToken(t *testing.T) {
	short := "a-short-admin-token"
	code, stderr := serveOnce(t, t.TempDir(), false, func(k string) string {
		if k == "APPLINK_ADMIN_TOKEN" {
			return short
		}
		return ""
	})
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	for _, want := range []string{"APPLINK_ADMIN_TOKEN", "shorter than 32 characters", "openssl rand -base64 32"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("missing %q in:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, short) || strings.Contains(stderr, "applink is serving") {
		t.Errorf("quotes the token or serves:\n%s", stderr)
	}
}

// TestServeMetricsAndNotifyFlags: an empty or missing metrics token file
// and a notification URL that is not http(s) stop applink serve before it
// serves; good ones serve.
func TestServeMetricsAndNotifyFlags(t *testing.T) {
	dir := t.TempDir()
	empty, good := filepath.Join(dir, "empty"), filepath.Join(dir, "token")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("metrics-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags []string
		code  int
		want  string
	}{
		{[]string{"--metrics-token-file", empty}, exitUsage, "the file is empty"},
		{[]string{"--metrics-token-file", filepath.Join(dir, "none")}, exitUsage, "metrics-token-file"},
		{[]string{"--notify-url", "ftp://hooks.example.com/x"}, exitFailure, "not an absolute http(s) URL"},
		{[]string{"--metrics", "--metrics-token-file", good, "--notify-url", "https://hooks.example.com/services/T0"}, exitOK, "applink is serving"},
	} {
		code, stderr := serveOnce(t, filepath.Join(dir, "data"), false, noEnv, tc.flags...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", tc.flags, code, tc.code, tc.want, stderr)
		}
		if tc.code != exitOK && strings.Contains(stderr, "applink is serving") {
			t.Errorf("%v: served", tc.flags)
		}
	}
}

// TestServeOIDCFlags: the OpenID sign-in takes its client secret from a
// file or the environment only, needs a list of who may sign in, and
// starts without reaching the provider (here one that does not exist).
func TestServeOIDCFlags(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withSecret := func(k string) string {
		if k == oidcSecretEnv {
			return "s3cret-from-env"
		}
		return ""
	}
	base := []string{"--oidc-issuer", "https://sso.invalid/realms/acme", "--oidc-client-id", "applink"}
	for _, tc := range []struct {
		name   string
		getenv func(string) string
		flags  []string
		code   int
		want   string
	}{
		{"secret from the environment", withSecret, []string{"--oidc-allowed-emails", "a@x.example"}, exitOK, "applink is serving"},
		{"secret from a file", noEnv, []string{"--oidc-allowed-groups", "admins", "--oidc-client-secret-file", secretFile}, exitOK, "applink is serving"},
		{"no secret", noEnv, []string{"--oidc-allowed-groups", "admins"}, exitUsage, oidcSecretEnv},
		{"nobody allowed", withSecret, nil, exitFailure, "--oidc-allowed-groups"},
	} {
		code, stderr := serveOnce(t, t.TempDir(), false, tc.getenv, append(base, tc.flags...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", tc.name, code, tc.code, tc.want, stderr)
		}
		if strings.Contains(stderr, "s3cret") {
			t.Errorf("%s: the client secret is in the output", tc.name)
		}
	}
}
