package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strconv"
	"strings"

	"github.com/applink/applink/fault"
)

// Hints shared by several public-key errors.
const (
	hintGivePublic = "give public.pem as written by `applink keys`, or make it from the private key " +
		"with `openssl pkey -in private.pem -pubout -out public.pem`"
	hintPKCS1Public = "convert it with `openssl rsa -RSAPublicKey_in -in pub.pem -pubout -out public.pem` " +
		"and paste public.pem (BEGIN PUBLIC KEY)"
)

// ParsePublicKey reads a public key the way Jira's Public Key field does: an
// X.509 SubjectPublicKeyInfo, as PEM or as the bare base64 body without the
// header lines (white space ignored). A PKCS#1 "BEGIN RSA PUBLIC KEY" is
// refused with CodePKCS1Public, as Jira refuses it.
//
// Like Jira it accepts RSA public keys of any size; a certificate, a private
// key or an OpenSSH public key is refused with CodeWrongKind. It never
// panics, whatever the input.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	if len(data) > maxInput {
		return nil, fault.New(CodeMalformed, "the input is too large to be a public key ("+strconv.Itoa(len(data))+" bytes)",
			hintGivePublic)
	}
	norm := normalise(data)
	if blocks := pemBlocks(norm); len(blocks) > 0 {
		return parsePublicBlock(blocks[0])
	}
	text := bytes.TrimSpace(norm)
	// Jira takes the base64 body with or without its header lines, so a
	// BEGIN line without its END line still reads.
	der, ok := bareBase64(text)
	switch {
	case len(text) == 0:
		return nil, fault.New(CodeNotPEM, "the public key is empty", hintGivePublic)
	case isSSHPublicKey(text):
		return nil, fault.New(CodeWrongKind, "this is an OpenSSH public key, which Jira's Public Key field does not take",
			"convert it with `ssh-keygen -e -m PKCS8 -f key.pub > public.pem` and paste public.pem")
	case looksDER(data):
		return nil, fault.New(CodeNotPEM, "this is a binary (DER) public key, not PEM",
			"convert it with `openssl pkey -pubin -inform DER -in pub.der -out public.pem`")
	case !ok && hasArmour(text):
		return nil, fault.New(CodeMalformed, "a PEM BEGIN line was found but the block is damaged", hintGivePublic)
	case !ok:
		return nil, fault.New(CodeNotPEM, "neither a PEM public key (-----BEGIN PUBLIC KEY-----) nor its base64 body", hintGivePublic)
	}
	return parsePublicDER(der, true)
}

// parsePublicBlock reads the first PEM block of a public-key input.
func parsePublicBlock(b *pem.Block) (*rsa.PublicKey, error) {
	switch {
	case b.Type == "PUBLIC KEY":
		return parsePublicDER(b.Bytes, false)
	case b.Type == "RSA PUBLIC KEY":
		return nil, fault.New(CodePKCS1Public, "this is a PKCS#1 public key (BEGIN RSA PUBLIC KEY), which Jira's Public Key field rejects",
			hintPKCS1Public)
	case isCertificateType(b.Type):
		return nil, fault.New(CodeWrongKind, "this is a certificate; Jira's Public Key field wants the public key alone",
			"take it out of the certificate with `openssl x509 -in cert.pem -pubkey -noout > public.pem`")
	case strings.HasSuffix(b.Type, "PRIVATE KEY"):
		return nil, privateWherePublic()
	}
	return nil, fault.New(CodeWrongKind, "a PEM block "+label(b.Type)+" where a public key (BEGIN PUBLIC KEY) is expected",
		hintGivePublic)
}

// parsePublicDER reads a DER SubjectPublicKeyInfo. bare says whether it came
// from a base64 body without header lines, which may then be something else
// than a public key.
func parsePublicDER(der []byte, bare bool) (*rsa.PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err == nil {
		switch pub := pub.(type) {
		case *rsa.PublicKey:
			return pub, nil
		case *ecdsa.PublicKey:
			return nil, fault.New(CodeNotRSA, "this is an EC (ECDSA) public key, not an RSA key", hintNotRSA)
		case ed25519.PublicKey:
			return nil, fault.New(CodeNotRSA, "this is an Ed25519 public key, not an RSA key", hintNotRSA)
		default:
			return nil, fault.New(CodeNotRSA, "this public key is not an RSA key", hintNotRSA)
		}
	}
	if _, err1 := x509.ParsePKCS1PublicKey(der); err1 == nil {
		return nil, fault.New(CodePKCS1Public, "this is a PKCS#1 RSA public key, which Jira's Public Key field rejects",
			hintPKCS1Public)
	}
	if bare {
		if _, err := x509.ParseCertificate(der); err == nil {
			return nil, fault.New(CodeWrongKind, "this is the base64 body of a certificate; Jira's Public Key field wants the public key alone",
				"take it out of the certificate with `openssl x509 -in cert.pem -pubkey -noout > public.pem`")
		}
		if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
			return nil, privateWherePublic()
		}
		if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
			return nil, privateWherePublic()
		}
	}
	return nil, fault.Wrap(err, CodeMalformed, "not a valid X.509 SubjectPublicKeyInfo (BEGIN PUBLIC KEY)",
		"the key may be damaged or cut short; "+hintGivePublic)
}

func privateWherePublic() error {
	return fault.New(CodeWrongKind, "this is a PRIVATE key: it must never be pasted into Jira, which wants the public key",
		"give public.pem, or make it with `openssl pkey -in private.pem -pubout -out public.pem`")
}
