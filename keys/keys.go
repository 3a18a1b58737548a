// Package keys makes and reads the RSA keys of an OAuth 1.0a consumer, writes
// them as PEM files, and describes the Application Link that Jira needs.
//
// Private keys are read in PKCS#1 ("BEGIN RSA PRIVATE KEY") and PKCS#8
// ("BEGIN PRIVATE KEY") and written in PKCS#8 with mode 0600. Public keys are
// written as X.509 SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"), the one form
// Jira's Public Key field accepts.
package keys

import (
	"crypto/rsa"
)

// Key sizes, in bits.
const (
	DefaultBits = 2048
	MinBits     = 2048
)

// File names inside a key folder.
const (
	PrivateKeyFile = "private.pem"
	PublicKeyFile  = "public.pem"
)

// Error codes returned in Error.Code.
const (
	CodeBadBits       = "key_bits_unsupported" // not 2048, 3072 or 4096
	CodeTooShort      = "key_too_short"        // an existing key under 2048 bits
	CodeEncrypted     = "key_encrypted"        // a passphrase-protected key
	CodeNotRSA        = "key_not_rsa"          // EC, Ed25519, DSA...
	CodeNotPEM        = "key_not_pem"          // no PEM block found
	CodeMalformed     = "key_malformed"        // a PEM block that does not parse
	CodePKCS1Public   = "key_public_pkcs1"     // "BEGIN RSA PUBLIC KEY", which Jira rejects
	CodeWrongKind     = "key_wrong_kind"       // a public key where a private one is wanted, or a certificate
	CodeExists        = "key_exists"           // refusing to overwrite without force
	CodeNotFound      = "key_not_found"        // no key file where one was expected
	CodeIO            = "key_io"               // reading or writing a file failed
	CodeKeyMismatch   = "key_mismatch"         // public.pem is not the public half of private.pem
	CodeBadConfigArgs = "config_invalid"       // Application Link configuration arguments are wrong
)

// Error is the error type of this package: a stable Code for programs, a
// one-line Message for people, and a Hint that says what to do.
type Error struct {
	Code    string
	Message string
	Hint    string
	Err     error // the underlying error, if any; never holds key material
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return e.Message + " (" + e.Hint + ")"
	}
	return e.Message
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Generate makes a new RSA private key of the given size: 2048, 3072 or
// 4096 bits. Other sizes get an *Error with CodeBadBits.
func Generate(bits int) (*rsa.PrivateKey, error) {
	panic("not implemented")
}

// ParsePrivateKey reads an RSA private key from PEM: PKCS#1 or PKCS#8. It
// refuses encrypted keys, non-RSA keys, public keys and keys under 2048 bits,
// each with an *Error whose Hint says what to do (for example the openssl
// command that removes a passphrase).
func ParsePrivateKey(pemData []byte) (*rsa.PrivateKey, error) {
	panic("not implemented")
}

// MarshalPrivateKey encodes a private key as a PKCS#8 PEM block.
func MarshalPrivateKey(key *rsa.PrivateKey) ([]byte, error) {
	panic("not implemented")
}

// MarshalPublicKey encodes a public key as an X.509 SubjectPublicKeyInfo PEM
// block ("BEGIN PUBLIC KEY").
func MarshalPublicKey(pub *rsa.PublicKey) ([]byte, error) {
	panic("not implemented")
}

// ParsePublicKey reads a public key the way Jira's Public Key field does: an
// X.509 SubjectPublicKeyInfo, as PEM or as the bare base64 body without the
// header lines (white space ignored). A PKCS#1 "BEGIN RSA PUBLIC KEY" is
// refused with CodePKCS1Public, as Jira refuses it.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	panic("not implemented")
}

// Fingerprint returns the SHA-256 fingerprint of a public key's DER
// SubjectPublicKeyInfo, written "SHA256:" followed by unpadded standard
// base64 (as ssh-keygen writes fingerprints).
func Fingerprint(pub *rsa.PublicKey) string {
	panic("not implemented")
}

// WriteDir writes key to dir as PrivateKeyFile (PKCS#8, mode 0600) and
// PublicKeyFile (mode 0644), creating dir with mode 0700. Both writes are
// atomic. Unless force is set it refuses, with CodeExists and without
// writing anything, when either file exists.
func WriteDir(dir string, key *rsa.PrivateKey, force bool) error {
	panic("not implemented")
}

// LoadDir reads the private key of a key folder written by WriteDir. When
// the folder also holds PublicKeyFile it checks that it is the public half
// of the private key (CodeKeyMismatch otherwise).
func LoadDir(dir string) (*rsa.PrivateKey, error) {
	panic("not implemented")
}

// LoadPrivateKeyFile reads and parses one private key file.
func LoadPrivateKeyFile(path string) (*rsa.PrivateKey, error) {
	panic("not implemented")
}
