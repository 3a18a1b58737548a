package datakey

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/applink/applink/fault"
)

func TestSealDecryptRoundTrip(t *testing.T) {
	k := New()
	plain := []byte("-----BEGIN PRIVATE KEY-----\nsecret\n")
	sealed := k.Seal("links/prod/private.pem", plain)
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("the sealed file holds the plaintext")
	}
	if !bytes.HasPrefix(sealed, []byte("applink-encrypted v1 aes-256-gcm key="+k.ID()+"\n")) {
		t.Errorf("header = %q", sealed[:min(len(sealed), 60)])
	}
	got, err := Decrypt("links/prod/private.pem", sealed, New(), k)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Decrypt = %q, %v; want the plaintext", got, err)
	}
	if again := k.Seal("links/prod/private.pem", plain); bytes.Equal(again, sealed) {
		t.Error("two seals of the same content are equal: the nonce is not fresh")
	}
	// Plaintext passes through without keys, and is refused with one.
	if got, err := Decrypt("admin-token", []byte("tok\n")); err != nil || string(got) != "tok\n" {
		t.Errorf("plaintext: %q, %v", got, err)
	}
	if got, err := Decrypt("admin-token", []byte("tok\n"), k); got != nil || !fault.Is(err, CodePlaintext) {
		t.Errorf("plaintext with a key: %q, %v; want %s", got, err, CodePlaintext)
	}
}

func TestDecryptRefusals(t *testing.T) {
	k := New()
	sealed := k.Seal("links/a/token.json", []byte(`{"token_secret":"s"}`))
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	otherHeader := bytes.Replace(sealed, []byte(k.ID()), []byte(New().ID()), 1)
	for _, tc := range []struct {
		name string
		path string
		data []byte
		keys []*Key
		code fault.Code
	}{
		{"no key", "links/a/token.json", sealed, nil, CodeRequired},
		{"wrong key", "links/a/token.json", sealed, []*Key{New()}, CodeMismatch},
		{"moved to another file", "links/b/token.json", sealed, []*Key{k}, CodeDamaged},
		{"a bit flipped", "links/a/token.json", flipped, []*Key{k}, CodeDamaged},
		{"cut short", "links/a/token.json", sealed[:len(sealed)-5], []*Key{k}, CodeDamaged},
		{"header only", "links/a/token.json", header(k.ID()), []*Key{k}, CodeDamaged},
		{"header names another key", "links/a/token.json", otherHeader, []*Key{k}, CodeMismatch},
		{"malformed header", "x", []byte("applink-encrypted v2 key=zz\n"), []*Key{k}, CodeDamaged},
		{"upper-case id", "x", []byte("applink-encrypted v1 aes-256-gcm key=ABCDEF0123456789\n"), []*Key{k}, CodeDamaged},
	} {
		got, err := Decrypt(tc.path, tc.data, tc.keys...)
		if fault.CodeOf(err) != tc.code || got != nil {
			t.Errorf("%s: %q, %v; want code %s", tc.name, got, err, tc.code)
		}
	}
	_, err := Decrypt("links/a/token.json", sealed)
	if !strings.Contains(err.Error(), k.ID()) || !strings.Contains(err.Error(), "--data-key-file") {
		t.Errorf("no-key error names neither the key id nor the flag: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "data.key")
	k := New()
	if err := Write(path, k, false); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v; want 0600", fi.Mode(), err)
	}
	got, err := Load(path)
	if err != nil || got.ID() != k.ID() || !bytes.Equal(got.raw, k.raw) {
		t.Fatalf("Load = %v, %v; want the key written", got, err)
	}
	if printed, want := fmt.Sprintf("%v|%+v|%#v|%s", k, k, k, k), strings.Repeat("|data key "+k.ID(), 4)[1:]; printed != want {
		t.Errorf("a printed key reads %q, want %q: its id, never the key", printed, want)
	}
	other := New()
	if err := Write(path, other, false); fault.CodeOf(err) != CodeKeyExists {
		t.Errorf("Write over a key without force: %v, want %s", err, CodeKeyExists)
	}
	if got, _ := Load(path); got.ID() != k.ID() {
		t.Error("a refused Write changed the file")
	}
	if err := Write(path, other, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := Load(path); got.ID() != other.ID() {
		t.Error("Write with force did not replace the key")
	}
	// A changed id, a short key, another file: refused, naming the file, never quoting the key.
	data := other.marshal()
	for name, bad := range map[string][]byte{
		"changed id": bytes.Replace(data, []byte(other.ID()), []byte(k.ID()), 1),
		"short key":  []byte(keyHeader + "\nid " + other.ID() + "\nkey AAAA\n"),
		"a PEM file": []byte("-----BEGIN PRIVATE KEY-----\n"),
		"empty":      nil,
	} {
		p := filepath.Join(dir, "bad.key")
		if err := os.WriteFile(p, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if fault.CodeOf(err) != CodeInvalidKey || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v; want %s naming the file", name, err, CodeInvalidKey)
		}
		if err != nil && strings.Contains(err.Error(), base64Of(other)) {
			t.Errorf("%s: the error quotes the key", name)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing")); fault.CodeOf(err) != CodeInvalidKey {
		t.Errorf("missing file: %v", err)
	}
}

// base64Of returns the key's base64 form, as in its file.
func base64Of(k *Key) string {
	_, after, _ := strings.Cut(string(k.marshal()), "\nkey ")
	return strings.TrimSpace(after)
}

// fuzzKey and fuzzSealed are one key and one file sealed with it.
var (
	fuzzKey    = sync.OnceValue(New)
	fuzzSealed = sync.OnceValue(func() []byte { return fuzzKey().Seal("links/l/token.json", []byte(`{"access_token":"a"}`)) })
)

// FuzzDecrypt: the encrypted-file parser never panics, and accepts no
// encrypted file but the one sealed: every change to it is refused.
func FuzzDecrypt(f *testing.F) {
	f.Add(fuzzSealed())
	f.Add([]byte("applink-encrypted v1 aes-256-gcm key=0000000000000000\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decrypt("links/l/token.json", data, fuzzKey())
		_, encrypted, _ := KeyID(data)
		switch {
		case err != nil:
		case !encrypted && !bytes.Equal(got, data):
			t.Fatal("plaintext changed")
		case encrypted && !bytes.Equal(data, fuzzSealed()):
			t.Fatalf("accepted a changed encrypted file: %q", data)
		}
	})
}

// FuzzParse: the key-file parser never panics, and a key it accepts
// writes back to a file that parses to the same key.
func FuzzParse(f *testing.F) {
	f.Add(New().marshal())
	f.Add([]byte(keyHeader + "\nid 0\nkey AAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := parse(data)
		if err != nil {
			return
		}
		again, err := parse(k.marshal())
		if err != nil || again.ID() != k.ID() {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// BenchmarkDecrypt decrypts a token file's worth (600 bytes): the part of
// a read that a data key adds.
func BenchmarkDecrypt(b *testing.B) {
	k := New()
	sealed := k.Seal("links/prod/token.json", bytes.Repeat([]byte("t"), 600))
	b.SetBytes(600)
	for b.Loop() {
		if _, err := Decrypt("links/prod/token.json", sealed, k); err != nil {
			b.Fatal(err)
		}
	}
}
