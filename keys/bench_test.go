package keys

import "testing"

func BenchmarkParsePrivateKey(b *testing.B) {
	for _, name := range []string{"rsa2048-pkcs1.pem", "rsa2048-pkcs8.pem"} {
		data := fixture(b, name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := ParsePrivateKey(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParsePublicKey(b *testing.B) {
	data := fixture(b, "rsa2048-public.pem")
	for b.Loop() {
		if _, err := ParsePublicKey(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFingerprint(b *testing.B) {
	pub := &testKey(b).PublicKey
	for b.Loop() {
		if Fingerprint(pub) == "" {
			b.Fatal("empty fingerprint")
		}
	}
}
