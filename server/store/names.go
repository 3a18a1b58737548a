package store

import (
	"crypto/rand"
	"encoding/hex"
)

// MaxNameLen is the longest link name.
const MaxNameLen = 64

// Lengths of a handshake ID: 128 random bits are 22 characters of unpadded
// base64url or 32 of hex.
const (
	minIDLen = 22
	maxIDLen = 64
)

// CheckName returns nil when name is a valid link name: 1 to 64 letters
// (a-z, A-Z), digits, '-' or '_'. Otherwise it returns a *fault.Error
// with CodeInvalid. A valid name is a single path element that is never "." or
// "..", so it is safe as a folder name.
func CheckName(name string) error {
	switch {
	case name == "":
		return newError(CodeInvalid, nil, "a link name is required (1 to %d letters, digits, '-' or '_')", MaxNameLen)
	case len(name) > MaxNameLen:
		return newError(CodeInvalid, nil, "a link name has at most %d characters; this one has %d", MaxNameLen, len(name))
	case !isSlug(name):
		return newError(CodeInvalid, nil, "link name %q may hold only letters, digits, '-' and '_' (for example prod or jira-sandbox)", name)
	}
	return nil
}

// isSlug reports whether s is made only of ASCII letters, digits, '-' and
// '_'.
func isSlug(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// validID reports whether id has the form of a handshake ID: 22 to 64
// characters of the base64url alphabet (hex is a subset).
func validID(id string) bool {
	return len(id) >= minIDLen && len(id) <= maxIDLen && isSlug(id)
}

// NewHandshakeID returns a new random handshake ID: 128 bits from
// crypto/rand, as 32 lowercase hex digits.
func NewHandshakeID() string {
	return randomHex(16)
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never returns an error (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}
