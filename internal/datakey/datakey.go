// Package datakey encrypts the secret files of applink's data folder at
// rest with a data key: AES-256-GCM from the standard library, a random
// 96-bit nonce for every write, and the file's path inside the data folder
// (with the header) as associated data, so that a ciphertext cannot be
// moved to another file, nor its header changed, without being refused.
//
// A data key file (written by Write, 0600) is text that says what it is:
//
//	# applink data key (...)
//	applink-data-key v1 aes-256-gcm
//	id 0123456789abcdef
//	key BASE64 (32 bytes)
//
// An encrypted file is one header line and the sealed bytes:
//
//	applink-encrypted v1 aes-256-gcm key=0123456789abcdef\n
//	nonce (12 bytes) || ciphertext || tag (16 bytes)
//
// The key id is the first 8 bytes of SHA-256 of a label and the key, in
// hex: it names a key without revealing it.
package datakey

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/internal/fsutil"
)

// Codes of the failures, each a *fault.Error.
const (
	// CodeInvalidKey: a data key file that cannot be read or is not one.
	CodeInvalidKey fault.Code = "data_key_invalid"
	// CodeKeyExists: Write would replace a data key file.
	CodeKeyExists fault.Code = "data_key_exists"
	// CodeRequired: an encrypted file, and no data key given.
	CodeRequired fault.Code = "data_key_required"
	// CodeMismatch: an encrypted file under a key that was not given.
	CodeMismatch fault.Code = "data_key_mismatch"
	// CodePlaintext: a plaintext file where a data key was given: written
	// before the folder had a key, or planted.
	CodePlaintext fault.Code = "data_key_plaintext"
	// CodeDamaged: an encrypted file that does not decrypt: changed,
	// damaged, cut short, moved from another path, or an older copy.
	CodeDamaged fault.Code = "encrypted_file_damaged"
)

const (
	keyLen     = 32 // AES-256
	keyHeader  = "applink-data-key v1 aes-256-gcm"
	fileMagic  = "applink-encrypted "
	fileHeader = fileMagic + "v1 aes-256-gcm key="
	idLen      = 16 // hex digits
	maxKeyFile = 4096
)

// Key is a data key. Its zero value is not usable: make one with New or
// Load.
type Key struct {
	id   string
	raw  []byte
	aead cipher.AEAD // nonce prepended by Seal, read back by Open
}

// New returns a new random data key.
func New() *Key {
	raw := make([]byte, keyLen)
	rand.Read(raw) // never returns an error (crypto/rand, Go 1.24+)
	return fromBytes(raw)
}

// fromBytes makes a Key of 32 bytes (keyLen), for which AES-256-GCM
// cannot fail.
func fromBytes(raw []byte) *Key {
	block, _ := aes.NewCipher(raw)
	aead, _ := cipher.NewGCMWithRandomNonce(block)
	sum := sha256.Sum256(append([]byte("applink data key id\x00"), raw...))
	return &Key{id: hex.EncodeToString(sum[:idLen/2]), raw: raw, aead: aead}
}

// ID returns the key's id: 16 hex digits, safe to log and to show.
func (k *Key) ID() string { return k.id }

// String names the key by its id, so that printing a Key never prints it.
func (k *Key) String() string { return "data key " + k.id }

// GoString is String, for %#v.
func (k *Key) GoString() string { return k.String() }

// marshal returns the key file's content.
func (k *Key) marshal() []byte {
	return fmt.Appendf(nil, "# applink data key: it decrypts the secrets of applink's data folder.\n"+
		"# Keep it secret, out of the data folder, and backed up apart from it:\n"+
		"# without it the encrypted secrets cannot be read.\n"+
		"%s\nid %s\nkey %s\n", keyHeader, k.id, base64.StdEncoding.EncodeToString(k.raw))
}

