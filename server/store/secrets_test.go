package store

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/applink/applink/fault"
)

func TestAdminToken(t *testing.T) {
	s := openStore(t)
	tok, created, err := s.AdminToken()
	if err != nil || !created {
		t.Fatalf("AdminToken = %v, %v; want created", created, err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 32 {
		t.Errorf("token %d characters is not 32 bytes of base64url (%v)", len(tok), err)
	}
	again, created, err := s.AdminToken()
	if err != nil || created || again != tok {
		t.Errorf("second AdminToken: created %v, same %v, %v", created, again == tok, err)
	}
	data, err := os.ReadFile(filepath.Join(s.Dir(), "admin-token"))
	if err != nil || strings.TrimSpace(string(data)) != tok {
		t.Errorf("admin-token holds %q (%v)", data, err)
	}

	other := openStore(t)
	tok2, _, err := other.AdminToken()
	if err != nil || tok2 == tok {
		t.Errorf("two folders have the same admin token (%v)", err)
	}
}

func TestAdminTokenFromFile(t *testing.T) {
	for _, tc := range []struct {
		what, content, want string
		code                fault.Code
	}{
		{"hand written", "  my-own-token-0123456789abcdefghij\n", "my-own-token-0123456789abcdefghij", ""},
		{"31 characters", "0123456789abcdef0123456789abcde", "", CodeCorrupt},
		{"control character", "0123456789abcdef\x010123456789abcdef", "", CodeCorrupt},
		{"empty", "\n", "", CodeCorrupt},
		{"short", "abc\n", "", CodeCorrupt},
		{"two lines", "0123456789abcdef\n0123456789abcdef\n", "", CodeCorrupt},
		{"inner space", "0123456789 abcdef", "", CodeCorrupt},
	} {
		t.Run(tc.what, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "admin-token")
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			s := openAt(t, dir)
			tok, created, err := s.AdminToken()
			wantCode(t, "AdminToken", err, tc.code)
			if tok != tc.want || created {
				t.Errorf("AdminToken = %q, created %v; want %q", tok, created, tc.want)
			}
			after, _ := os.ReadFile(p)
			if string(after) != tc.content {
				t.Errorf("admin-token was rewritten to %q", after)
			}
			if err != nil {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not name %s", err, p)
				}
				if strings.TrimSpace(tc.content) != "" && strings.Contains(err.Error(), strings.TrimSpace(tc.content)) {
					t.Errorf("error %q shows the file's content", err)
				}
				return
			}
			fi, err := os.Stat(p)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("a hand-written admin-token was left with mode %v (%v), want 0600", fi.Mode().Perm(), err)
			}
		})
	}
}

func TestSessionKeys(t *testing.T) {
	s := openStore(t)
	hk, ek, err := s.SessionKeys()
	if err != nil {
		t.Fatal(err)
	}
	if len(hk) != 64 || len(ek) != 32 {
		t.Fatalf("key lengths %d and %d, want 64 and 32", len(hk), len(ek))
	}
	if bytes.Equal(hk[:32], ek) || bytes.Equal(hk, make([]byte, 64)) {
		t.Error("keys are not random")
	}
	hk[0] ^= 0xff // a returned slice is the caller's own
	hk2, ek2, err := s.SessionKeys()
	if err != nil || bytes.Equal(hk, hk2) || !bytes.Equal(ek, ek2) {
		t.Errorf("second SessionKeys returned other keys or a shared slice (%v)", err)
	}

	p := filepath.Join(s.Dir(), "session-keys")
	for _, content := range []string{"", "{}", `{"hash_key":"AAAA","encryption_key":"AAAA"}`, "not json"} {
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.SessionKeys()
		wantCode(t, "SessionKeys of "+content, err, CodeCorrupt)
		if err != nil && !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not name %s", err, p)
		}
		if after, _ := os.ReadFile(p); string(after) != content {
			t.Errorf("a damaged session-keys file was rewritten")
		}
	}
}
