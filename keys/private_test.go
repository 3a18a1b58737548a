package keys

import (
	"bytes"
	"crypto/rsa"
	"math/big"
	"strings"
	"testing"

	"github.com/applink/applink/fault"
)

func TestParsePrivateKeyAccepts(t *testing.T) {
	want := testKey(t)
	pkcs1 := fixture(t, "rsa2048-pkcs1.pem")
	pkcs8 := fixture(t, "rsa2048-pkcs8.pem")
	cert := fixture(t, "rsa2048-cert.pem")
	indent := func(b []byte) []byte {
		return append([]byte("    "), bytes.ReplaceAll(b, []byte("\n"), []byte("\n    "))...)
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"PKCS#1", pkcs1},
		{"PKCS#8", pkcs8},
		{"leading comment text", append([]byte("# the key of our integration\nkey:\n"), pkcs8...)},
		{"trailing text", append(append([]byte{}, pkcs1...), "and more text\n"...)},
		{"CRLF line breaks", bytes.ReplaceAll(pkcs8, []byte("\n"), []byte("\r\n"))},
		{"indented as in YAML", indent(pkcs1)},
		{"byte order mark", append([]byte("\xef\xbb\xbf"), pkcs8...)},
		{"literal \\n escapes", bytes.ReplaceAll(bytes.TrimSpace(pkcs8), []byte("\n"), []byte(`\n`))},
		{"certificate before the key", append(append([]byte{}, cert...), pkcs8...)},
		{"PKCS#8 labelled RSA PRIVATE KEY", bytes.ReplaceAll(pkcs8, []byte("PRIVATE KEY"), []byte("RSA PRIVATE KEY"))},
		{"PKCS#1 labelled PRIVATE KEY", bytes.ReplaceAll(pkcs1, []byte("RSA PRIVATE KEY"), []byte("PRIVATE KEY"))},
		{"PKCS#8 under another label", bytes.ReplaceAll(pkcs8, []byte("PRIVATE KEY"), []byte("ANY PRIVATE KEY"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePrivateKey(tt.in)
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			if !got.Equal(want) {
				t.Fatal("parsed key differs from the fixture key")
			}
		})
	}
}