// parse reads a key file (see the package comment). Lines starting with
// '#' and blank lines are ignored. The id must be the key's. Errors never
// quote the key.
func parse(data []byte) (*Key, error) {
	bad := func(why string) (*Key, error) {
		return nil, fault.New(CodeInvalidKey, "not an applink data key: "+why,
			"give the file 'applink datakey --out FILE' wrote, unchanged")
	}
	if len(data) > maxKeyFile {
		return bad("the file is too long")
	}
	var lines []string
	for l := range strings.Lines(string(data)) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 || lines[0] != keyHeader {
		return bad("it does not start with \"" + keyHeader + "\" followed by an id and a key line")
	}
	id, okID := strings.CutPrefix(lines[1], "id ")
	enc, okKey := strings.CutPrefix(lines[2], "key ")
	if !okID || !okKey {
		return bad("the id or key line is missing")
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(enc)
	if err != nil || len(raw) != keyLen {
		return bad("the key is not 32 bytes of base64")
	}
	k := fromBytes(raw)
	if k.id != id {
		return bad("its id does not match its key (the file was changed)")
	}
	return k, nil
}

// Load reads a key file.
func Load(path string) (*Key, error) {
	hint := "give the file 'applink datakey --out FILE' wrote"
	f, err := os.Open(path)
	if err != nil {
		return nil, fault.Wrap(err, CodeInvalidKey, "cannot read the data key "+path+": "+rootCause(err), hint)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fault.Wrap(err, CodeInvalidKey, "cannot read the data key "+path+": "+rootCause(err), hint)
	}
	k, err := parse(data)
	if e, ok := fault.As(err); ok {
		e.Message = path + " is " + e.Message
	}
	return k, err
}

// rootCause says an OS error without repeating its path.
func rootCause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Write writes k to path atomically with mode 0600, making its folder
// (0700) when missing. Unless force is set it refuses, with CodeKeyExists,
// to replace a file.
func Write(path string, k *Key, force bool) error {
	if err := os.MkdirAll(filepath.Dir(path), fsutil.DirMode); err != nil {
		return fault.Wrap(err, CodeInvalidKey, "cannot create the folder of "+path+": "+rootCause(err), "choose a folder you may write to")
	}
	err := fsutil.WriteFile(path, k.marshal(), fsutil.FileMode, !force)
	if errors.Is(err, fs.ErrExist) {
		return fault.Wrap(err, CodeKeyExists, path+" already exists; not replacing a data key without --force",
			"choose another file; replace it only if no data folder is encrypted with it (or rotate first: applink datakey --rotate)")
	}
	if err != nil {
		return fault.Wrap(err, CodeInvalidKey, "cannot write "+path+": "+rootCause(err), "choose a folder you may write to")
	}
	return nil
}

// header returns the header line of a file encrypted under key id.
func header(id string) []byte { return []byte(fileHeader + id + "\n") }

// ad is the associated data of a file: its header and its path.
func ad(hdr []byte, path string) []byte {
	return append(append(bytes.Clone(hdr), 0), path...)
}

// Seal encrypts plaintext as the content of the file at path (relative to
// the data folder, '/' separators). Every call draws a new random nonce.
func (k *Key) Seal(path string, plaintext []byte) []byte {
	hdr := header(k.id)
	return k.aead.Seal(hdr, nil, plaintext, ad(hdr, path))
}

// KeyID reads the header of a file: the id of the key it is encrypted
// under, or encrypted false when data does not start as an encrypted file
// does (it is plaintext). A file that starts so but whose header is
// malformed gives CodeDamaged.
func KeyID(data []byte) (id string, encrypted bool, err error) {
	if !bytes.HasPrefix(data, []byte(fileMagic)) {
		return "", false, nil
	}
	rest, ok := bytes.CutPrefix(data, []byte(fileHeader))
	if !ok || len(rest) < idLen+1 || rest[idLen] != '\n' {
		return "", true, fault.New(CodeDamaged, "its encryption header is not one applink writes", "")
	}
	if id = string(rest[:idLen]); strings.Trim(id, "0123456789abcdef") != "" {
		return "", true, fault.New(CodeDamaged, "its encryption header names no key id", "")
	}
	return id, true, nil
}

// Decrypt returns the content of the file at path (relative to the data
// folder, '/' separators): data itself when it is not encrypted and no key
// is given, else data decrypted with the one of keys it names.
// CodePlaintext when it is not encrypted and keys are given, CodeRequired
// when it is encrypted and no key is given, CodeMismatch when none of keys
// is its, CodeDamaged when it does not decrypt. Messages name key ids,
// never content.
func Decrypt(path string, data []byte, keys ...*Key) ([]byte, error) {
	id, encrypted, err := KeyID(data)
	if err != nil {
		return nil, err
	}
	if !encrypted && len(keys) > 0 {
		return nil, fault.New(CodePlaintext, "it is not encrypted, though the folder has a data key: it was written before the folder had one, or put there by someone else",
			"if you wrote it, stop applink and encrypt it: applink datakey --rotate --data DIR --new KEYFILE; otherwise delete it")
	}
	if !encrypted {
		return data, nil
	}
	for _, k := range keys {
		if k.id != id {
			continue
		}
		hdr := header(id)
		plain, err := k.aead.Open(nil, nil, data[len(hdr):], ad(hdr, path))
		if err != nil {
			return nil, fault.New(CodeDamaged, "it does not decrypt with data key "+id+": it was changed, cut short, moved from another file or replaced by an older copy", "")
		}
		return plain, nil
	}
	if len(keys) == 0 {
		return nil, fault.New(CodeRequired, "it is encrypted with data key "+id+" and no data key was given",
			"start applink with that data key: --data-key-file FILE")
	}
	given := make([]string, len(keys))
	for i, k := range keys {
		given[i] = k.id
	}
	return nil, fault.New(CodeMismatch, "it is encrypted with data key "+id+", not with the one given ("+strings.Join(given, ", ")+")",
		"give the data key file whose id line reads "+id+"; if a rotation was interrupted, run the same 'applink datakey --rotate' again")
}
