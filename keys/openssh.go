package keys

import (
	"bytes"
	"encoding/binary"

	"github.com/applink/applink/fault"
)

// hintOpenSSH converts an OpenSSH RSA key to PEM (PKCS#1) in place.
const hintOpenSSH = "convert a copy of it to PEM with `ssh-keygen -p -N \"\" -m PEM -f key-copy` " +
	"(it rewrites the file in place, and asks for the old passphrase if there is one)"

// openSSHError explains an "OPENSSH PRIVATE KEY" block (the format of
// ssh-keygen since OpenSSH 7.8): an RSA key can be converted to PEM; other
// key types cannot be used at all. The key type is read from the public
// part of the block, which is never encrypted.
func openSSHError(body []byte) error {
	keyType, cipher, ok := openSSHHeader(body)
	switch {
	case ok && keyType != "ssh-rsa":
		return fault.New(CodeNotRSA, "this is an OpenSSH "+printable(keyType)+" key, not an RSA key", hintNotRSA)
	case ok && cipher != "none":
		return fault.New(CodeNotPEM, "this is a passphrase-protected OpenSSH private key, not PEM", hintOpenSSH)
	}
	return fault.New(CodeNotPEM, "this is an OpenSSH private key, not PEM", hintOpenSSH)
}

// openSSHHeader reads the cipher name and the type of the first public key
// of an openssh-key-v1 body.
func openSSHHeader(body []byte) (keyType, cipher string, ok bool) {
	rest, ok := bytes.CutPrefix(body, []byte("openssh-key-v1\x00"))
	var head [3][]byte // the cipher name, the KDF name and the KDF options
	for i := 0; ok && i < len(head); i++ {
		head[i], rest, ok = sshString(rest)
	}
	// Then the number of keys (at least one) and the first public key,
	// whose first string is its type.
	if !ok || len(rest) < 4 || binary.BigEndian.Uint32(rest) < 1 {
		return "", "", false
	}
	pub, _, ok := sshString(rest[4:])
	t, _, ok2 := sshString(pub)
	return string(t), string(head[0]), ok && ok2
}

// sshString reads one length-prefixed string of the SSH wire format.
func sshString(b []byte) (s, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}
