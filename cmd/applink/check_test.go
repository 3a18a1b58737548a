package main

import (
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// TestCheck: each failure the preflight names, produced by the simulated
// Jira, gets its code and exit 1 from `applink check --json`; a healthy
// link exits 0.
func TestCheck(t *testing.T) {
	dir, key := keyDir(t)
	other := fixedKey(t, "rsa2048-b.pem")
	tests := []struct {
		name  string
		setup func(t *testing.T, j *fakeJira) (jiraURL string, extra []string)
		want  oauth.Code
	}{
		{name: "healthy", setup: func(t *testing.T, j *fakeJira) (string, []string) { return j.srv.URL, nil }},
		{name: "unreachable", want: oauth.CodeConnectionRefused, setup: func(t *testing.T, j *fakeJira) (string, []string) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ln.Close()
			return "http://" + ln.Addr().String(), nil
		}},
		{name: "tls", want: oauth.CodeTLS, setup: func(t *testing.T, j *fakeJira) (string, []string) {
			srv := httptest.NewTLSServer(j.Jira)
			t.Cleanup(srv.Close)
			return srv.URL, nil
		}},
		{name: "tls with --ca-file", setup: func(t *testing.T, j *fakeJira) (string, []string) {
			srv := httptest.NewTLSServer(j.Jira)
			t.Cleanup(srv.Close)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
				t.Fatal(err)
			}
			return srv.URL, []string{"--ca-file", ca}
		}},
		{name: "html_response", want: oauth.CodeHTMLPage, setup: func(t *testing.T, j *fakeJira) (string, []string) {
			j.SetFaults(jiratest.Faults{SSOPage: true})
			return j.srv.URL, nil
		}},
		{name: "not_found", want: oauth.CodeNotFound, setup: func(t *testing.T, j *fakeJira) (string, []string) { return j.srv.URL + "/jira", nil }},
		{name: "base_url_mismatch", want: oauth.CodeBaseURLMismatch, setup: func(t *testing.T, j *fakeJira) (string, []string) {
			j.SetFaults(jiratest.Faults{BaseURL: "https://jira.example.com"})
			return j.srv.URL, nil
		}},
		{name: "clock_skew", want: oauth.CodeClockSkew, setup: func(t *testing.T, j *fakeJira) (string, []string) {
			j.SetFaults(jiratest.Faults{ClockOffset: 2 * time.Minute})
			return j.srv.URL, nil
		}},
		{name: "consumer_key_unknown", want: oauth.CodeConsumerKeyUnknown, setup: func(t *testing.T, j *fakeJira) (string, []string) {
			j.RemoveConsumer("my-integration")
			return j.srv.URL, nil
		}},
		{name: "signature_invalid", want: oauth.CodeSignatureInvalid, setup: func(t *testing.T, j *fakeJira) (string, []string) {
			pub, err := keys.MarshalPublicKey(&other.PublicKey)
			if err == nil {
				err = j.AddConsumer("my-integration", "My integration", pub, "")
			}
			if err != nil {
				t.Fatal(err)
			}
			return j.srv.URL, nil
		}},
		{name: "signature_method_rejected", want: oauth.CodeSignatureMethodRejected, setup: func(t *testing.T, j *fakeJira) (string, []string) {
			j.SetFaults(jiratest.Faults{RejectRSA: true})
			return j.srv.URL, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJira(t, jiratest.Server, &key.PublicKey)
			jiraURL, extra := tt.setup(t, j)
			args := append([]string{"check", "--jira-url", jiraURL, "--key-dir", dir, "--consumer-key", "my-integration"}, extra...)
			r := runCmd(t, "", append(args, "--json")...)
			var res oauth.PreflightResult
			if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
				t.Fatalf("stdout is not the JSON result: %v\n%s%s", err, r.stdout, r.stderr)
			}
			var got []string
			for _, p := range res.Problems {
				got = append(got, string(p.Code))
				if p.Hint != oauth.Explain(p.Code, oauth.SurfaceCLI) {
					t.Errorf("%s: hint %q, want the CLI's words", p.Code, p.Hint)
				}
			}
			wantExit := exitOK
			if tt.want != "" {
				wantExit = exitFailure
			}
			if strings.Join(got, ",") != string(tt.want) || r.code != wantExit {
				t.Fatalf("exit %d, problems %v; want %d, %q", r.code, got, wantExit, tt.want)
			}
			// For people: each problem with its code and what to do.
			r = runCmd(t, "", args...)
			if tt.want == "" {
				if !strings.Contains(r.stdout, "ok: ") {
					t.Errorf("stdout %q", r.stdout)
				}
			} else if !strings.Contains(r.stderr, "["+string(tt.want)+"]") || !strings.Contains(r.stderr, "what to do: ") {
				t.Errorf("stderr %q", r.stderr)
			}
		})
	}
}

func TestCheckUsage(t *testing.T) {
	for _, args := range [][]string{
		{"check"},
		{"check", "--jira-url", "https://jira.example.com", "--consumer-key", "k"},
		{"check", "--jira-url", "https://jira.example.com", "--key-dir", "d", "--private-key", "f", "--consumer-key", "k"},
		{"check", "--jira-url", "https://jira.example.com", "--key-dir", "d"},
	} {
		if r := runCmd(t, "", args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, r.code, exitUsage)
		}
	}
}

