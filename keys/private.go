package keys

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"slices"
	"strconv"
	"strings"

	"github.com/applink/applink/fault"
)

// Hints shared by several private-key errors.
const (
	hintDecrypt = "remove the passphrase with `openssl pkey -in key.pem -out key-plain.pem` " +
		"(it asks for the passphrase), keep key-plain.pem private with `chmod 600 key-plain.pem`, and give that file"
	hintNotRSA      = "Jira's Application Links sign with RSA-SHA1 only: make an RSA key pair with `applink keys --out DIR`"
	hintGivePrivate = "give the file that holds the private key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY); " +
		"its public half is what goes into Jira"
)

// Object identifiers of PKCS#8 key algorithms Go does not parse.
var (
	oidDSA    = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidRSAPSS = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
)

// ParsePrivateKey reads an RSA private key from PEM: PKCS#1 or PKCS#8. It
// refuses encrypted keys, non-RSA keys, public keys and keys under 2048 bits,
// each with a *fault.Error whose Hint says what to do (for example the openssl
// command that removes a passphrase).
//
// Text before, between and after PEM blocks is skipped, and so is white
// space around each line, so keys pasted with comments or indentation read.
// When the input holds several blocks (a certificate and its key, say), the
// first private key is used. It never panics, whatever the input.
func ParsePrivateKey(pemData []byte) (*rsa.PrivateKey, error) {
	if len(pemData) > maxInput {
		return nil, fault.New(CodeMalformed, "the input is too large to be a private key ("+strconv.Itoa(len(pemData))+" bytes)",
			hintGivePrivate)
	}
	data := normalise(pemData)
	blocks := pemBlocks(data)
	for _, b := range blocks {
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		key, err := parsePrivateBlock(b)
		if err == nil {
			err = CheckSize(&key.PublicKey)
		}
		if err != nil {
			return nil, err
		}
		return key, nil
	}
	if len(blocks) > 0 {
		return nil, notAPrivateKey(blocks[0].Type)
	}
	return nil, noPrivatePEM(pemData, data)
}

// parsePrivateBlock reads one PEM block whose type ends in "PRIVATE KEY".
func parsePrivateBlock(b *pem.Block) (*rsa.PrivateKey, error) {
	if isEncryptedBlock(b) {
		return nil, fault.New(CodeEncrypted, "the private key is protected by a passphrase, which applink cannot use", hintDecrypt)
	}
	switch b.Type {
	case "RSA PRIVATE KEY":
		return parsePrivateDER(b.Bytes, true)
	case "PRIVATE KEY":
		return parsePrivateDER(b.Bytes, false)
	case "EC PRIVATE KEY":
		return nil, fault.New(CodeNotRSA, "this is an EC (ECDSA) private key, not an RSA key", hintNotRSA)
	case "DSA PRIVATE KEY":
		return nil, fault.New(CodeNotRSA, "this is a DSA private key, not an RSA key", hintNotRSA)
	case "OPENSSH PRIVATE KEY":
		return nil, openSSHError(b.Bytes)
	}
	key, err := parsePrivateDER(b.Bytes, false)
	if e, ok := fault.As(err); ok && e.Code == CodeMalformed {
		e.Message = "a PEM block " + label(b.Type) + " that is not an RSA private key applink can read"
	}
	return key, err
}

// parsePrivateDER reads a DER private key, trying PKCS#1 first when the
// label says so and PKCS#8 first otherwise: files are often mislabelled.
func parsePrivateDER(der []byte, pkcs1First bool) (*rsa.PrivateKey, error) {
	if pkcs1First {
		if key, err := x509.ParsePKCS1PrivateKey(der); err == nil {
			return key, nil
		}
	}
	k8, err8 := x509.ParsePKCS8PrivateKey(der)
	if err8 == nil {
		return fromPKCS8(k8)
	}
	if e := pkcs8Algorithm(der); e != nil {
		return nil, e
	}
	key, err1 := x509.ParsePKCS1PrivateKey(der)
	if err1 == nil {
		return key, nil
	}
	if _, err := x509.ParseECPrivateKey(der); err == nil {
		return nil, fault.New(CodeNotRSA, "this is an EC (ECDSA) private key, not an RSA key", hintNotRSA)
	}
	if _, err := x509.ParsePKIXPublicKey(der); err == nil {
		return nil, notAPrivateKey("PUBLIC KEY")
	}
	cause := err8
	if pkcs1First {
		cause = err1
	}
	return nil, fault.Wrap(cause, CodeMalformed, "the PEM block is not a valid RSA private key (PKCS#1 or PKCS#8)",
		"the file may be damaged or cut short; give the original file, or "+hintNewKey)
}

