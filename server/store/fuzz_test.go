package store

import (
	"github.com/applink/applink/oauth"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzCheckName(f *testing.F) {
	for _, n := range append([]string{"prod", "a-b_C9", strings.Repeat("x", 64)}, badNames...) {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := CheckName(name)
		if err == nil {
			if name == "" || len(name) > maxNameLen || name == "." || name == ".." ||
				strings.ContainsAny(name, `/\.`+"\x00") || filepath.Base(name) != name || !filepath.IsLocal(name) {
				t.Errorf("CheckName(%q) accepted an unsafe name", name)
			}
			return
		}
		if codeOf(err) != CodeInvalid {
			t.Errorf("CheckName(%q) = %v, want CodeInvalid", name, err)
		}
		if !utf8.ValidString(err.Error()) {
			t.Errorf("message %q is not valid UTF-8", err)
		}
	})
}

func FuzzDecodeLink(f *testing.F) {
	good, err := marshal(sampleLink("prod"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"state":"new"}`))
	f.Add([]byte(`{"state":"nope"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"state":"new","warnings":null,"authorized_at":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := decodeLink(data)
		if err != nil {
			return
		}
		// What was read can be written and read back.
		again, err := marshal(l)
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		if _, err := decodeLink(again); err != nil {
			t.Errorf("a decoded link does not decode again: %v", err)
		}
	})
}

func FuzzDecodeHandshake(f *testing.F) {
	good, err := marshal(newHandshake("prod", t0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"id":"../../etc/passwd-0123456789","link":"prod","request_token":"x","expires_at":"2025-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"id":"0123456789abcdef0123456789abcdef","link":"../x","request_token":"x","expires_at":"2025-01-01T00:00:00Z"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := decode(data, "handshake", checkHandshake)
		if err != nil {
			if strings.Contains(err.Error(), "token_secret") {
				t.Errorf("error mentions the secret field: %v", err)
			}
			return
		}
		if !validID(h.ID) || CheckName(h.Link) != nil || h.RequestToken == "" || h.ExpiresAt.IsZero() {
			t.Errorf("decode accepted the handshake %+v", h)
		}
		if !filepath.IsLocal(hsPath(h.ID)) || filepath.Dir(hsPath(h.ID)) != handshakesDir {
			t.Errorf("ID %q names a file outside handshakes/", h.ID)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	good, err := marshal(&Token{AccessToken: "at", TokenSecret: "ts", Approval: oauth.Approval{Verdict: oauth.VerdictMatch, ApprovedAt: t0}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"access_token":""}`))
	f.Add([]byte(`{"access_token":"a","token_secret":"SECRET"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := decodeToken(data)
		if err != nil {
			if err.Error() != "not a token record" && err.Error() != "no access token in it" {
				t.Errorf("decodeToken error %q may quote its input", err)
			}
			return
		}
		if tok.AccessToken == "" {
			t.Error("decodeToken accepted a token without access token")
		}
	})
}

func FuzzParseAdminToken(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef\n"))
	f.Add([]byte(""))
	f.Add([]byte("a b"))
	f.Add([]byte("\xff\xfe0123456789abcdef"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := parseAdminToken(data)
		if err != nil {
			// Fixed messages only: the file's content is never quoted.
			switch err.Error() {
			case "it is too long", "it is empty", "it is shorter than 32 characters",
				"it holds white space or control characters; it must be one word on one line":
			default:
				t.Errorf("unexpected error %q", err)
			}
			return
		}
		if len(tok) < minAdminTokenLen || strings.ContainsAny(tok, " \t\r\n") || !utf8.ValidString(tok) {
			t.Errorf("parseAdminToken accepted %q", tok)
		}
	})
}

func FuzzParseSessionKeys(f *testing.F) {
	f.Add([]byte(`{"hash_key":"` + strings.Repeat("A", 88) + `","encryption_key":"` + strings.Repeat("A", 44) + `"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"hash_key":"!!"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := parseSessionKeys(data)
		if err != nil {
			return
		}
		hk, ek := k.HashKey, k.EncryptionKey
		if len(hk) != hashKeyLen || len(ek) != encryptionKeyLen {
			t.Errorf("accepted keys of %d and %d bytes", len(hk), len(ek))
		}
	})
}

func FuzzParseSessions(f *testing.F) {
	f.Add([]byte(`{"sessions":{"` + sessionKey("a") + `":{"token_tag":"t","created_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-01T12:00:00Z"}}}`))
	f.Add([]byte(`{"sessions":{"x":{"expires_at":"2026-01-01T12:00:00Z"}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sessions, err := parseSessions(data)
		if err != nil {
			return
		}
		for k, x := range sessions {
			if len(k) != 64 || x.ExpiresAt.IsZero() {
				t.Errorf("parseSessions kept %q: %+v", k, x)
			}
		}
	})
}
