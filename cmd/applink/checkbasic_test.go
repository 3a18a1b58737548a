package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

const apiToken = "cloud-api-token-1"

// basicJira is a simulated Jira whose service account holds the sync's
// permissions on ABC and GHI (whose Bug screen lacks Reporter), all but
// MODIFY_REPORTER on DEF, and USER_PICKER.
func basicJira(t *testing.T, opts jiratest.Options) string {
	t.Helper()
	partial := slices.DeleteFunc(slices.Clone(oauth.SyncPermissions), func(k string) bool { return k == "MODIFY_REPORTER" })
	j, srv := jiratest.NewServer(t, opts,
		jiratest.User{Name: svcUser, Key: "JIRAUSER10100", AccountID: "5b10ac8d82e05b22cc7d4ef5", Email: "svc@example.com",
			DisplayName: "Service Account", Password: svcPass, APIToken: apiToken,
			Permissions: map[string][]string{"ABC": oauth.SyncPermissions, "DEF": partial, "GHI": oauth.SyncPermissions, "": {"USER_PICKER"}}},
		jiratest.User{Name: adminUser, Key: "JIRAUSER10000", Email: "alex@example.com", DisplayName: "Alex Admin", Password: adminPass})
	j.HideReporter("GHI", "Bug")
	return srv.URL
}

// runBasic runs `applink check` with JIRA_PASSWORD set to password.
func runBasic(t *testing.T, password string, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == "JIRA_PASSWORD" {
			return password
		}
		return ""
	}
	code := runCheck(t.Context(), args, env{getenv: getenv, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	res := runResult{code, stdout.String(), stderr.String()}
	if password != "" && (strings.Contains(res.stdout, password) || strings.Contains(res.stderr, password)) {
		t.Errorf("the password appears in the output:\n%s\n%s", res.stdout, res.stderr)
	}
	return res
}

func TestCheckBasic(t *testing.T) {
	server := basicJira(t, jiratest.Options{Flavor: jiratest.Server})
	dc8 := basicJira(t, jiratest.Options{Flavor: jiratest.DataCenter, Version: "8.13.0"})
	cloud := basicJira(t, jiratest.Options{Flavor: jiratest.Cloud})
	tests := []struct {
		name, url, user, password, sa, projects string
		code                                    int
		want                                    []string
		verdict                                 oauth.Verdict
	}{
		{"service account, every permission", server, svcUser, svcPass, svcUser, "ABC", exitOK,
			[]string{"acts as Service Account (svc-jira): the designated service account", "ABC        ok (BROWSE_PROJECTS", "global     ok (USER_PICKER)"}, oauth.VerdictMatch},
		{"missing permission", server, svcUser, svcPass, svcUser, "abc,DEF", exitPermissions,
			[]string{"DEF        MISSING MODIFY_REPORTER: Field 'reporter' cannot be set", "Project settings > Permissions"}, oauth.VerdictMatch},
		{"reporter off screen, Jira 9 createmeta", server, svcUser, svcPass, svcUser, "GHI", exitPermissions,
			[]string{"GHI        MISSING reporter_not_on_screen: Field 'reporter' cannot be set on Bug issues"}, oauth.VerdictMatch},
		{"reporter off screen, old createmeta", dc8, svcUser, svcPass, svcUser, "GHI", exitPermissions,
			[]string{"MISSING reporter_not_on_screen"}, oauth.VerdictMatch},
		{"unknown project", server, svcUser, svcPass, svcUser, "NOPE", exitPermissions,
			[]string{"NOPE       MISSING project_not_visible"}, oauth.VerdictMatch},
		{"someone else's login", server, adminUser, adminPass, svcUser, "ABC", exitMismatch,
			[]string{"WARNING [wrong_approver]", "Alex Admin", "permission audit was skipped", "another account's permissions say nothing of the service account's"}, oauth.VerdictMismatch},
		{"cloud API token", cloud, "svc@example.com", apiToken, "5b10ac8d82e05b22cc7d4ef5", "ABC,GHI", exitPermissions,
			[]string{"ABC        ok", "GHI        MISSING reporter_not_on_screen"}, oauth.VerdictMatch},
		{"cloud, service account named by username", cloud, "svc@example.com", apiToken, svcUser, "", exitMismatch,
			[]string{"CHECK [approver_unverifiable]"}, oauth.VerdictUnverifiable},
		{"wrong password", server, svcUser, "wrong-password", svcUser, "", exitFailure,
			[]string{"[basic_auth_failed]", "CAPTCHA"}, ""},
		{"cloud account password instead of an API token", cloud, "svc@example.com", svcPass, svcUser, "", exitFailure,
			[]string{"[basic_auth_failed]", "API token"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"--jira-url", tc.url, "--basic-user", tc.user, "--password-env", "JIRA_PASSWORD", "--service-account", tc.sa}
			if tc.projects != "" {
				args = append(args, "--projects", tc.projects)
			}
			text := runBasic(t, tc.password, args...)
			if text.code != tc.code || strings.Contains(text.stdout, "{") {
				t.Errorf("without --json: exit %d, want %d, and no JSON; stdout:\n%s", text.code, tc.code, text.stdout)
			}
			res := runBasic(t, tc.password, append(args, "--json")...)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", res.code, tc.code, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
			if tc.verdict == "" {
				if res.stdout != "" {
					t.Errorf("stdout after a failure: %s", res.stdout)
				}
				return
			}
			var rep checkReport
			if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
				t.Fatalf("stdout is not the report: %v\n%s", err, res.stdout)
			}
			if n := rep.Notice; n != nil {
				for _, tokenWord := range []string{"approv", "revoke"} {
					if strings.Contains(strings.ToLower(n.Message+n.Hint), tokenWord) {
						t.Errorf("the notice of a login speaks of a token (%q): %s %s", tokenWord, n.Message, n.Hint)
					}
				}
			}
			if rep.IdentityCheck != tc.verdict || (tc.projects != "" && tc.verdict == oauth.VerdictMatch && rep.Permissions == nil) {
				t.Errorf("report %+v", rep)
			}
		})
	}
}

