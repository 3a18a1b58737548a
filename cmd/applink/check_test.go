package main

import (
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	other, err := keys.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
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
