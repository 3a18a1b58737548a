package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"unicode"
)

// maxInput is the most bytes ParsePrivateKey and ParsePublicKey read: a
// 4096-bit key in PEM is under 4 KiB, so anything this large is not a key.
const maxInput = 1 << 20

// maxBlocks is the most PEM blocks looked at in one input.
const maxBlocks = 64

// normalise makes pasted keys readable by encoding/pem: it drops a UTF-8
// byte order mark, turns the literal two-character "\n" escapes of keys
// kept in environment variables or JSON into line breaks (only when the
// text has PEM armour and no real line break), and trims the white space
// around every line, so that keys indented in YAML or e-mail still read.
func normalise(data []byte) []byte {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.Contains(data, []byte("-----BEGIN ")) && !bytes.ContainsAny(data, "\r\n") {
		data = bytes.ReplaceAll(data, []byte(`\n`), []byte("\n"))
	}
	lines := bytes.Split(data, []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimSpace(l)
	}
	return bytes.Join(lines, []byte("\n"))
}

// pemBlocks returns the PEM blocks of data, skipping any text before,
// between and after them.
func pemBlocks(data []byte) []*pem.Block {
	var blocks []*pem.Block
	for b, rest := pem.Decode(data); b != nil && len(blocks) < maxBlocks; b, rest = pem.Decode(rest) {
		blocks = append(blocks, b)
	}
	return blocks
}

// hasArmour reports whether data holds a PEM BEGIN line.
func hasArmour(data []byte) bool {
	return bytes.Contains(data, []byte("-----BEGIN "))
}

// bareBase64 decodes data as a base64 body without PEM header lines: lines
// that start with "-----" are dropped and white space is ignored. Padding
// may be missing.
func bareBase64(data []byte) ([]byte, bool) {
	var b strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "-----") {
			b.WriteString(strings.Join(strings.Fields(line), ""))
		}
	}
	if b.Len() == 0 {
		return nil, false
	}
	der, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(b.String(), "="))
	return der, err == nil
}

// looksDER reports whether data starts like a binary DER SEQUENCE.
func looksDER(data []byte) bool {
	return len(data) > 2 && data[0] == 0x30 && (data[1] >= 0x80 || int(data[1]) == len(data)-2)
}

// label describes a PEM block type for a message, quoted.
func label(typ string) string {
	return `"BEGIN ` + printable(typ) + `"`
}

// printable returns at most 40 printable ASCII characters of s, with "?"
// for any other character, for showing text read from input in a message.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 40 {
			b.WriteString("...")
			break
		}
		if r < unicode.MaxASCII && unicode.IsPrint(r) {
			b.WriteRune(r)
		} else {
			b.WriteRune('?')
		}
	}
	return b.String()
}

// isEncryptedBlock reports a legacy OpenSSL encrypted block
// ("Proc-Type: 4,ENCRYPTED" and "DEK-Info" headers) or a PKCS#8
// "ENCRYPTED PRIVATE KEY".
func isEncryptedBlock(b *pem.Block) bool {
	_, dek := b.Headers["DEK-Info"]
	return dek || b.Type == "ENCRYPTED PRIVATE KEY" ||
		strings.Contains(strings.ToUpper(b.Headers["Proc-Type"]), "ENCRYPTED")
}

func isCertificateType(t string) bool {
	return t == "CERTIFICATE" || t == "X509 CERTIFICATE" || t == "TRUSTED CERTIFICATE"
}

func isCSRType(t string) bool {
	return t == "CERTIFICATE REQUEST" || t == "NEW CERTIFICATE REQUEST"
}
