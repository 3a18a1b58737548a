package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// lineWriter is a concurrency-safe buffer that hands out its first line
// as soon as it is written.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan string
	sent  bool
}

func newLineWriter() *lineWriter { return &lineWriter{first: make(chan string, 1)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent {
		if line, _, ok := strings.Cut(w.buf.String(), "\n"); ok {
			w.first <- line
			w.sent = true
		}
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// fixedKey loads a fixed test key of testdata/keys.
func fixedKey(t *testing.T, name string) *rsa.PrivateKey {
	t.Helper()
	k, err := keys.LoadPrivateKeyFile(filepath.Join("..", "..", "testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyDir writes the fixed test key pair to a new folder and returns the
// folder and the key.
func keyDir(t *testing.T) (string, *rsa.PrivateKey) {
	t.Helper()
	k := fixedKey(t, "rsa2048-pkcs8.pem")
	dir := filepath.Join(t.TempDir(), "keys")
	if err := keys.WriteDir(dir, k, false); err != nil {
		t.Fatal(err)
	}
	return dir, k
}

type fakeJira struct {
	*jiratest.Jira
	srv *httptest.Server
}

const (
	svcUser, svcPass     = "svc-jira", "svc-pass"
	adminUser, adminPass = "alex.admin", "admin-pass"
)

func newJira(t *testing.T, flavor jiratest.Flavor, k *rsa.PublicKey) *fakeJira {
	t.Helper()
	j, srv := jiratest.NewServer(t, jiratest.Options{Flavor: flavor},
		jiratest.User{Name: svcUser, Key: "JIRAUSER10100", AccountID: "acc-svc", Email: "svc@example.com", DisplayName: "Service Account", Password: svcPass},
		jiratest.User{Name: adminUser, Key: "JIRAUSER10000", AccountID: "acc-admin", Email: "alex@example.com", DisplayName: "Alex Admin", Password: adminPass})
	if k != nil {
		pub, err := keys.MarshalPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if err := j.AddConsumer("my-integration", "My integration", pub, ""); err != nil {
			t.Fatal(err)
		}
	}
	return &fakeJira{Jira: j, srv: srv}
}

type runResult struct {
	code           int
	stdout, stderr string
}

// runCmd runs applink in-process with args and stdin.
func runCmd(t *testing.T, stdin string, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, env{getenv: func(string) string { return "" }, stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr})
	return runResult{code, stdout.String(), stderr.String()}
}

// startAuthorize runs `applink authorize` in the background and returns
// the authorize URL it prints and a channel with its result.
func startAuthorize(t *testing.T, stdin string, args ...string) (string, <-chan runResult) {
	t.Helper()
	stdout := newLineWriter()
	var stderr bytes.Buffer
	var mu sync.Mutex
	done := make(chan runResult, 1)
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	go func() {
		code := run(ctx, append([]string{"authorize"}, args...), env{getenv: func(string) string { return "" }, stdin: strings.NewReader(stdin), stdout: stdout,
			stderr: writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return stderr.Write(p) })})
		mu.Lock()
		defer mu.Unlock()
		done <- runResult{code, stdout.String(), stderr.String()}
	}()
	select {
	case line := <-stdout.first:
		return line, done
	case res := <-done:
		return "", sendBack(res)
	}
}

func sendBack(r runResult) <-chan runResult {
	ch := make(chan runResult, 1)
	ch <- r
	return ch
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func approveAndCallback(t *testing.T, authURL, user, pass string, allow bool) {
	t.Helper()
	cb, _, err := (&jiratest.Browser{}).Approve(t.Context(), authURL, user, pass, allow)
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	resp, err := http.Get(cb.String())
	if err != nil {
		t.Fatalf("callback: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback status = %d, want 200", resp.StatusCode)
	}
}

func readTokenFile(t *testing.T, path string) tokenFile {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("token file mode = %o, want 600", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tf tokenFile
	if err := json.Unmarshal(data, &tf); err != nil {
		t.Fatal(err)
	}
	return tf
}

func TestAuthorizeServiceAccountApproves(t *testing.T) {
	for _, flavor := range []jiratest.Flavor{jiratest.Server, jiratest.Cloud} {
		t.Run(string(flavor), func(t *testing.T) {
			dir, k := keyDir(t)
			j := newJira(t, flavor, &k.PublicKey)
			out := filepath.Join(t.TempDir(), "token.json")
			account := svcUser
			if flavor == jiratest.Cloud {
				account = "acc-svc"
			}
			authURL, done := startAuthorize(t, "", "--jira-url", j.srv.URL+"/", "--key-dir", dir,
				"--consumer-key", "my-integration", "--service-account", account, "--out", out)
			if !strings.HasPrefix(authURL, j.srv.URL+"/plugins/servlet/oauth/authorize?oauth_token=") {
				t.Fatalf("first stdout line = %q, want the authorize URL", authURL)
			}
			approveAndCallback(t, authURL, svcUser, svcPass, true)
			res := <-done
			if res.code != exitOK {
				t.Fatalf("exit = %d, want 0; stderr:\n%s", res.code, res.stderr)
			}
			if strings.TrimSpace(res.stdout) != authURL {
				t.Errorf("stdout = %q, want only the authorize URL", res.stdout)
			}
			tf := readTokenFile(t, out)
			if tf.AccessToken == "" || tf.TokenSecret == "" || !tf.ServiceAccountMatch || tf.IdentityCheck != "match" || tf.ServiceAccount != account {
				t.Errorf("token file = %+v", tf)
			}
			if tf.JiraURL != j.srv.URL || tf.ConsumerKey != "my-integration" {
				t.Errorf("jira_url, consumer_key = %q, %q", tf.JiraURL, tf.ConsumerKey)
			}
			if _, err := time.Parse(time.RFC3339, tf.ExpiresAt); err != nil {
				t.Errorf("expires_at = %q: %v", tf.ExpiresAt, err)
			}
			if flavor == jiratest.Server && tf.AuthorizedAs.Name != svcUser {
				t.Errorf("authorized_as = %+v, want name %s", tf.AuthorizedAs, svcUser)
			}
			if flavor == jiratest.Cloud && tf.AuthorizedAs.AccountID != "acc-svc" {
				t.Errorf("authorized_as = %+v, want account id acc-svc", tf.AuthorizedAs)
			}
			if strings.Contains(res.stderr, tf.TokenSecret) {
				t.Error("stderr shows the token secret")
			}
			// The token works from another OAuth 1.0a client.
			cfg := &oauth1.Config{ConsumerKey: "my-integration", Signer: &oauth1.RSASigner{PrivateKey: k}}
			client := cfg.Client(t.Context(), oauth1.NewToken(tf.AccessToken, tf.TokenSecret))
			resp, err := client.Get(j.srv.URL + "/rest/api/2/myself")
			if err != nil {
				t.Fatal(err)
			}
			body := new(bytes.Buffer)
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(body.String(), "Service Account") {
				t.Errorf("myself with the written token: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestAuthorizeWrongAccountExits3(t *testing.T) {
	dir, k := keyDir(t)
	j := newJira(t, jiratest.Server, &k.PublicKey)
	out := filepath.Join(t.TempDir(), "token.json")
	authURL, done := startAuthorize(t, "", "--jira-url", j.srv.URL, "--key-dir", dir,
		"--consumer-key", "my-integration", "--service-account", svcUser, "--out", out)
	approveAndCallback(t, authURL, adminUser, adminPass, true)
	res := <-done
	if res.code != exitMismatch {
		t.Fatalf("exit = %d, want 3; stderr:\n%s", res.code, res.stderr)
	}
	for _, want := range []string{adminUser, svcUser, "private"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("warning does not mention %q:\n%s", want, res.stderr)
		}
	}
	tf := readTokenFile(t, out)
	if tf.ServiceAccountMatch || tf.IdentityCheck != "mismatch" || tf.AuthorizedAs.Name != adminUser || tf.AccessToken == "" {
		t.Errorf("token file = %+v, want the admin's token marked as a mismatch", tf)
	}
}

func TestAuthorizeDenied(t *testing.T) {
	dir, k := keyDir(t)
	j := newJira(t, jiratest.Server, &k.PublicKey)
	out := filepath.Join(t.TempDir(), "token.json")
	authURL, done := startAuthorize(t, "", "--jira-url", j.srv.URL, "--key-dir", dir,
		"--consumer-key", "my-integration", "--service-account", svcUser, "--out", out)
	approveAndCallback(t, authURL, svcUser, svcPass, false)
	res := <-done
	if res.code != exitFailure || !strings.Contains(res.stderr, "[denied]") {
		t.Fatalf("exit = %d, want 1 with [denied]; stderr:\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a denied handshake wrote %s", out)
	}
}

func TestAuthorizeOOB(t *testing.T) {
	dir, k := keyDir(t)
	j := newJira(t, jiratest.Server, &k.PublicKey)
	// The verifier is typed on standard input once the user has it, so the
	// test approves through the simulated Jira directly and pipes the code.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	stdout := newLineWriter()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(t.Context(), []string{"authorize", "--oob", "--jira-url", j.srv.URL, "--private-key", filepath.Join(dir, "private.pem"),
			"--consumer-key", "my-integration", "--service-account", svcUser}, env{getenv: os.Getenv, stdin: pr, stdout: stdout, stderr: &stderr})
	}()
	authURL := <-stdout.first
	_, verifier, err := (&jiratest.Browser{}).Approve(t.Context(), authURL, svcUser, svcPass, true)
	if err != nil || verifier == "" {
		t.Fatalf("approve oob: %q, %v", verifier, err)
	}
	if _, err := pw.WriteString(verifier + "\n"); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if code := <-done; code != exitOK {
		t.Fatalf("exit = %d, want 0; stderr:\n%s", code, stderr.String())
	}
	// Without --out the token JSON follows the URL on standard output.
	_, rest, _ := strings.Cut(stdout.String(), "\n")
	var tf tokenFile
	if err := json.Unmarshal([]byte(rest), &tf); err != nil || tf.AccessToken == "" {
		t.Errorf("stdout after the URL = %q (%v), want the token JSON", rest, err)
	}
}

func TestAuthorizeFailures(t *testing.T) {
	dir, k := keyDir(t)
	other := fixedKey(t, "rsa2048-b.pem")
	tests := []struct {
		name     string
		setup    func(j *fakeJira)
		consumer string
		extra    []string
		want     string
	}{
		{"wrong public key in Jira", func(j *fakeJira) {
			pub, _ := keys.MarshalPublicKey(&other.PublicKey)
			if err := j.AddConsumer("my-integration", "x", pub, ""); err != nil {
				t.Fatal(err)
			}
		}, "my-integration", nil, "this private key's public key: SHA256:"},
		{"unknown consumer key", nil, "no-such-key", nil, "[consumer_key_unknown]"},
		{"clock skew", func(j *fakeJira) { j.SetFaults(jiratest.Faults{ClockOffset: time.Hour}) }, "my-integration", nil, "[timestamp_refused]"},
		{"SSO page", func(j *fakeJira) { j.SetFaults(jiratest.Faults{SSOPage: true}) }, "my-integration", nil, "[html_page]"},
		{"5xx", func(j *fakeJira) { j.SetFaults(jiratest.Faults{Status5xx: 502}) }, "my-integration", nil, "[server_error]"},
		{"slow Jira", func(j *fakeJira) { j.SetFaults(jiratest.Faults{Latency: time.Hour}) }, "my-integration", []string{"--timeout", "300ms"}, "[timeout]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := newJira(t, jiratest.Server, &k.PublicKey)
			if tc.setup != nil {
				tc.setup(j)
			}
			args := append([]string{"authorize", "--jira-url", j.srv.URL, "--key-dir", dir, "--consumer-key", tc.consumer, "--service-account", svcUser}, tc.extra...)
			res := runCmd(t, "", args...)
			if res.code != exitFailure {
				t.Fatalf("exit = %d, want 1; stderr:\n%s", res.code, res.stderr)
			}
			if !strings.Contains(res.stderr, tc.want) || !strings.Contains(res.stderr, "what to do:") {
				t.Errorf("stderr lacks %s and a hint:\n%s", tc.want, res.stderr)
			}
			if res.stdout != "" {
				t.Errorf("stdout = %q, want nothing on failure", res.stdout)
			}
		})
	}
}

func TestAuthorizeTimeoutWithoutApproval(t *testing.T) {
	dir, k := keyDir(t)
	j := newJira(t, jiratest.Server, &k.PublicKey)
	_, done := startAuthorize(t, "", "--jira-url", j.srv.URL, "--key-dir", dir,
		"--consumer-key", "my-integration", "--service-account", svcUser, "--timeout", "200ms")
	res := <-done
	if res.code != exitFailure || !strings.Contains(res.stderr, "[timeout]") || !strings.Contains(res.stderr, "allow more time with --timeout") {
		t.Fatalf("exit = %d, want 1 with [timeout] and a hint to raise --timeout; stderr:\n%s", res.code, res.stderr)
	}
}

func TestAuthorizeRejectsForeignCallback(t *testing.T) {
	dir, k := keyDir(t)
	j := newJira(t, jiratest.Server, &k.PublicKey)
	authURL, done := startAuthorize(t, "", "--jira-url", j.srv.URL, "--key-dir", dir,
		"--consumer-key", "my-integration", "--service-account", svcUser, "--out", filepath.Join(t.TempDir(), "t.json"))
	cb, _, err := (&jiratest.Browser{}).Approve(t.Context(), authURL, svcUser, svcPass, true)
	if err != nil {
		t.Fatal(err)
	}
	forged := *cb
	q := forged.Query()
	q.Set("oauth_token", "forged")
	forged.RawQuery = q.Encode()
	resp, err := http.Get(forged.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("forged callback status = %d, want 400", resp.StatusCode)
	}
	resp, err = http.Get(cb.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if res := <-done; res.code != exitOK {
		t.Fatalf("exit = %d after the real callback; stderr:\n%s", res.code, res.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		{},
		{"nope"},
		{"keys"},
		{"config", "--jira-url", "https://x"},
		{"authorize", "--jira-url", "https://x", "--consumer-key", "k", "--service-account", "s"},
		{"authorize", "--jira-url", "https://x", "--key-dir", "a", "--private-key", "b", "--consumer-key", "k", "--service-account", "s"},
		{"serve", "--on-mismatch", "maybe"},
		{"serve", "--session-lifetime", "10s"},
		{"serve", "--trusted-proxy", "proxy.example.com"},
		{"serve", "--public-url", "https://applink.example.com/sub"},
		{"serve", "--public-url", "applink.example.com"},
		{"serve", "--jira-hosts", "https://jira.example.com"},
		{"serve", "--max-connections", "0"},
		{"keys", "--out", "x", "extra"},
	}
	for _, args := range tests {
		if res := runCmd(t, "", args...); res.code != exitUsage {
			t.Errorf("applink %v: exit = %d, want 2", args, res.code)
		}
	}
}

func TestKeysAndConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	res := runCmd(t, "", "keys", "--out", dir)
	if res.code != exitOK || !strings.HasPrefix(res.stdout, "Public key fingerprint: SHA256:") {
		t.Fatalf("keys: exit %d, stdout %q, stderr %s", res.code, res.stdout, res.stderr)
	}
	for name, want := range map[string]os.FileMode{"private.pem": 0o600, "public.pem": 0o644, ".": 0o700} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %o, want %o", name, got, want)
		}
	}
	fingerprint := strings.TrimSpace(strings.TrimPrefix(res.stdout, "Public key fingerprint: "))
	before, _ := os.ReadFile(filepath.Join(dir, "private.pem"))
	if res := runCmd(t, "", "keys", "--out", dir); res.code != exitFailure || !strings.Contains(res.stderr, "key_exists") {
		t.Errorf("second keys without --force: exit %d, stderr %s", res.code, res.stderr)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "private.pem"))
	if !bytes.Equal(before, after) {
		t.Error("keys without --force changed the existing key")
	}

	res = runCmd(t, "", "config", "--jira-url", "https://jira.example.com/jira/", "--key-dir", dir, "--consumer-key", "my-integration", "--json")
	if res.code != exitOK {
		t.Fatalf("config --json: exit %d, stderr %s", res.code, res.stderr)
	}
	var cfg map[string]string
	if err := json.Unmarshal([]byte(res.stdout), &cfg); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"consumer_key", "consumer_name", "public_key", "public_key_fingerprint", "callback_url", "request_token_url", "access_token_url", "authorize_url"} {
		if _, ok := cfg[k]; !ok {
			t.Errorf("config JSON lacks %q", k)
		}
	}
	if cfg["request_token_url"] != "https://jira.example.com/jira/plugins/servlet/oauth/request-token" {
		t.Errorf("request_token_url = %q", cfg["request_token_url"])
	}
	if !strings.HasPrefix(cfg["public_key"], "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("public_key = %q", cfg["public_key"])
	}
	if cfg["public_key_fingerprint"] != fingerprint {
		t.Errorf("public_key_fingerprint = %q, want %q as printed by keys", cfg["public_key_fingerprint"], fingerprint)
	}
	res = runCmd(t, "", "config", "--jira-url", "https://jira.example.com", "--key-dir", dir, "--consumer-key", "my-integration")
	if res.code != exitOK || !strings.Contains(res.stdout, "my-integration") || !strings.Contains(res.stdout, "BEGIN PUBLIC KEY") {
		t.Errorf("config text: exit %d, stdout %s", res.code, res.stdout)
	}
	if res := runCmd(t, "", "config", "--jira-url", "ftp://x", "--key-dir", dir, "--consumer-key", "k"); res.code != exitFailure {
		t.Errorf("config with ftp URL: exit %d, want 1", res.code)
	}
}

func TestAuthorizeChecksPermissions(t *testing.T) {
	dir, k := keyDir(t)
	j := newJira(t, jiratest.Server, &k.PublicKey)
	partial := []string{"BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "TRANSITION_ISSUES",
		"ASSIGN_ISSUES", "ASSIGNABLE_USER", "LINK_ISSUES", "SCHEDULE_ISSUES", "MANAGE_SPRINTS_PERMISSION", "ADD_COMMENTS"}
	j.AddUser(jiratest.User{Name: svcUser, Key: "JIRAUSER10100", Email: "svc@example.com", DisplayName: "Service Account", Password: svcPass,
		Permissions: map[string][]string{
			"ABC": {"BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "TRANSITION_ISSUES", "ASSIGN_ISSUES", "ASSIGNABLE_USER",
				"LINK_ISSUES", "MODIFY_REPORTER", "SCHEDULE_ISSUES", "MANAGE_SPRINTS_PERMISSION", "ADD_COMMENTS"},
			"DEF": partial,
			"":    {"USER_PICKER"},
		}})
	tests := []struct {
		projects string
		code     int
		want     []string
	}{
		{"ABC", exitOK, []string{"ABC        ok (BROWSE_PROJECTS", "global     ok (USER_PICKER)"}},
		{"ABC, DEF", exitPermissions, []string{"DEF        MISSING MODIFY_REPORTER", "Field 'reporter' cannot be set", "Grant what is missing"}},
		{"ABC,nope", exitPermissions, []string{"NOPE       MISSING project_not_visible", "Check the project key"}},
	}
	for _, tc := range tests {
		t.Run(tc.projects, func(t *testing.T) {
			authURL, done := startAuthorize(t, "", "--jira-url", j.srv.URL, "--key-dir", dir, "--consumer-key", "my-integration",
				"--service-account", svcUser, "--out", filepath.Join(t.TempDir(), "t.json"), "--projects", tc.projects)
			approveAndCallback(t, authURL, svcUser, svcPass, true)
			res := <-done
			if res.code != tc.code {
				t.Fatalf("exit = %d, want %d; stderr:\n%s", res.code, tc.code, res.stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
				}
			}
		})
	}
}

func TestAuthorizeCloudEmailUnverifiable(t *testing.T) {
	dir, k := keyDir(t)
	j := newJira(t, jiratest.Cloud, &k.PublicKey)
	j.AddUser(jiratest.User{Name: svcUser, AccountID: "acc-svc", Email: "svc@example.com", DisplayName: "Service Account", Password: svcPass, HideEmail: true})
	out := filepath.Join(t.TempDir(), "token.json")
	authURL, done := startAuthorize(t, "", "--jira-url", j.srv.URL, "--key-dir", dir,
		"--consumer-key", "my-integration", "--service-account", "svc@example.com", "--out", out)
	approveAndCallback(t, authURL, svcUser, svcPass, true)
	res := <-done
	if res.code != exitMismatch || !strings.Contains(res.stderr, "["+string(oauth.CodeApproverUnverifiable)+"]") || !strings.Contains(res.stderr, "acc-svc") {
		t.Fatalf("exit = %d, want 3 with the approver_unverifiable notice naming the account id; stderr:\n%s", res.code, res.stderr)
	}
	if strings.Contains(res.stderr, string(oauth.CodeWrongApprover)) {
		t.Errorf("an unconfirmed approver is reported as the wrong account:\n%s", res.stderr)
	}
	tf := readTokenFile(t, out)
	if tf.IdentityCheck != oauth.VerdictUnverifiable || tf.AuthorizedAs.AccountID != "acc-svc" || tf.Notice == nil || tf.Notice.Severity != oauth.SeverityWarning {
		t.Errorf("token file identity_check %q, authorized_as %+v, notice %+v", tf.IdentityCheck, tf.AuthorizedAs, tf.Notice)
	}
}