// TestCheckBasicCaptcha: after jiratest.MaxLoginFailures wrong passwords,
// Jira Server refuses even the right one until the CAPTCHA is answered.
func TestCheckBasicCaptcha(t *testing.T) {
	url := basicJira(t, jiratest.Options{})
	args := []string{"--jira-url", url, "--basic-user", svcUser, "--password-env", "JIRA_PASSWORD", "--service-account", svcUser}
	for range jiratest.MaxLoginFailures {
		if res := runBasic(t, "wrong", args...); res.code != exitFailure {
			t.Fatalf("exit %d", res.code)
		}
	}
	res := runBasic(t, svcPass, args...)
	if res.code != exitFailure || !strings.Contains(res.stderr, "[captcha_required]") {
		t.Fatalf("exit %d, want 1 with captcha_required:\n%s", res.code, res.stderr)
	}
}

func TestCheckBasicUsage(t *testing.T) {
	full := []string{"--jira-url", "http://127.0.0.1:1", "--basic-user", svcUser, "--password-env", "JIRA_PASSWORD", "--service-account", svcUser}
	tests := []struct {
		name     string
		password string
		args     []string
		want     string
	}{
		{"no password in the environment", "", full, "JIRA_PASSWORD named by --password-env is empty"},
		{"no user", "pw", []string{"--jira-url", "http://x", "--password-env", "JIRA_PASSWORD", "--service-account", "s"}, "missing --basic-user"},
		{"no variable", "pw", []string{"--jira-url", "http://x", "--basic-user", "u", "--service-account", "s"}, "missing --password-env"},
		{"password as a flag", "pw", append(full, "--password", "secret"), "unknown flag --password"},
		{"bad URL", "pw", []string{"--jira-url", "ftp://x", "--basic-user", "u", "--password-env", "JIRA_PASSWORD", "--service-account", "s"}, "[bad_base_url]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runBasic(t, tc.password, tc.args...)
			if res.code != exitUsage || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("exit %d, want 2 with %q:\n%s", res.code, tc.want, res.stderr)
			}
		})
	}
}

// TestCheckDispatchesBasicUser: `applink check --basic-user` is the Basic
// authentication check, with its own required flags.
func TestCheckDispatchesBasicUser(t *testing.T) {
	for _, args := range [][]string{{"check", "--basic-user", "svc"}, {"check", "--basic-user=svc"}} {
		res := runCmd(t, "", args...)
		if res.code != exitUsage || !strings.Contains(res.stderr, "--password-env") || strings.Contains(res.stderr, "--key-dir") {
			t.Errorf("%q: exit %d, stderr:\n%s", args, res.code, res.stderr)
		}
	}
}
