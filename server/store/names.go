package store

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// maxNameLen is the longest link name.
const maxNameLen = 64

// slugChars are the characters of a link name or a handshake ID.
const slugChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"

// CheckName returns nil when name is a valid link name: 1 to 64 letters
// (a-z, A-Z), digits, '-' or '_'. Otherwise it returns a *fault.Error
// with CodeInvalid. A valid name is a single path element that is never "." or
// "..", so it is safe as a folder name.
func CheckName(name string) error {
	switch {
	case name == "":
		return newError(CodeInvalid, nil, "a link name is required (1 to %d letters, digits, '-' or '_')", maxNameLen)
	case len(name) > maxNameLen:
		return newError(CodeInvalid, nil, "a link name has at most %d characters; this one has %d", maxNameLen, len(name))
	case strings.Trim(name, slugChars) != "":
		return newError(CodeInvalid, nil, "link name %q may hold only letters, digits, '-' and '_' (for example prod or jira-sandbox)", name)
	}
	return nil
}

// validID reports whether id has the form of a handshake ID: 22 to 64
// characters of the base64url alphabet (hex is a subset), as 128 random
// bits are in unpadded base64url (22) or hex (32).
func validID(id string) bool {
	return len(id) >= 22 && len(id) <= 64 && strings.Trim(id, slugChars) == ""
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
