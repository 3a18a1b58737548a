package keys

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/applink/applink/fault"
)

// addFixtures seeds a fuzz target with every file in testdata/keys.
func addFixtures(f *testing.F) {
	f.Helper()
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(fixtureDir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(""))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n"))
	f.Add([]byte(`-----BEGIN PUBLIC KEY-----\nMAMCAQA=\n-----END PUBLIC KEY-----`))
}

func FuzzParsePrivateKey(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := ParsePrivateKey(data)
		if err != nil {
			if e, ok := fault.As(err); !ok || e.Code == "" || e.Message == "" {
				t.Fatalf("error without a code and message: %#v", err)
			}
			if key != nil {
				t.Fatal("a key along with an error")
			}
			assertNoKeyMaterial(t, err, data)
			return
		}
		if key.N.BitLen() < MinBits {
			t.Fatalf("accepted a %d-bit key", key.N.BitLen())
		}
		out, err := MarshalPrivateKey(key)
		if err != nil {
			t.Fatalf("accepted key does not marshal: %v", err)
		}
		back, err := ParsePrivateKey(out)
		if err != nil {
			t.Fatalf("marshalled key does not parse: %v", err)
		}
		if !back.Equal(key) {
			t.Fatal("round trip changed the key")
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := ParsePublicKey(data)
		if err != nil {
			if e, ok := fault.As(err); !ok || e.Code == "" || e.Message == "" {
				t.Fatalf("error without a code and message: %#v", err)
			}
			if pub != nil {
				t.Fatal("a key along with an error")
			}
			return
		}
		out, err := MarshalPublicKey(pub)
		if err != nil {
			t.Fatalf("accepted key does not marshal: %v", err)
		}
		back, err := ParsePublicKey(out)
		if err != nil {
			t.Fatalf("marshalled key does not parse: %v", err)
		}
		if !back.Equal(pub) {
			t.Fatal("round trip changed the key")
		}
		if Fingerprint(pub) != Fingerprint(back) || Fingerprint(pub) == "" {
			t.Fatal("fingerprint changed or empty")
		}
	})
}