func TestParsePrivateKeyErrors(t *testing.T) {
	pkcs8 := fixture(t, "rsa2048-pkcs8.pem")
	der := fixture(t, "rsa2048-pkcs8.der")
	body := func(b []byte) []byte { // the base64 body without the header lines
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		return []byte(strings.Join(lines[1:len(lines)-1], "\n"))
	}
	damaged := bytes.Replace(pkcs8, []byte("MII"), []byte("MI!"), 1)
	truncated := pkcs8[:len(pkcs8)/2]
	badDER := []byte("-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n")
	tests := []struct {
		name    string
		in      []byte
		code    fault.Code
		hintHas string // a fragment the hint must hold
		msgHas  string // a fragment the message must hold
	}{
		{"legacy encrypted PKCS#1", fixture(t, "rsa2048-encrypted-pkcs1.pem"), CodeEncrypted, "openssl pkey -in key.pem -out key-plain.pem", "passphrase"},
		{"encrypted PKCS#8", fixture(t, "rsa2048-encrypted-pkcs8.pem"), CodeEncrypted, "chmod 600", "passphrase"},
		{"EC SEC1", fixture(t, "ec-p256-sec1.pem"), CodeNotRSA, "applink keys", "EC"},
		{"EC PKCS#8", fixture(t, "ec-p256-pkcs8.pem"), CodeNotRSA, "applink keys", "P-256"},
		{"Ed25519", fixture(t, "ed25519.pem"), CodeNotRSA, "applink keys", "Ed25519"},
		{"DSA PKCS#8", fixture(t, "dsa-pkcs8.pem"), CodeNotRSA, "applink keys", "DSA"},
		{"DSA legacy", fixture(t, "dsa-legacy.pem"), CodeNotRSA, "applink keys", "DSA"},
		{"RSA-PSS", fixture(t, "rsapss-pkcs8.pem"), CodeNotRSA, "applink keys", "RSA-PSS"},
		{"OpenSSH Ed25519", fixture(t, "ed25519-openssh.pem"), CodeNotRSA, "applink keys", "ssh-ed25519"},
		{"OpenSSH RSA", fixture(t, "rsa2048-openssh.pem"), CodeNotPEM, "ssh-keygen -p", "OpenSSH"},
		{"OpenSSH RSA with passphrase", fixture(t, "rsa2048-openssh-encrypted.pem"), CodeNotPEM, "old passphrase", "passphrase-protected OpenSSH"},
		{"OpenSSH block cut short", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----\n"), CodeNotPEM, "ssh-keygen -p", "OpenSSH"},
		{"certificate request", fixture(t, "rsa2048-csr.pem"), CodeWrongKind, "private key", "certificate request"},
		{"unknown private key type", []byte("-----BEGIN FOO PRIVATE KEY-----\nMAMCAQA=\n-----END FOO PRIVATE KEY-----\n"), CodeMalformed, "applink keys", `"BEGIN FOO PRIVATE KEY"`},
		{"unprintable PEM type", []byte("-----BEGIN \x01\xffXX-----\nAAAA\n-----END \x01\xffXX-----\n"), CodeWrongKind, "private key", `"BEGIN ??XX"`},
		{"public key SPKI", fixture(t, "rsa2048-public.pem"), CodeWrongKind, "private key", "public key"},
		{"public key PKCS#1", fixture(t, "rsa2048-public-pkcs1.pem"), CodeWrongKind, "private key", "public key"},
		{"certificate", fixture(t, "rsa2048-cert.pem"), CodeWrongKind, "openssl pkcs12", "certificate"},
		{"OpenSSH public key", fixture(t, "rsa2048-openssh.pub"), CodeWrongKind, "private key", "OpenSSH public key"},
		{"1024 bits", fixture(t, "rsa1024.pem"), CodeTooShort, "applink keys", "1024 bits"},
		{"empty", nil, CodeNotPEM, "private key", "empty"},
		{"white space", []byte(" \n\t\n"), CodeNotPEM, "private key", "empty"},
		{"plain text", []byte("my private key is in the vault"), CodeNotPEM, "private key", "no PEM"},
		{"base64 body without header lines", body(pkcs8), CodeNotPEM, "-----BEGIN PRIVATE KEY-----", "header lines"},
		{"PKCS#1 body without header lines", body(fixture(t, "rsa2048-pkcs1.pem")), CodeNotPEM, "-----BEGIN RSA PRIVATE KEY-----", "header lines"},
		{"public key body without header lines", body(fixture(t, "rsa2048-public.pem")), CodeWrongKind, "private key", "public key"},
		{"binary DER", der, CodeNotPEM, "openssl pkey -inform DER", "DER"},
		{"PuTTY", []byte("PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\n"), CodeNotPEM, "puttygen", "PuTTY"},
		{"damaged base64", damaged, CodeMalformed, "whole file", "damaged"},
		{"cut short", truncated, CodeMalformed, "whole file", "END"},
		{"not a key inside", badDER, CodeMalformed, "applink keys", "not a valid RSA private key"},
		{"unknown PEM type", []byte("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n"), CodeWrongKind, "private key", `"BEGIN FOO"`},
		{"too large", bytes.Repeat([]byte("A"), maxInput+1), CodeMalformed, "private key", "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParsePrivateKey(tt.in)
			if key != nil {
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

func TestMarshalPrivateKeyRoundTrip(t *testing.T) {
	want := testKey(t)
	pemData, err := MarshalPrivateKey(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pemData, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Fatalf("not PKCS#8 PEM: %.30q", pemData)
	}
	got, err := ParsePrivateKey(pemData)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Fatal("round trip changed the key")
	}
	// The same DER as openssl's PKCS#8 of the same key.
	if !bytes.Equal(pemData, fixture(t, "rsa2048-pkcs8.pem")) {
		t.Error("PKCS#8 PEM differs from openssl's")
	}
}

func TestMarshalPrivateKeyRefusesIncompleteKeys(t *testing.T) {
	broken := *testKey(t)
	broken.D = new(big.Int).Add(broken.D, big.NewInt(2))
	for _, tt := range []struct {
		name string
		key  *rsa.PrivateKey
	}{
		{"nil", nil},
		{"empty", &rsa.PrivateKey{}},
		{"public half only", &rsa.PrivateKey{PublicKey: testKey(t).PublicKey}},
		{"inconsistent", &broken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MarshalPrivateKey(tt.key)
			wantCode(t, err, CodeMalformed)
		})
	}
}
