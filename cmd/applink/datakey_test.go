package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/internal/datakey"
)

func TestDatakeyOut(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data.key")
	res := runCmd(t, "", "datakey", "--out", file)
	if res.code != exitOK || !regexp.MustCompile(`^[0-9a-f]{16}\n$`).MatchString(res.stdout) {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v, %v; want 0600", fi, err)
	}
	first, _ := os.ReadFile(file)
	again := runCmd(t, "", "datakey", "--out", file)
	if again.code != exitFailure || !strings.Contains(again.stderr, "[data_key_exists]") {
		t.Errorf("second --out: exit %d, stderr:\n%s", again.code, again.stderr)
	}
	if now, _ := os.ReadFile(file); string(now) != string(first) {
		t.Error("a refused --out changed the key file")
	}
	if forced := runCmd(t, "", "datakey", "--out", file, "--force"); forced.code != exitOK || forced.stdout == res.stdout {
		t.Errorf("--force: exit %d, id %q (was %q)", forced.code, forced.stdout, res.stdout)
	}
	if bad := runCmd(t, "", "datakey", "--rotate", "--data", t.TempDir()); bad.code != exitUsage {
		t.Errorf("--rotate without --new: exit %d", bad.code)
	}
}

// TestDatakeyDemoRotate: the demo's service encrypts its secrets with a
// data key, refuses to start without it, and its link keeps working after
// the key is rotated.
func TestDatakeyDemoRotate(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "demo")
	service := filepath.Join(data, "service")
	key1, key2 := filepath.Join(tmp, "k1"), filepath.Join(tmp, "k2")
	for _, k := range []string{key1, key2} {
		if res := runCmd(t, "", "datakey", "--out", k); res.code != exitOK {
			t.Fatalf("datakey --out: %d %s", res.code, res.stderr)
		}
	}
	demo := func(key ...string) runResult {
		args := []string{"demo", "--once", "--addr", "127.0.0.1:0", "--data", data}
		return runCmd(t, "", append(args, key...)...)
	}
	res := demo("--data-key-file", key1)
	if res.code != exitOK || strings.Contains(res.stderr, "unencrypted") {
		t.Fatalf("demo with a data key: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	m := regexp.MustCompile(`admin token (\S+)`).FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatal("no admin token printed")
	}
	if found := filesHolding(t, service, m[1], "BEGIN PRIVATE KEY", "token_secret"); len(found) > 0 {
		t.Errorf("secrets in the clear with a data key: %v", found)
	}

	// Without the key, or with another: refused at start, saying why.
	if res := demo(); res.code != exitFailure || !strings.Contains(res.stderr, "[data_key_required]") || !strings.Contains(res.stderr, "--data-key-file") {
		t.Errorf("demo without the key: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	if res := demo("--data-key-file", key2); res.code != exitFailure || !strings.Contains(res.stderr, "[data_key_mismatch]") {
		t.Errorf("demo with another key: exit %d, stderr:\n%s", res.code, res.stderr)
	}

	// Not while the folder is in use.
	st, _, err := openDataFolder(service, key1, zerolog.Nop(), &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	rotate := []string{"datakey", "--rotate", "--data", service, "--old", key1, "--new", key2}
	if res := runCmd(t, "", rotate...); res.code != exitFailure || !strings.Contains(res.stderr, "stop applink serve") {
		t.Errorf("rotation while in use: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	st.Close()

	if res := runCmd(t, "", rotate...); res.code != exitOK || !strings.Contains(res.stderr, "Encrypted ") {
		t.Fatalf("rotation: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	if res := demo("--data-key-file", key1); res.code != exitFailure {
		t.Errorf("the old key still opens the folder: exit %d", res.code)
	}
	// The link made under the old key signs and is approved again.
	if res := demo("--data-key-file", key2); res.code != exitOK || !strings.Contains(res.stdout, m[1]) {
		t.Errorf("demo after rotation: exit %d, stderr:\n%s", res.code, res.stderr)
	}
}

func TestServeSaysSecretsUnencrypted(t *testing.T) {
	var stderr strings.Builder
	st, say, err := openDataFolder(t.TempDir(), "", zerolog.Nop(), &stderr)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	say()
	if !strings.Contains(stderr.String(), "stored unencrypted") || !strings.Contains(stderr.String(), "--data-key-file") {
		t.Errorf("stderr = %q", stderr.String())
	}
	// Its secrets are plaintext, which a data key alone refuses: the way
	// to encrypt them names the rotation that encrypts them first.
	if want := "applink datakey --rotate --data " + st.Dir() + " --new FILE"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr = %q; want the step %q", stderr.String(), want)
	}
	dir := t.TempDir()
	if _, _, err := openDataFolder(dir, filepath.Join(dir, "data.key"), zerolog.Nop(), &stderr); fault.CodeOf(err) != datakey.CodeInvalidKey {
		t.Errorf("a key inside the data folder: %v", err)
	}
}

// filesHolding returns the files under dir that hold any of the strings.
func filesHolding(t *testing.T, dir string, secrets ...string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				found = append(found, p+": "+s)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestServeRefusesPlaintextUnderKey: a folder used without a data key is
// refused by serve with one (its plaintext secrets untouched) until the
// migration command, run while the service is stopped, encrypts it.
func TestServeRefusesPlaintextUnderKey(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(t.TempDir(), "data.key")
	if res := runCmd(t, "", "datakey", "--out", key); res.code != exitOK {
		t.Fatal(res.stderr)
	}
	if code, stderr := serveOnce(t, dir, false, noEnv); code != exitOK {
		t.Fatalf("serve without a key: %d %s", code, stderr)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "admin-token"))
	if code, stderr := serveOnce(t, dir, false, noEnv, "--data-key-file", key); code != exitFailure || !strings.Contains(stderr, "[data_key_plaintext]") {
		t.Errorf("serve with a key on a plaintext folder: exit %d, stderr:\n%s", code, stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "admin-token")); string(after) != string(before) {
		t.Error("the refused start changed the admin token's file")
	}
	if res := runCmd(t, "", "datakey", "--rotate", "--data", dir, "--new", key); res.code != exitOK {
		t.Fatalf("migration: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	if code, stderr := serveOnce(t, dir, false, noEnv, "--data-key-file", key); code != exitOK {
		t.Errorf("serve after the migration: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestDataKeyInsideDataFolderThroughLink: a key inside the data folder is
// refused whether the folder is named directly or through a symbolic
// link, and the key file is left as it is.
func TestDataKeyInsideDataFolderThroughLink(t *testing.T) {
	tmp := t.TempDir()
	real, data := filepath.Join(tmp, "real"), filepath.Join(tmp, "data")
	key := filepath.Join(real, "data.key")
	if res := runCmd(t, "", "datakey", "--out", key); res.code != exitOK {
		t.Fatal(res.stderr)
	}
	if err := os.Symlink(real, data); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	want, _ := os.ReadFile(key)
	for _, dir := range []string{real, data} {
		if code, stderr := serveOnce(t, dir, false, noEnv, "--data-key-file", key); code != exitFailure || !strings.Contains(stderr, "inside the data folder") {
			t.Errorf("--data %s: exit %d, stderr:\n%s", dir, code, stderr)
		}
	}
	if got, _ := os.ReadFile(key); string(got) != string(want) {
		t.Error("the key file was changed")
	}
}

// TestServeEncryptedAdminTokenHowToSignIn: with a data key and no
// terminal, serve does not offer to read the (encrypted) admin-token
// file: it says how to sign in with a token of one's own.
func TestServeEncryptedAdminTokenHowToSignIn(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(t.TempDir(), "data.key")
	if res := runCmd(t, "", "datakey", "--out", key); res.code != exitOK {
		t.Fatal(res.stderr)
	}
	code, stderr := serveOnce(t, dir, false, noEnv, "--data-key-file", key)
	if code != exitOK || strings.Contains(stderr, "cat ") || !strings.Contains(stderr, "APPLINK_ADMIN_TOKEN") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