// fromPKCS8 accepts the RSA keys that x509.ParsePKCS8PrivateKey returns.
func fromPKCS8(k any) (*rsa.PrivateKey, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		name := "ECDSA"
		if k.Curve != nil && k.Curve.Params() != nil {
			name += " " + k.Curve.Params().Name
		}
		return nil, fault.New(CodeNotRSA, "this is an EC ("+name+") private key, not an RSA key", hintNotRSA)
	case ed25519.PrivateKey:
		return nil, fault.New(CodeNotRSA, "this is an Ed25519 private key, not an RSA key", hintNotRSA)
	case *ecdh.PrivateKey:
		return nil, fault.New(CodeNotRSA, "this is an X25519 private key, not an RSA key", hintNotRSA)
	default:
		return nil, fault.New(CodeNotRSA, "this private key is not an RSA key", hintNotRSA)
	}
}

// pkcs8Algorithm names the algorithm of a PKCS#8 structure that Go cannot
// parse (DSA, RSA-PSS, anything else), or returns nil when der is not
// PKCS#8 at all.
func pkcs8Algorithm(der []byte) error {
	var p struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
	}
	if rest, err := asn1.Unmarshal(der, &p); err != nil || len(rest) != 0 || len(p.Algo.Algorithm) == 0 {
		return nil
	}
	switch {
	case p.Algo.Algorithm.Equal(oidDSA):
		return fault.New(CodeNotRSA, "this is a DSA private key, not an RSA key", hintNotRSA)
	case p.Algo.Algorithm.Equal(oidRSAPSS):
		return fault.New(CodeNotRSA, "this is an RSA-PSS key, which cannot make the RSA-SHA1 (PKCS #1 v1.5) signatures Jira checks",
			hintNotRSA)
	case p.Algo.Algorithm.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}):
		return nil // RSA that did not parse: malformed, not a wrong algorithm
	}
	return fault.New(CodeNotRSA, "this private key uses algorithm "+p.Algo.Algorithm.String()+", not RSA", hintNotRSA)
}

// notAPrivateKey is the error for a PEM block that is some other thing.
func notAPrivateKey(typ string) error {
	switch {
	case typ == "PUBLIC KEY" || typ == "RSA PUBLIC KEY":
		return fault.New(CodeWrongKind, "this is a public key; applink needs the private key", hintGivePrivate)
	case isCertificateType(typ):
		return fault.New(CodeWrongKind, "this is a certificate, not a private key",
			hintGivePrivate+"; from a .p12/.pfx bundle: `openssl pkcs12 -in bundle.p12 -nocerts -nodes -out key.pem`")
	case isCSRType(typ):
		return fault.New(CodeWrongKind, "this is a certificate request, not a private key", hintGivePrivate)
	}
	return fault.New(CodeWrongKind, "a PEM block "+label(typ)+" where a private key is expected", hintGivePrivate)
}

// noPrivatePEM explains input without any PEM block: OpenSSH and PuTTY
// formats, binary DER, a base64 body without its header lines, or nothing.
func noPrivatePEM(raw, norm []byte) error {
	text := bytes.TrimSpace(norm)
	switch {
	case len(text) == 0:
		return fault.New(CodeNotPEM, "the private key is empty", hintGivePrivate)
	case hasArmour(text):
		return fault.New(CodeMalformed, "a PEM BEGIN line was found but the block is damaged or has no END line",
			"copy the whole file again, from -----BEGIN to -----END, without changing the lines in between")
	case bytes.HasPrefix(text, []byte("PuTTY-User-Key-File-")):
		return fault.New(CodeNotPEM, "this is a PuTTY .ppk key, not PEM",
			"convert it with `puttygen key.ppk -O private-openssh -o key.pem` (RSA keys only)")
	case isSSHPublicKey(text):
		return fault.New(CodeWrongKind, "this is an OpenSSH public key; applink needs the private key", hintGivePrivate)
	case looksDER(raw):
		return fault.New(CodeNotPEM, "this is a binary (DER) key, not PEM",
			"convert it with `openssl pkey -inform DER -in key.der -out key.pem`")
	}
	if der, ok := bareBase64(text); ok && looksDER(der) {
		if _, err := x509.ParsePKIXPublicKey(der); err == nil {
			return fault.New(CodeWrongKind, "this is the base64 body of a public key; applink needs the private key", hintGivePrivate)
		}
		header := "PRIVATE KEY"
		if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
			header = "RSA PRIVATE KEY"
		}
		return fault.New(CodeNotPEM, "this looks like a base64 key without its PEM header lines",
			"put a line -----BEGIN "+header+"----- before it and -----END "+header+"----- after it, "+
				"or convert it with `base64 -d key.txt | openssl pkey -inform DER -out key.pem`")
	}
	return fault.New(CodeNotPEM, "no PEM private key (-----BEGIN PRIVATE KEY-----) found", hintGivePrivate)
}

// isSSHPublicKey reports an OpenSSH (authorized_keys) or SSH2 public key.
func isSSHPublicKey(text []byte) bool {
	prefixes := []string{"ssh-rsa ", "ssh-dss ", "ssh-ed25519 ", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-", "---- BEGIN SSH2 PUBLIC KEY"}
	return slices.ContainsFunc(prefixes, func(p string) bool { return bytes.HasPrefix(text, []byte(p)) })
}
