package keys

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/applink/applink/fault"
)

func TestWriteDirModesAndLoad(t *testing.T) {
	key := testKey(t)
	dir := filepath.Join(t.TempDir(), "new", "keys")
	if err := WriteDir(dir, key, false); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path string
		mode fs.FileMode
	}{
		{dir, 0o700},
		{filepath.Join(dir, PrivateKeyFile), 0o600},
		{filepath.Join(dir, PublicKeyFile), 0o644},
	} {
		fi, err := os.Stat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tt.mode {
			t.Errorf("%s: mode %o, want %o", tt.path, got, tt.mode)
		}
	}
	priv, err := os.ReadFile(filepath.Join(dir, PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(priv, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("private.pem is not PKCS#8: %.30q", priv)
	}
	pub, err := os.ReadFile(filepath.Join(dir, PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := fixture(t, "rsa2048-public.pem"); !bytes.Equal(pub, want) {
		t.Errorf("public.pem differs from the fixture:\n%s", pub)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("folder holds %d entries, want 2 (no temporary files left)", len(entries))
	}

	got, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(key) {
		t.Fatal("LoadDir returned another key")
	}
}

func TestWriteDirKeepsModeOfExistingFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(dir, testKey(t), false); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o755 {
		t.Errorf("existing folder's mode changed to %o", got)
	}
	fi, err = os.Stat(filepath.Join(dir, PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("private.pem mode %o, want 600", got)
	}
}

func TestWriteDirRefusesWithoutForce(t *testing.T) {
	for _, existing := range []string{PrivateKeyFile, PublicKeyFile} {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			old := []byte("an old key the user still needs\n")
			path := filepath.Join(dir, existing)
			if err := os.WriteFile(path, old, 0o600); err != nil {
				t.Fatal(err)
			}
			err := WriteDir(dir, testKey(t), false)
			e := wantCode(t, err, CodeExists)
			if !strings.Contains(e.Message, path) {
				t.Errorf("message %q does not name %s", e.Message, path)
			}
			if !strings.Contains(e.Hint, "--force") {
				t.Errorf("hint %q does not name --force", e.Hint)
			}
			if !errors.Is(err, fs.ErrExist) {
				t.Error("error does not match fs.ErrExist")
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, old) {
				t.Errorf("%s changed", existing)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("folder holds %d entries, want only the existing file", len(entries))
			}
		})
	}
}

func TestWriteDirForceReplacesBoth(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{PrivateKeyFile, PublicKeyFile} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteDir(dir, testKey(t), true); err != nil {
		t.Fatal(err)
	}
	got, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(testKey(t)) {
		t.Fatal("LoadDir returned another key")
	}
	fi, err := os.Stat(filepath.Join(dir, PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("replaced private.pem has mode %o, want 600", got)
	}
}

func TestWriteDirErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if e := wantCode(t, WriteDir(file, testKey(t), false), CodeIO); !strings.Contains(e.Message, "is a file, not a key folder") {
		t.Errorf("message %q does not say the folder is a file", e.Message)
	}
	wantCode(t, WriteDir(filepath.Join(file, "keys"), testKey(t), false), CodeIO)
	wantCode(t, WriteDir(t.TempDir(), nil, false), CodeMalformed)
}

func TestLoadDir(t *testing.T) {
	write := func(t *testing.T, dir, name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	otherPub, err := MarshalPublicKey(otherPublicKey(t))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("private key only", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, PrivateKeyFile, fixture(t, "rsa2048-pkcs1.pem"))
		got, err := LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(testKey(t)) {
			t.Fatal("wrong key")
		}
	})
	t.Run("mismatch", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, PrivateKeyFile, fixture(t, "rsa2048-pkcs8.pem"))
		write(t, dir, PublicKeyFile, otherPub)
		key, err := LoadDir(dir)
		if key != nil {
			t.Error("got a key along with the error")
		}
		e := wantCode(t, err, CodeKeyMismatch)
		for _, want := range []string{Fingerprint(&testKey(t).PublicKey), Fingerprint(otherPublicKey(t)), PublicKeyFile} {
			if !strings.Contains(e.Message, want) {
				t.Errorf("message %q does not hold %q", e.Message, want)
			}
		}
	})
	t.Run("missing folder", func(t *testing.T) {
		_, err := LoadDir(filepath.Join(t.TempDir(), "nothing"))
		e := wantCode(t, err, CodeNotFound)
		if !strings.Contains(e.Hint, "applink keys") {
			t.Errorf("hint %q does not say how to make keys", e.Hint)
		}
	})
	t.Run("bad public key", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, PrivateKeyFile, fixture(t, "rsa2048-pkcs8.pem"))
		write(t, dir, PublicKeyFile, fixture(t, "rsa2048-public-pkcs1.pem"))
		_, err := LoadDir(dir)
		e := wantCode(t, err, CodePKCS1Public)
		if !strings.HasPrefix(e.Message, filepath.Join(dir, PublicKeyFile)+": ") {
			t.Errorf("message %q does not start with the file", e.Message)
		}
	})
	t.Run("folder is a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), PrivateKeyFile)
		write(t, filepath.Dir(file), PrivateKeyFile, fixture(t, "rsa2048-pkcs8.pem"))
		_, err := LoadDir(file)
		if e := wantCode(t, err, CodeIO); !strings.Contains(e.Message, "is a file, not a key folder") || !strings.Contains(e.Hint, "--private-key") {
			t.Errorf("got %q (%q); want it to say the folder is a file and how to give a key file", e.Message, e.Hint)
		}
	})
	t.Run("private key is a folder", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, PrivateKeyFile), 0o700); err != nil {
			t.Fatal(err)
		}
		_, err := LoadDir(dir)
		wantCode(t, err, CodeIO)
	})
}