// syncJira is a simulated Jira whose service account holds the sync's
// permissions on ABC and all but MODIFY_REPORTER on DEF.
func syncJira(t *testing.T, k *rsa.PrivateKey) *fakeJira {
	t.Helper()
	j := newJira(t, jiratest.Server, &k.PublicKey)
	partial := slices.DeleteFunc(slices.Clone(oauth.SyncPermissions), func(p string) bool { return p == "MODIFY_REPORTER" })
	j.AddUser(jiratest.User{Name: svcUser, Key: "JIRAUSER10100", Email: "svc@example.com", DisplayName: "Service Account", Password: svcPass,
		Permissions: map[string][]string{"ABC": oauth.SyncPermissions, "DEF": partial, "": {"USER_PICKER"}}})
	return j
}

// authorizeAs runs `applink authorize --out FILE --projects ABC,DEF`,
// approved by user, and returns its result and FILE.
func authorizeAs(t *testing.T, j *fakeJira, dir, user, pass string) (runResult, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "token.json")
	authURL, done := startAuthorize(t, "", "--jira-url", j.srv.URL, "--key-dir", dir, "--consumer-key", "my-integration",
		"--service-account", svcUser, "--out", out, "--projects", "ABC,DEF")
	approveAndCallback(t, authURL, user, pass, true)
	return <-done, out
}

// TestCheckTokenFile: `applink check --token-file` runs the permission
// audit with the token authorize wrote, with authorize's exit codes, as
// text unless --json; it says so when it skips the audit.
func TestCheckTokenFile(t *testing.T) {
	dir, k := keyDir(t)
	j := syncJira(t, k)
	_, svc := authorizeAs(t, j, dir, svcUser, svcPass)
	res, other := authorizeAs(t, j, dir, adminUser, adminPass)
	if res.code != exitMismatch || !strings.Contains(res.stderr, "permission audit was skipped") {
		t.Errorf("authorize approved by another account: exit %d, want 3 and the skipped audit:\n%s", res.code, res.stderr)
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"every permission", []string{"--token-file", svc, "--key-dir", dir, "--projects", "ABC"}, exitOK,
			[]string{"ABC        ok (BROWSE_PROJECTS", "global     ok (USER_PICKER)"}},
		{"missing permission", []string{"--token-file", svc, "--key-dir", dir, "--projects", "ABC,DEF"}, exitPermissions,
			[]string{"DEF        MISSING MODIFY_REPORTER", "then run this check again"}},
		{"no projects: who the token acts as", []string{"--token-file", svc, "--key-dir", dir}, exitOK, []string{"Service Account (svc-jira)"}},
		{"another account's token", []string{"--token-file", other, "--key-dir", dir, "--projects", "ABC"}, exitMismatch,
			[]string{"[wrong_approver]", "permission audit was skipped", "another account's permissions say nothing of the service account's"}},
		{"token file that is not one", []string{"--token-file", filepath.Join(dir, "private.pem"), "--key-dir", dir}, exitFailure, []string{"[bad_input]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, "", append([]string{"check"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, tc.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stdout, "{") {
				t.Errorf("JSON without --json:\n%s", r.stdout)
			}
			tf := readTokenFile(t, svc)
			if strings.Contains(r.stdout+r.stderr, tf.TokenSecret) {
				t.Error("the output shows the token secret")
			}
		})
	}
	r := runCmd(t, "", "check", "--token-file", svc, "--key-dir", dir, "--projects", "ABC,DEF", "--json")
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not the report: %v\n%s", err, r.stdout)
	}
	if r.code != exitPermissions || rep.IdentityCheck != oauth.VerdictMatch || rep.Permissions == nil || rep.Permissions.OK() {
		t.Errorf("exit %d, report %+v", r.code, rep)
	}
	j.RevokeAccessTokens(svcUser)
	if r := runCmd(t, "", "check", "--token-file", svc, "--key-dir", dir, "--projects", "ABC"); r.code != exitFailure || !strings.Contains(r.stderr, "what to do: ") {
		t.Errorf("a revoked token: exit %d, want 1 with what to do:\n%s", r.code, r.stderr)
	}
}

// TestAuthorizeHintNamesACheck: the command authorize --projects names to
// run once the permissions are granted exists, and audits again.
func TestAuthorizeHintNamesACheck(t *testing.T) {
	dir, k := keyDir(t)
	j := syncJira(t, k)
	res, _ := authorizeAs(t, j, dir, svcUser, svcPass)
	_, cmd, ok := strings.Cut(res.stderr, "then check again: applink ")
	if res.code != exitPermissions || !ok {
		t.Fatalf("exit %d, want 4 and the command to run again:\n%s", res.code, res.stderr)
	}
	cmd, _, _ = strings.Cut(cmd, "\n")
	r := runCmd(t, "", strings.Fields(cmd)...)
	if r.code != exitPermissions || !strings.Contains(r.stderr, "DEF        MISSING MODIFY_REPORTER") {
		t.Errorf("applink %s: exit %d, want 4:\n%s", cmd, r.code, r.stderr)
	}
}

// TestCheckHelpListsBothForms: `applink check -h` lists the flags of the
// key, token and Basic-auth forms.
func TestCheckHelpListsBothForms(t *testing.T) {
	r := runCmd(t, "", "check", "-h")
	for _, f := range []string{"--jira-url", "--key-dir", "--private-key", "--consumer-key", "--ca-file", "--json", "--timeout",
		"--token-file", "--projects", "--service-account", "--basic-user", "--password-env"} {
		if !strings.Contains(r.stderr, "\n  "+f+" ") && !strings.Contains(r.stderr, "\n  "+f+"\n") {
			t.Errorf("check -h lacks %s:\n%s", f, r.stderr)
		}
	}
	if r.code != exitOK {
		t.Errorf("exit %d", r.code)
	}
}
