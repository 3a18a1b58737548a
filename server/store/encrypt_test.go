package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/internal/datakey"
	"github.com/applink/applink/keys"
)

// openKeyed opens dir with data keys, closed at the end of the test.
func openKeyed(t *testing.T, dir string, dataKeys ...*datakey.Key) *Store {
	t.Helper()
	s, err := Open(dir, dataKeys...)
	if err != nil {
		t.Fatalf("Open(%s) with %d keys: %v", dir, len(dataKeys), err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fill saves into s every kind of secret the data folder holds (links
// with their keys and tokens, a pending handshake, the admin token, the
// session keys) and returns each secret, in every form it could be
// written in.
func fill(t *testing.T, s *Store, links int) (secrets []string) {
	t.Helper()
	pemKey, err := keys.MarshalPrivateKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	for l := range strings.Lines(string(pemKey)) {
		if !strings.HasPrefix(l, "-----") {
			secrets = append(secrets, strings.TrimSpace(l)) // each line of the PEM body
		}
	}
	for i := range links {
		name := fmt.Sprintf("link%d", i)
		createLink(t, s, name)
		tok := &Token{AccessToken: "access-" + randomHex(8), TokenSecret: "secret-" + randomHex(8), Approval: okApproval}
		if err := s.SaveToken(name, tok); err != nil {
			t.Fatal(err)
		}
		h := newHandshake(name, t0.Add(time.Hour))
		if err := s.SaveHandshake(h); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, tok.AccessToken, tok.TokenSecret, h.TokenSecret)
	}
	admin, _, err := s.AdminToken()
	if err != nil {
		t.Fatal(err)
	}
	hashKey, encKey, err := s.SessionKeys()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range [][]byte{hashKey, encKey} {
		secrets = append(secrets, string(k), base64.StdEncoding.EncodeToString(k), base64.StdEncoding.EncodeToString(k[:12]))
	}
	return append(secrets, admin)
}

// snapshot returns, as JSON, every secret s returns: each link's private
// key and token, the pending handshakes, the admin token, the session keys.
func snapshot(t *testing.T, s *Store) string {
	t.Helper()
	links, err := s.ListLinks()
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	for _, l := range links {
		key, err := s.PrivateKey(l.Name)
		if err != nil {
			t.Fatalf("PrivateKey(%s): %v", l.Name, err)
		}
		tok, err := s.Token(l.Name)
		if err != nil {
			t.Fatalf("Token(%s): %v", l.Name, err)
		}
		h, err := s.LatestHandshake(l.Name)
		if err != nil {
			t.Fatalf("LatestHandshake(%s): %v", l.Name, err)
		}
		out = append(out, l, key.Equal(testKey()), tok, h)
	}
	admin, created, err := s.AdminToken()
	hashKey, encKey, err2 := s.SessionKeys()
	if err != nil || err2 != nil || created {
		t.Fatalf("AdminToken: created %v, %v; SessionKeys: %v", created, err, err2)
	}
	b, err := json.Marshal(append(out, admin, hashKey, encKey))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// secretsFound returns each secret found in any file of dir, the lock and
// leftovers included.
func secretsFound(t *testing.T, dir string, secrets []string) []string {
	t.Helper()
	var found []string
	for rel, content := range readAll(t, dir) {
		for _, sec := range secrets {
			if strings.Contains(content, sec) {
				found = append(found, fmt.Sprintf("%q in %s", sec, rel))
			}
		}
	}
	return found
}

// notUnder returns the secret files of dir that are not encrypted under k.
func notUnder(t *testing.T, dir string, k *datakey.Key) []string {
	t.Helper()
	var bad []string
	for rel, mode := range tree(t, dir) {
		if mode.IsDir() || !isSecret(rel) || strings.HasPrefix(filepath.Base(rel), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if id, _, _ := datakey.KeyID(data); id != k.ID() {
			bad = append(bad, rel)
		}
	}
	return bad
}

func TestEncryptedRoundTripAndNoSecretInTheClear(t *testing.T) {
	k := datakey.New()
	dir := t.TempDir()
	s := openKeyed(t, dir, k)
	secrets := fill(t, s, 3)
	want := snapshot(t, s)
	if found := secretsFound(t, dir, secrets); len(found) > 0 {
		t.Errorf("secrets found in the data folder with a data key: %d\n%s", len(found), strings.Join(found, "\n"))
	}
	if bad := notUnder(t, dir, k); len(bad) > 0 {
		t.Errorf("secret files not encrypted under the data key: %v", bad)
	}
	// Records and public keys stay readable.
	for _, rel := range []string{"links/link0/link.json", "links/link0/public.pem"} {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil || !(bytes.HasPrefix(data, []byte("{")) || bytes.HasPrefix(data, []byte("-----BEGIN PUBLIC KEY"))) {
			t.Errorf("%s is not readable as it was: %.40q, %v", rel, data, err)
		}
	}
	if got := snapshot(t, reopenKeyed(t, s, k)); got != want {
		t.Errorf("after reopening with the key:\n got %s\nwant %s", got, want)
	}
	// Without a key the same test finds them all: the search works.
	plain := openStore(t)
	if found := secretsFound(t, plain.Dir(), fill(t, plain, 1)); len(found) == 0 {
		t.Error("the search finds no secret in a plaintext folder")
	}
}

// reopenKeyed closes s and opens its folder with dataKeys.
func reopenKeyed(t *testing.T, s *Store, dataKeys ...*datakey.Key) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return openKeyed(t, s.Dir(), dataKeys...)
}

func TestOpenRefusesWithoutTheKey(t *testing.T) {
	k := datakey.New()
	dir := t.TempDir()
	s := openKeyed(t, dir, k)
	fill(t, s, 2)
	s.Close()
	before := readAll(t, dir)
	for _, tc := range []struct {
		name string
		keys []*datakey.Key
		code fault.Code
		says []string
	}{
		{"no key", nil, datakey.CodeRequired, []string{k.ID(), "--data-key-file", dir}},
		{"a wrong key", []*datakey.Key{datakey.New()}, datakey.CodeMismatch, []string{k.ID(), dir}},
	} {
		s, err := Open(dir, tc.keys...)
		if err == nil {
			s.Close()
		}
		wantCode(t, tc.name, err, tc.code)
		for _, w := range tc.says {
			if err != nil && !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v does not say %q", tc.name, err, w)
			}
		}
	}
	if after := readAll(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Error("a refused Open changed the data folder")
	}
}

func TestMovedCiphertextRefused(t *testing.T) {
	k := datakey.New()
	s := openKeyed(t, t.TempDir(), k)
	fill(t, s, 2)
	a, err := os.ReadFile(s.abs("links/link0/token.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.abs("links/link1/token.json"), a, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.Token("link1")
	wantCode(t, "link0's token copied to link1", err, datakey.CodeDamaged)
	if err != nil && !strings.Contains(err.Error(), s.abs("links/link1/token.json")) {
		t.Errorf("%v does not name the file", err)
	}
}

func TestMigrationFromPlaintext(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	secrets := fill(t, s, 3)
	want := snapshot(t, s)
	s.Close()
	k := datakey.New()
	// Interrupted after 2 files: every file stays readable, as plaintext
	// or under the key.
	s, err := OpenToEncrypt(dir, k)
	if err != nil {
		t.Fatal(err)
	}
	writes := 0
	s.FailWrites(func(op, _ string) error {
		if op == "write" {
			if writes++; writes > 2 {
				return syscall.ENOSPC
			}
		}
		return nil
	})
	if n, err := s.EncryptSecrets(); n != 2 || codeOf(err) != CodeIO {
		t.Fatalf("interrupted EncryptSecrets = %d, %v; want 2, %s", n, err, CodeIO)
	}
	s.Close()
	if s, err = Open(dir, k); err == nil {
		s.Close()
	}
	wantCode(t, "half-migrated, Open (the rest is still plaintext)", err, datakey.CodePlaintext)
	if s, err = OpenToEncrypt(dir, k); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := snapshot(t, s); got != want {
		t.Errorf("half-migrated folder reads:\n got %s\nwant %s", got, want)
	}
	total := len(notUnder(t, dir, k))
	if n, err := s.EncryptSecrets(); err != nil || n != total {
		t.Fatalf("EncryptSecrets = %d, %v; want %d", n, err, total)
	}
	if n, err := s.EncryptSecrets(); err != nil || n != 0 {
		t.Errorf("EncryptSecrets again = %d, %v; want 0", n, err)
	}
	if found := secretsFound(t, dir, secrets); len(found) > 0 {
		t.Errorf("after migration, secrets in the clear: %v", found)
	}
	if got := snapshot(t, reopenKeyed(t, s, k)); got != want {
		t.Errorf("after migration:\n got %s\nwant %s", got, want)
	}
}

func TestRotationInterruptedThenResumed(t *testing.T) {
	oldKey, newKey := datakey.New(), datakey.New()
	dir := t.TempDir()
	s := openKeyed(t, dir, oldKey)
	secrets := fill(t, s, 3)
	want := snapshot(t, s)
	s = reopenKeyed(t, s, newKey, oldKey)
	const n = 4
	writes := 0
	s.FailWrites(func(op, _ string) error {
		if op == "write" {
			if writes++; writes > n {
				return syscall.ENOSPC
			}
		}
		return nil
	})
	if got, err := s.EncryptSecrets(); got != n || codeOf(err) != CodeIO {
		t.Fatalf("interrupted rotation = %d, %v; want %d, %s", got, err, n, CodeIO)
	}
	s.Close()
	// Half-rotated: neither key alone opens it, and the refusal says what to do.
	for _, k := range []*datakey.Key{oldKey, newKey} {
		s, err := Open(dir, k)
		if err == nil {
			s.Close()
		}
		wantCode(t, "half-rotated, one key", err, datakey.CodeMismatch)
		if err != nil && !strings.Contains(err.Error(), "--rotate") {
			t.Errorf("%v does not say to finish the rotation", err)
		}
	}
	s = openKeyed(t, dir, newKey, oldKey)
	if got := snapshot(t, s); got != want {
		t.Errorf("half-rotated folder reads:\n got %s\nwant %s", got, want)
	}
	total := len(notUnder(t, dir, newKey))
	if got, err := s.EncryptSecrets(); err != nil || got != total {
		t.Fatalf("resumed rotation = %d, %v; want %d", got, err, total)
	}
	if bad := notUnder(t, dir, newKey); len(bad) > 0 {
		t.Errorf("after rotation, not under the new key: %v", bad)
	}
	if found := secretsFound(t, dir, secrets); len(found) > 0 {
		t.Errorf("after rotation, secrets in the clear: %v", found)
	}
	if got := snapshot(t, reopenKeyed(t, s, newKey)); got != want {
		t.Errorf("after rotation, every link:\n got %s\nwant %s", got, want)
	}
	if s, err := Open(dir, oldKey); err == nil {
		s.Close()
		t.Error("the old key still opens the rotated folder")
	}
}

// BenchmarkToken reads a link's token, with and without a data key.
func BenchmarkToken(b *testing.B) {
	for _, tc := range []struct {
		name string
		keys []*datakey.Key
	}{{"plaintext", nil}, {"encrypted", []*datakey.Key{datakey.New()}}} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := Open(b.TempDir(), tc.keys...)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.CreateLink(sampleLink("prod"), testKey()); err != nil {
				b.Fatal(err)
			}
			if err := s.SaveToken("prod", &Token{AccessToken: "at", TokenSecret: "ts", Approval: okApproval}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.Token("prod"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen1000Links opens a data folder of 1,000 approved links with
// a data key: the store's part of start-up (every secret file is read and
// decrypted once).
func BenchmarkOpen1000Links(b *testing.B) {
	for _, tc := range []struct {
		name string
		keys []*datakey.Key
	}{{"plaintext", nil}, {"encrypted", []*datakey.Key{datakey.New()}}} {
		b.Run(tc.name, func(b *testing.B) {
			dir := b.TempDir()
			s, err := Open(dir, tc.keys...)
			if err != nil {
				b.Fatal(err)
			}
			for i := range 1000 {
				name := fmt.Sprintf("link%d", i)
				if err := s.CreateLink(sampleLink(name), testKey()); err != nil {
					b.Fatal(err)
				}
				if err := s.SaveToken(name, &Token{AccessToken: "at", TokenSecret: "ts", Approval: okApproval}); err != nil {
					b.Fatal(err)
				}
			}
			s.Close()
			for b.Loop() {
				s, err := Open(dir, tc.keys...)
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
		})
	}
}

// TestPlaintextRefusedUnderKey: under a data key, a plaintext secret file
// (planted, or left from before the key) is refused at Open, naming the
// file, and left as it is: never used, never encrypted.
func TestPlaintextRefusedUnderKey(t *testing.T) {
	pemKey, err := keys.MarshalPrivateKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, content string }{
		{"links/link0/token.json", `{"access_token":"planted","token_secret":"s","verdict":"match"}`},
		{"links/link0/private.pem", string(pemKey)},
		{"admin-token", "planted-admin-token-0123456789abcdef0123456789"},
		{"session-keys", `{"hash_key":"","encryption_key":""}`},
	} {
		k := datakey.New()
		dir := t.TempDir()
		s := openKeyed(t, dir, k)
		fill(t, s, 1)
		s.Close()
		if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir, k)
		if err == nil {
			s.Close()
		}
		wantCode(t, tc.file, err, datakey.CodePlaintext)
		if err != nil && !strings.Contains(err.Error(), filepath.Join(dir, tc.file)) {
			t.Errorf("%s: %v does not name the file", tc.file, err)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, tc.file)); string(got) != tc.content {
			t.Errorf("%s was changed by the refused Open", tc.file)
		}
	}
}

// TestOlderTokenRefused: under a data key, an older ciphertext of a
// link's token.json put back while the rest is newer is refused, not
// read as the token.
func TestOlderTokenRefused(t *testing.T) {
	k := datakey.New()
	s := openKeyed(t, t.TempDir(), k)
	createLink(t, s, "prod")
	file := s.abs("links/prod/token.json")
	if err := s.SaveToken("prod", &Token{AccessToken: "old", TokenSecret: "s", Approval: okApproval}); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveToken("prod", &Token{AccessToken: "new", TokenSecret: "s", Approval: okApproval}); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Token("prod"); err != nil || tok.AccessToken != "new" {
		t.Fatalf("Token = %+v, %v; want the new one", tok, err)
	}
	if err := os.WriteFile(file, old, 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Token("prod")
	wantCode(t, "an older token.json put back", err, datakey.CodeDamaged)
	if tok != nil {
		t.Errorf("the older token was read: %+v", tok)
	}
	// A save cut short between its writes leaves the old or the new token
	// readable: never neither.
	if err := s.SaveToken("prod", &Token{AccessToken: "new", TokenSecret: "s", Approval: okApproval}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		failAt int // the write that fails: 1 adds the tag, 2 writes the token, 3 drops the older tags
		want   string
	}{{1, "new"}, {2, "new"}, {3, "newer"}} {
		writes := 0
		s.FailWrites(func(op, _ string) error {
			if writes++; writes == tc.failAt {
				return syscall.ENOSPC
			}
			return nil
		})
		err := s.SaveToken("prod", &Token{AccessToken: "newer", TokenSecret: "s", Approval: okApproval})
		s.FailWrites(nil)
		if tok, rerr := s.Token("prod"); rerr != nil || tok.AccessToken != tc.want {
			t.Errorf("write %d failing (SaveToken: %v): Token = %+v, %v; want %q", tc.failAt, err, tok, rerr, tc.want)
		}
		if err := s.SaveToken("prod", &Token{AccessToken: "new", TokenSecret: "s", Approval: okApproval}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOnlyTheStoresFilesAreEncrypted: encrypting a folder touches only
// the files the store writes: a file put there by someone else (a key
// file reached through a symbolic link, notes) is left as it is.
func TestOnlyTheStoresFilesAreEncrypted(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	fill(t, s, 1)
	s.Close()
	others := map[string]string{"data.key": "not ours\n", "links/link0/notes.txt": "mine\n", "handshakes/README": "mine\n"}
	for f, c := range others {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	k := datakey.New()
	s, err := OpenToEncrypt(dir, k)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.EncryptSecrets(); err != nil {
		t.Fatal(err)
	}
	for f, c := range others {
		if got, _ := os.ReadFile(filepath.Join(dir, f)); string(got) != c {
			t.Errorf("%s was changed: %q", f, got)
		}
	}
}

// TestHandshakeIDsNeverShown: an approval's id is a secret: neither a
// refused Open nor a damaged handshake's problem names its file by it.
func TestHandshakeIDsNeverShown(t *testing.T) {
	k := datakey.New()
	dir := t.TempDir()
	s := openKeyed(t, dir, k)
	createLink(t, s, "prod")
	h := newHandshake("prod", t0.Add(time.Hour))
	if err := s.SaveHandshake(h); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Only the handshake is encrypted: the refusal names its file.
	for _, f := range []string{"admin-token", "session-keys", "links/prod/private.pem"} {
		os.Remove(filepath.Join(dir, f))
	}
	_, err := Open(dir)
	wantCode(t, "no key", err, datakey.CodeRequired)
	if err != nil && (strings.Contains(err.Error(), h.ID) || !strings.Contains(err.Error(), "handshakes")) {
		t.Errorf("refused Open: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "handshakes", h.ID+".json"), []byte("{damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir)
	problems := strings.Join(s.Problems(), "\n")
	if strings.Contains(problems, h.ID) || !strings.Contains(problems, "handshakes") {
		t.Errorf("problems: %s", problems)
	}
}