func TestLoadPrivateKeyFileNamesTheFile(t *testing.T) {
	path := filepath.Join(fixtureDir, "ec-p256-pkcs8.pem")
	_, err := LoadPrivateKeyFile(path)
	e := wantCode(t, err, CodeNotRSA)
	if !strings.HasPrefix(e.Message, path+": ") {
		t.Errorf("message %q does not start with the file", e.Message)
	}
	if _, err := LoadPrivateKeyFile(filepath.Join(fixtureDir, "rsa2048-pkcs1.pem")); err != nil {
		t.Fatal(err)
	}
}

func TestLoadPublicKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		files   map[string]string // file name → fixture
		dir     string            // instead of a new folder with files
		want    *rsa.PublicKey
		code    fault.Code
		message string
	}{
		{name: "private.pem present", files: map[string]string{PrivateKeyFile: "rsa2048-pkcs8.pem", PublicKeyFile: "rsa2048-public.pem"}, want: &testKey(t).PublicKey},
		{name: "private.pem only", files: map[string]string{PrivateKeyFile: "rsa2048-pkcs1.pem"}, want: &testKey(t).PublicKey},
		{name: "only public.pem", files: map[string]string{PublicKeyFile: "rsa1024-public.pem"}, want: otherPublicKey(t)},
		{name: "neither", code: CodeNotFound, message: "no private.pem nor public.pem"},
		{name: "damaged public.pem", files: map[string]string{PublicKeyFile: "rsa2048-pkcs8.pem"}, code: CodeWrongKind, message: PublicKeyFile + ": "},
		{name: "dir is a file", dir: file, code: CodeIO, message: "is a file, not a key folder"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir
			if dir == "" {
				dir = t.TempDir()
			}
			for name, fix := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), fixture(t, fix), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LoadPublicKey(dir)
			if tt.want != nil {
				if err != nil || !tt.want.Equal(got) {
					t.Fatalf("got %v, %v; want the key %s", got, err, Fingerprint(tt.want))
				}
				return
			}
			if e := wantCode(t, err, tt.code); got != nil || !strings.Contains(e.Message, tt.message) {
				t.Errorf("got %v, %q; want no key and a message holding %q", got, e.Message, tt.message)
			}
		})
	}
}
