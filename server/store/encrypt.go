package store

import (
	"io/fs"
	"path/filepath"
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
// datakey.Decrypt. A file that cannot be decrypted gives a *fault.Error
// with datakey's code that names the file.
func (s *Store) decrypt(rel string, data []byte) ([]byte, error) {
	plain, err := datakey.Decrypt(filepath.ToSlash(rel), data, s.dataKeys...)
	if e, ok := fault.As(err); ok {
		hint := e.Hint
		if hint == "" {
			hint = "restore it from a backup of the data folder, or delete it (a link's file: delete the link and create it again)"
		}
		return nil, fault.Wrap(err, e.Code, s.abs(rel)+": "+e.Message, hint)
	}
	return plain, nil
}

// secretFiles returns every secret file of the data folder, relative to
// it: regular files, outside names starting with '.' (the lock, leftovers
// of interrupted writes), not followed through symbolic links.
func (s *Store) secretFiles() ([]string, error) {
	var files []string
	err := fs.WalkDir(s.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case p != "." && strings.HasPrefix(d.Name(), "."):
			if d.IsDir() {
				return fs.SkipDir
			}
		case d.Type().IsRegular() && isSecret(p):
			files = append(files, filepath.FromSlash(p))
		}
		return nil
	})
	if err != nil {
		return nil, ioError(err, "cannot read the data folder %s: %v", s.dir)
	}
	return files, nil
}

// checkSecrets reads every secret file, so that Open refuses a folder
// whose encrypted files it has no key for (datakey.CodeRequired,
// datakey.CodeMismatch). Other files that cannot be read are Problems.
func (s *Store) checkSecrets() error {
	files, err := s.secretFiles()
	if err != nil {
		return err
	}
	for _, rel := range files {
		_, err := s.readFile(rel)
		if fault.Is(err, datakey.CodeRequired, datakey.CodeMismatch) {
			return err
		}
		if err != nil {
			s.problems = append(s.problems, ioError(err, "cannot read %s: %v", s.abs(rel)).Error())
		}
	}
	return nil
}

// EncryptSecrets brings every secret file of the folder under the
// current data key (the first given to Open): a plaintext file (a folder
// used before it had a data key) and a file under another key given to
// Open (a rotation) are rewritten, one atomic write per file, so that at
// any moment each file is whole and readable, either as it was or under
// the current key. A file already under the current key is skipped, so a
// run stopped half-way (a crash, a failed write) is finished by running it
// again. It returns how many files it wrote, and stops at the first file
// it cannot read or write (CodeIO, or datakey.CodeDamaged naming the
// file). Without a data key it does nothing.
func (s *Store) EncryptSecrets() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, s.errClosed()
	}
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
			return n, ioError(err, "cannot read %s: %v", s.abs(rel))
		}
		if id, _, _ := datakey.KeyID(raw); id == s.dataKeys[0].ID() {
			continue
		}
		plain, err := s.decrypt(rel, raw)
		if err != nil {
			return n, err
		}
		if err := s.checkDir(filepath.Dir(rel)); err != nil {
			return n, ioError(err, "cannot encrypt %s: %v", s.abs(rel))
		}
		if err := s.writeFile(rel, plain, false); err != nil {
			return n, ioError(err, "cannot encrypt %s: %v", s.abs(rel))
		}
		n++
	}
	return n, nil
}
