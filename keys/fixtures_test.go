package keys

import (
	"crypto/rsa"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/applink/applink/fault"
)

// fixtureDir holds fixed test keys made once with openssl and ssh-keygen;
// see its README.
var fixtureDir = filepath.Join("..", "testdata", "keys")

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	return b
}

// fixtureKey is the 2048-bit key of rsa2048-pkcs8.pem (and of every other
// rsa2048-* fixture).
var fixtureKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(filepath.Join(fixtureDir, "rsa2048-pkcs8.pem"))
	if err != nil {
		return nil, err
	}
	return ParsePrivateKey(b)
})

func testKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := fixtureKey()
	if err != nil {
		t.Fatalf("fixture key: %v", err)
	}
	return k
}

// otherPublicKey is the public half of a second, different RSA key (1024
// bits, for mismatches only).
func otherPublicKey(t testing.TB) *rsa.PublicKey {
	t.Helper()
	pub, err := ParsePublicKey(fixture(t, "rsa1024-public.pem"))
	if err != nil {
		t.Fatalf("fixture public key: %v", err)
	}
	return pub
}

// wantCode checks that err is a *fault.Error with the given code.
func wantCode(t *testing.T, err error, code fault.Code) *fault.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	e, ok := fault.As(err)
	if !ok {
		t.Fatalf("got %T %v, want a *fault.Error %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("got code %s (%v), want %s", e.Code, e, code)
	}
	if e.Message == "" {
		t.Errorf("error %s has no message", code)
	}
	return e
}

// keyMaterial returns chunks of base64 text from the PEM bodies of data:
// none of them may ever appear in an error.
func keyMaterial(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= 40 && !strings.HasPrefix(line, "-----") && !strings.Contains(line, ":") {
			out = append(out, line[8:32])
		}
	}
	return out
}

func assertNoKeyMaterial(t *testing.T, err error, input []byte) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for e := err; e != nil; {
		msg += "\n" + e.Error()
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
	for _, chunk := range keyMaterial(input) {
		if strings.Contains(msg, chunk) {
			t.Fatalf("error holds key material %q: %s", chunk, msg)
		}
	}
}
