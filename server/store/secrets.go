package store

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io/fs"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/applink/applink/internal/fsutil"
)

const (
	hashKeyLen         = 64   // bytes of the session cookie's HMAC key
	encryptionKeyLen   = 32   // bytes of its AES-256 key
	adminTokenBytes    = 32   // random bytes of a new admin token
	minAdminTokenLen   = 32   // the fewest characters of an admin token
	maxAdminTokenBytes = 4096 // the most
)

// AdminTokenHint says how to make a good admin token.
const AdminTokenHint = "make one with: openssl rand -base64 32"

// CheckAdminToken is the one rule of an admin token, wherever it comes
// from: at least 32 characters, no white space or control characters.
// Errors never quote the token.
func CheckAdminToken(tok string) error {
	switch {
	case tok == "":
		return errors.New("it is empty")
	case strings.ContainsFunc(tok, func(r rune) bool {
		return r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r)
	}):
		return errors.New("it holds white space or control characters; it must be one word on one line")
	case len(tok) < minAdminTokenLen:
		return errors.New("it is shorter than 32 characters")
	case len(tok) > maxAdminTokenBytes:
		return errors.New("it is too long")
	}
	return nil
}

// parseAdminToken reads the admin-token file: one token (CheckAdminToken),
// surrounding white space ignored. Errors never quote the token.
func parseAdminToken(data []byte) (string, error) {
	tok := strings.TrimSpace(string(data))
	return tok, CheckAdminToken(tok)
}

// AdminToken returns the admin token kept in the folder, making and saving
// a random one (created true) when there is none: 32 bytes from
// crypto/rand as unpadded base64url, in the file admin-token (0600). A file
// that holds no usable token gives CodeCorrupt; it is never replaced.
func (s *Store) AdminToken() (token string, created bool, err error) {
	return loadOrMake(s, adminTokenFile, "the admin token", func() []byte {
		b := make([]byte, adminTokenBytes)
		rand.Read(b) // never returns an error (crypto/rand, Go 1.24+)
		return []byte(base64.RawURLEncoding.EncodeToString(b) + "\n")
	}, parseAdminToken, "%s does not hold a usable admin token (%v): delete it to have applink make a new one, or write a good one into it ("+
		AdminTokenHint+")")
}

// loadOrMake reads the secret file rel (removing group and other
// permissions set by hand), or, when it is missing, writes the content mk
// makes (created true), and returns what parse reads in it. what names the
// file in errors; a file parse refuses gives CodeCorrupt, whose message is
// damaged with the file and why, and is never replaced.
func loadOrMake[T any](s *Store, rel, what string, mk func() []byte, parse func([]byte) (T, error),
	damaged string) (T, bool, error) {
	var zero T
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return zero, false, s.errClosed()
	}
	data, err := s.readFile(rel)
	created := errors.Is(err, fs.ErrNotExist)
	if created {
		data = mk()
		if err := s.writeFile(rel, data, true); err != nil {
			return zero, false, ioError(err, "cannot save "+what+" in %s: %v", s.abs(rel))
		}
	} else if err != nil {
		return zero, false, ioError(err, "cannot read "+what+" in %s: %v", s.abs(rel))
	} else if err := s.tighten(rel); err != nil {
		return zero, false, err
	}
	v, err := parse(data)
	if err != nil {
		return zero, false, newError(CodeCorrupt, nil, damaged, s.abs(rel), err)
	}
	return v, created, nil
}

// sessionKeys is the JSON form of the session-keys file.
type sessionKeys struct {
	HashKey       []byte `json:"hash_key"`       // base64
	EncryptionKey []byte `json:"encryption_key"` // base64
}

// parseSessionKeys reads the session-keys file. Errors never quote a key.
func parseSessionKeys(data []byte) (*sessionKeys, error) {
	return decode(data, "session keys", func(k *sessionKeys) error {
		if len(k.HashKey) != hashKeyLen || len(k.EncryptionKey) != encryptionKeyLen {
			return errors.New("a key has the wrong length")
		}
		return nil
	})
}

// SessionKeys returns the session cookie's hash key (64 bytes) and
// encryption key (32 bytes), making and saving them when missing (file
// session-keys, 0600, JSON with base64 keys). A file that holds no usable
// keys gives CodeCorrupt; it is never replaced.
func (s *Store) SessionKeys() (hashKey, encryptionKey []byte, err error) {
	k, _, err := loadOrMake(s, sessionKeysFile, "the session keys", func() []byte {
		k := sessionKeys{HashKey: make([]byte, hashKeyLen), EncryptionKey: make([]byte, encryptionKeyLen)}
		rand.Read(k.HashKey)
		rand.Read(k.EncryptionKey)
		data, _ := marshal(&k) // []byte fields: never fails
		return data
	}, parseSessionKeys, "%s does not hold usable session keys (%v): delete it to have applink make new ones (everyone signed in is signed out)")
	if err != nil {
		return nil, nil, err
	}
	return k.HashKey, k.EncryptionKey, nil
}

// tighten removes group and other permissions from a secret file written
// by hand.
func (s *Store) tighten(rel string) error {
	fi, err := s.root.Stat(rel)
	if err != nil {
		return ioError(err, "cannot read %s: %v", s.abs(rel))
	}
	if fi.Mode().Perm()&^fsutil.FileMode == 0 {
		return nil
	}
	if err := s.change("chmod", rel, func(rel string) error { return s.root.Chmod(rel, fi.Mode().Perm()&fsutil.FileMode) }); err != nil {
		return ioError(err, "%s is readable by other users and its mode cannot be set to 0600: %v", s.abs(rel))
	}
	return nil
}
