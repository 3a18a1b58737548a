package keys

import (
	"bytes"
	"crypto/rsa"
	"strings"
	"testing"

	"github.com/applink/applink/fault"
)

func TestParsePublicKeyAccepts(t *testing.T) {
	want := &testKey(t).PublicKey
	spki := fixture(t, "rsa2048-public.pem")
	lines := strings.Split(strings.TrimSpace(string(spki)), "\n")
	body := strings.Join(lines[1:len(lines)-1], "\n")
	tests := []struct {
		name string
		in   string
	}{
		{"PEM", string(spki)},
		{"bare base64 body", body},
		{"bare body on one line", strings.Join(lines[1:len(lines)-1], "")},
		{"bare body with spaces and tabs", strings.Join(lines[1:len(lines)-1], " \t ")},
		{"bare body without padding", strings.TrimRight(strings.Join(lines[1:len(lines)-1], ""), "=")},
		{"BEGIN line without END line", lines[0] + "\n" + body},
		{"leading comment", "Our integration's key:\n" + string(spki)},
		{"CRLF", strings.ReplaceAll(string(spki), "\n", "\r\n")},
		{"indented", "  " + strings.ReplaceAll(string(spki), "\n", "\n  ")},
		{"literal \\n escapes", strings.ReplaceAll(strings.TrimSpace(string(spki)), "\n", `\n`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKey([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParsePublicKey: %v", err)
			}
			if !got.Equal(want) {
				t.Fatal("parsed key differs from the fixture key")
			}
		})
	}
}

func TestParsePublicKeyAcceptsShortKeysAsJiraDoes(t *testing.T) {
	pub, err := ParsePublicKey(fixture(t, "rsa1024-public.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if got := pub.N.BitLen(); got != 1024 {
		t.Fatalf("got %d bits, want 1024", got)
	}
}

func TestParsePublicKeyErrors(t *testing.T) {
	body := func(b []byte) []byte {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		return []byte(strings.Join(lines[1:len(lines)-1], "\n"))
	}
	spki := fixture(t, "rsa2048-public.pem")
	tests := []struct {
		name    string
		in      []byte
		code    fault.Code
		hintHas string
		msgHas  string
	}{
		{"PKCS#1 public key", fixture(t, "rsa2048-public-pkcs1.pem"), CodePKCS1Public, "openssl rsa -RSAPublicKey_in -in pub.pem -pubout", "PKCS#1"},
		{"PKCS#1 body without header lines", body(fixture(t, "rsa2048-public-pkcs1.pem")), CodePKCS1Public, "-RSAPublicKey_in", "PKCS#1"},
		{"certificate", fixture(t, "rsa2048-cert.pem"), CodeWrongKind, "openssl x509", "certificate"},
		{"certificate body", body(fixture(t, "rsa2048-cert.pem")), CodeWrongKind, "openssl x509", "certificate"},
		{"PKCS#8 private key", fixture(t, "rsa2048-pkcs8.pem"), CodeWrongKind, "-pubout", "PRIVATE key"},
		{"PKCS#1 private key", fixture(t, "rsa2048-pkcs1.pem"), CodeWrongKind, "-pubout", "PRIVATE key"},
		{"private key body", body(fixture(t, "rsa2048-pkcs8.pem")), CodeWrongKind, "-pubout", "PRIVATE key"},
		{"encrypted private key", fixture(t, "rsa2048-encrypted-pkcs8.pem"), CodeWrongKind, "-pubout", "PRIVATE key"},
		{"EC public key", fixture(t, "ec-p256-public.pem"), CodeNotRSA, "applink keys", "EC"},
		{"OpenSSH public key", fixture(t, "rsa2048-openssh.pub"), CodeWrongKind, "ssh-keygen -e -m PKCS8", "OpenSSH"},
		{"binary DER", fixture(t, "rsa2048-pkcs8.der"), CodeNotPEM, "-inform DER", "DER"},
		{"empty", nil, CodeNotPEM, "public.pem", "empty"},
		{"not base64", []byte("this is not a key!"), CodeNotPEM, "public.pem", "neither"},
		{"base64 of something else", []byte("aGVsbG8gd29ybGQ="), CodeMalformed, "public.pem", "SubjectPublicKeyInfo"},
		{"damaged PEM body", bytes.Replace(spki, []byte("MII"), []byte("MI!"), 1), CodeMalformed, "public.pem", "damaged"},
		{"garbage in a PUBLIC KEY block", []byte("-----BEGIN PUBLIC KEY-----\nMAMCAQA=\n-----END PUBLIC KEY-----\n"), CodeMalformed, "public.pem", "SubjectPublicKeyInfo"},
		{"unknown PEM type", []byte("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n"), CodeWrongKind, "public.pem", `"BEGIN FOO"`},
		{"too large", bytes.Repeat([]byte("A"), maxInput+1), CodeMalformed, "public.pem", "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := ParsePublicKey(tt.in)
			if pub != nil {
				t.Errorf("got a key along with the error")
			}
			e := wantCode(t, err, tt.code)
			if !strings.Contains(e.Hint, tt.hintHas) {
				t.Errorf("hint %q does not hold %q", e.Hint, tt.hintHas)
			}
			if !strings.Contains(e.Message, tt.msgHas) {
				t.Errorf("message %q does not hold %q", e.Message, tt.msgHas)
			}
			assertNoKeyMaterial(t, err, tt.in)
		})
	}
}

func TestMarshalPublicKeyMatchesOpenSSL(t *testing.T) {
	got, err := MarshalPublicKey(&testKey(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if want := fixture(t, "rsa2048-public.pem"); !bytes.Equal(got, want) {
		t.Fatalf("got\n%s\nwant (openssl pkey -pubout)\n%s", got, want)
	}
	back, err := ParsePublicKey(got)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(&testKey(t).PublicKey) {
		t.Fatal("round trip changed the key")
	}
}

func TestMarshalPublicKeyRefusesIncompleteKeys(t *testing.T) {
	for _, tt := range []struct {
		name string
		pub  *rsa.PublicKey
	}{
		{"nil", nil},
		{"no modulus", &rsa.PublicKey{E: 65537}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MarshalPublicKey(tt.pub)
			wantCode(t, err, CodeMalformed)
			if fp := Fingerprint(tt.pub); fp != "" {
				t.Errorf("Fingerprint = %q, want empty", fp)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	// openssl pkey -pubin -in rsa2048-public.pem -outform DER |
	//     openssl dgst -sha256 -binary | base64 | tr -d =
	const want = "SHA256:PNdborPhzfMGyIDufZ/mM/2+OT+ySEXioboxV3VtnCQ"
	if got := Fingerprint(&testKey(t).PublicKey); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got := Fingerprint(otherPublicKey(t)); got == want || !strings.HasPrefix(got, "SHA256:") || len(got) != len(want) {
		t.Fatalf("fingerprint of another key: %q", got)
	}
}
