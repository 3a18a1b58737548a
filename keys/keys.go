// Package keys makes and reads the RSA keys of an OAuth 1.0a consumer and
// writes them as PEM files.
//
// Private keys are read in PKCS#1 ("BEGIN RSA PRIVATE KEY") and PKCS#8
// ("BEGIN PRIVATE KEY") and written in PKCS#8 with mode 0600. Public keys are
// written as X.509 SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"), the one form
// Jira's Public Key field accepts.
//
// Every failure is a *fault.Error with one of the Codes below, a Message and
// a Hint that says what to do. No error ever holds key material.
package keys

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"slices"
	"strconv"

	"github.com/applink/applink/fault"
)

// Key sizes, in bits.
const (
	DefaultBits = 2048
	MinBits     = 2048
)

// allowedBits are the key sizes Generate makes, smallest first.
var allowedBits = [...]int{2048, 3072, 4096}

// File names inside a key folder.
const (
	PrivateKeyFile = "private.pem"
	PublicKeyFile  = "public.pem"
)

// Error codes, in fault.Error.Code. Each starts with "key_".
const (
	CodeBadBits     fault.Code = "key_bits_unsupported" // not 2048, 3072 or 4096
	CodeTooShort    fault.Code = "key_too_short"        // an existing key under 2048 bits
	CodeEncrypted   fault.Code = "key_encrypted"        // a passphrase-protected key
	CodeNotRSA      fault.Code = "key_not_rsa"          // EC, Ed25519, DSA...
	CodeNotPEM      fault.Code = "key_not_pem"          // no PEM block found
	CodeMalformed   fault.Code = "key_malformed"        // a PEM block that does not parse
	CodePKCS1Public fault.Code = "key_public_pkcs1"     // "BEGIN RSA PUBLIC KEY", which Jira rejects
	CodeWrongKind   fault.Code = "key_wrong_kind"       // a public key where a private one is wanted, or a certificate
	CodeExists      fault.Code = "key_exists"           // refusing to overwrite without force
	CodeNotFound    fault.Code = "key_not_found"        // no key file where one was expected
	CodeIO          fault.Code = "key_io"               // reading or writing a file failed
	CodeKeyMismatch fault.Code = "key_mismatch"         // public.pem is not the public half of private.pem
)

// hintNewKey is the hint for keys that cannot be used at all.
const hintNewKey = "make a new RSA key pair with `applink keys --out DIR` and put its public.pem " +
	"into the Application Link's Public Key field"

// Generate makes a new RSA private key of the given size: 2048, 3072 or
// 4096 bits. Other sizes fail with CodeBadBits.
func Generate(bits int) (*rsa.PrivateKey, error) {
	if err := checkBits(bits); err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fault.Wrap(err, CodeIO, "could not generate an RSA key", "try again; the system's random source failed")
	}
	return key, nil
}

func checkBits(bits int) error {
	if slices.Contains(allowedBits[:], bits) {
		return nil
	}
	const hint = "use 2048 (the default), 3072 or 4096 bits"
	n := strconv.Itoa(bits)
	switch {
	case bits > 0 && bits < MinBits:
		return fault.New(CodeBadBits, n+"-bit RSA keys are too weak; the minimum is 2048", hint)
	case bits > 4096:
		return fault.New(CodeBadBits, n+"-bit RSA keys are not supported: they make every signature slow", hint)
	default:
		return fault.New(CodeBadBits, n+" is not a supported RSA key size", hint)
	}
}

// CheckSize fails with CodeTooShort when pub has fewer than MinBits bits:
// the one check of the key size, for keys read, loaded or given.
func CheckSize(pub *rsa.PublicKey) error {
	if bits := pub.N.BitLen(); bits < MinBits {
		return fault.New(CodeTooShort, "the RSA key has "+strconv.Itoa(bits)+" bits; at least 2048 are needed", hintNewKey)
	}
	return nil
}

// MarshalPrivateKey encodes a private key as a PKCS#8 PEM block.
func MarshalPrivateKey(key *rsa.PrivateKey) ([]byte, error) {
	if key == nil || key.N == nil || key.D == nil || len(key.Primes) < 2 {
		return nil, fault.New(CodeMalformed, "no complete RSA private key to encode", "")
	}
	if err := key.Validate(); err != nil {
		return nil, fault.Wrap(err, CodeMalformed, "the RSA private key is not valid", hintNewKey)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fault.Wrap(err, CodeMalformed, "the RSA private key cannot be encoded as PKCS#8", hintNewKey)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKey encodes a public key as an X.509 SubjectPublicKeyInfo PEM
// block ("BEGIN PUBLIC KEY").
func MarshalPublicKey(pub *rsa.PublicKey) ([]byte, error) {
	der, err := publicDER(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// publicDER returns the DER SubjectPublicKeyInfo of pub.
func publicDER(pub *rsa.PublicKey) ([]byte, error) {
	if pub == nil || pub.N == nil || pub.N.Sign() <= 0 || pub.E <= 0 {
		return nil, fault.New(CodeMalformed, "no complete RSA public key to encode", "")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fault.Wrap(err, CodeMalformed, "the RSA public key cannot be encoded", "")
	}
	return der, nil
}

// Fingerprint returns the SHA-256 fingerprint of a public key's DER
// SubjectPublicKeyInfo, written "SHA256:" followed by unpadded standard
// base64 (as ssh-keygen writes fingerprints). It returns "" for a nil or
// incomplete key.
//
// The same fingerprint comes out of
//
//	openssl pkey -pubin -in public.pem -outform DER | openssl dgst -sha256 -binary | base64
//
// (minus the trailing "=").
func Fingerprint(pub *rsa.PublicKey) string {
	der, err := publicDER(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}
