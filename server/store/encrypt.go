package store

import (
	"cmp"
	"path/filepath"
	"slices"
	"strings"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/internal/datakey"
	"github.com/applink/applink/keys"
)

// isSecret reports whether a file of the data folder holds a secret, and
// so is encrypted when the Store has a data key: every file but a link's
// record and its public key. A file added later is secret unless named
// here.
func isSecret(rel string) bool {
	switch filepath.Base(rel) {
	case linkFile, keys.PublicKeyFile:
		return false
	}
	return true
}

// decrypt returns the content of the secret file rel read as data: see
// datakey.Decrypt. A token is tried for each tag of its link (see
// writeToken). A plaintext file is taken as it is by a Store opened with
// OpenToEncrypt. A file that cannot be decrypted gives a *fault.Error
// with datakey's code that names the file (a handshake's by a hash).
func (s *Store) decrypt(rel string, data []byte) ([]byte, error) {
	if _, enc, _ := datakey.KeyID(data); !enc && s.plainOK {
		return data, nil
	}
	as := []string{rel}
	if filepath.Base(rel) == tokenFile && len(s.dataKeys) > 0 {
		as = s.tokenNames(rel)
	}
	plain, err := []byte(nil), error(nil)
	for _, a := range as {
		if plain, err = datakey.Decrypt(filepath.ToSlash(a), data, s.dataKeys...); !fault.Is(err, datakey.CodeDamaged) {
			break
		}
	}
	if e, ok := fault.As(err); ok {
		return nil, fault.Wrap(err, e.Code, s.shown(rel)+": "+e.Message,
			cmp.Or(e.Hint, "restore it from a backup of the data folder, or delete it (a link's file: delete the link and create it again)"))
	}
	return plain, nil
}

// secretFiles returns the store's own secret files that are in the data
// folder, relative to it: regular files only (not symbolic links), and
// only names the store writes, so that a file put there by someone else
// is never read as a secret nor encrypted.
func (s *Store) secretFiles() ([]string, error) {
	files := []string{adminTokenFile, sessionKeysFile, sessionsFile}
	names, err := s.readDirNames(handshakesDir)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if id, ok := strings.CutSuffix(n, handshakeFileExt); ok && validID(id) {
			files = append(files, hsPath(id))
		}
	}
	if names, err = s.readDirNames(linksDir); err != nil {
		return nil, err
	}
	for _, n := range names {
		if CheckName(n) == nil { // the tags before the token: see EncryptSecrets
			files = append(files, linkPath(n, keys.PrivateKeyFile), linkPath(n, tagsFile), linkPath(n, tokenFile))
		}
	}
	return slices.DeleteFunc(files, func(f string) bool {
		fi, err := s.root.Lstat(f)
		return err != nil || !fi.Mode().IsRegular()
	}), nil
}

// checkSecrets reads every secret file, so that Open refuses a folder
// whose encrypted files it has no key for (datakey.CodeRequired,
// datakey.CodeMismatch) or that holds a plaintext secret under a data key
// (datakey.CodePlaintext). Other files that cannot be read are Problems.
func (s *Store) checkSecrets() error {
	files, err := s.secretFiles()
	if err != nil {
		return err
	}
	for _, rel := range files {
		_, err := s.readFile(rel)
		if fault.Is(err, datakey.CodeRequired, datakey.CodeMismatch, datakey.CodePlaintext) {
			return err
		}
		if err != nil {
			s.problems = append(s.problems, ioError(err, "cannot read %s: %v", s.shown(rel)).Error())
		}
	}
	return nil
}

// EncryptSecrets brings every secret file of the folder under the
// current data key (the first given to Open): a file under another key
// given to Open (a rotation), and a plaintext file when the Store was
// opened with OpenToEncrypt (a folder used before it had a data key), are
// rewritten, one atomic write per file, so that at any moment each file
// is whole and readable, either as it was or under the current key. A
// file already under the current key is skipped, so a run stopped
// half-way (a crash, a failed write) is finished by running it again. It
// returns how many files it wrote, and stops at the first file it cannot
// read or write (CodeIO, or datakey's code naming the file). Without a
// data key it does nothing.
func (s *Store) EncryptSecrets() (int, error) {
	return locked(s, func() (int, error) {
		if len(s.dataKeys) == 0 {
			return 0, nil
		}
		files, err := s.secretFiles()
		if err != nil {
			return 0, err
		}
		n := 0
		for _, rel := range files {
			raw, err := s.root.ReadFile(rel)
			if err != nil {
				return n, ioError(err, "cannot read %s: %v", s.shown(rel))
			}
			if id, _, _ := datakey.KeyID(raw); id == s.dataKeys[0].ID() {
				continue
			}
			plain, err := s.decrypt(rel, raw)
			if err != nil {
				return n, err
			}
			if err := s.checkDir(filepath.Dir(rel)); err != nil {
				return n, ioError(err, "cannot encrypt %s: %v", s.shown(rel))
			}
			if err := s.writeFile(rel, plain, false); err != nil {
				return n, ioError(err, "cannot encrypt %s: %v", s.shown(rel))
			}
			n++
		}
		return n, nil
	})
}
