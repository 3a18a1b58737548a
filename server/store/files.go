package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/internal/fsutil"
)

// newError makes a *fault.Error whose message is format with args.
func newError(code fault.Code, err error, format string, args ...any) *fault.Error {
	return fault.Wrap(err, code, fmt.Sprintf(format, args...), "")
}

// ioError makes the CodeIO *fault.Error of a failed read or write: format
// with args and, for its last verb, why err happened. A full disk, a
// read-only file system and a refused permission are said in words, with a
// hint of what to do.
//
// A file that could not be decrypted is not an I/O failure: its
// *fault.Error (from readFile) is returned as it is.
func ioError(err error, format string, args ...any) *fault.Error {
	if e, ok := err.(*fault.Error); ok {
		return e
	}
	why, hint := Why(err)
	return fault.Wrap(err, CodeIO, fmt.Sprintf(format, append(args, why)...), hint)
}

// Why says, for people, why a read or write of the data folder failed and
// what to do: a full disk, a read-only file system and a refused
// permission in words, anything else as err says it (with no hint).
func Why(err error) (why, hint string) {
	pe, le := (*fs.PathError)(nil), (*os.LinkError)(nil)
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "the disk is full", "free space on the disk that holds the data folder, then try again"
	case errors.Is(err, syscall.EROFS):
		return "the data folder is read-only", "put the data folder on a file system applink can write to"
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return "permission denied", "let the user applink runs as read and write the data folder (owner of it, mode 0700)"
	case errors.As(err, &pe): // the path may hold a handshake's id: the message names the file
		return pe.Op + ": " + pe.Err.Error(), ""
	case errors.As(err, &le): // a rename's paths too
		return le.Op + ": " + le.Err.Error(), ""
	}
	return err.Error(), ""
}

// errClosed is returned by every method of a closed Store.
func (s *Store) errClosed() *fault.Error {
	return newError(CodeIO, nil, "the data folder %s is closed", s.dir)
}

// locked returns f's result, run with s.mu held, or errClosed when the
// Store is closed.
func locked[T any](s *Store, f func() (T, error)) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		var zero T
		return zero, s.errClosed()
	}
	return f()
}

// abs returns the absolute path of a name inside the data folder.
func (s *Store) abs(rel ...string) string {
	return filepath.Join(append([]string{s.dir}, rel...)...)
}

// shown is s.abs(rel) for messages and logs, except that a file of the
// handshakes folder is named by the first 8 hex digits of the SHA-256 of
// its name without ".json": a pending approval's id is a secret.
func (s *Store) shown(rel string) string {
	dir, name := filepath.Split(rel)
	if filepath.Clean(dir) != handshakesDir {
		return s.abs(rel)
	}
	sum := sha256.Sum256([]byte(strings.TrimSuffix(name, handshakeFileExt)))
	return s.abs(handshakesDir, "[approval id sha256 "+hex.EncodeToString(sum[:4])+"]"+handshakeFileExt)
}

// readFile reads a file inside the data folder, decrypting a secret file
// (see decrypt).
func (s *Store) readFile(rel string) ([]byte, error) {
	data, err := s.root.ReadFile(rel)
	if err != nil || !isSecret(rel) {
		return data, err
	}
	return s.decrypt(rel, data)
}

// FailWrites makes every change the Store makes to the data folder from
// now on ask f first. op is "write" (a file, atomically), "mkdir",
// "rename", "remove" (a file, or a folder with its content) or "chmod";
// path is the file or folder changed (for "rename", the one moved),
// relative to the data folder with '/' separators, such as
// "links/prod/token.json" or "handshakes/ID.json". When f returns an error
// the change is not made and fails as if the disk had refused it with
// that error: the method returns the CodeIO *fault.Error a real failure
// gets, with the same message (so syscall.ENOSPC reads "the disk is
// full"), and the error from f in its chain. A nil f removes the hook.
//
// It is for tests of the Store's callers. It is safe for concurrent use;
// f is called with the Store's lock held, so it must not call the Store.
func (s *Store) FailWrites(f func(op, path string) error) {
	s.failWrites.Store(&f)
}

// change makes one change, do, to rel inside the data folder, unless the
// FailWrites hook refuses it. Every change goes through here.
func (s *Store) change(op, rel string, do func(rel string) error) error {
	if f := s.failWrites.Load(); f != nil && *f != nil {
		if err := (*f)(op, filepath.ToSlash(rel)); err != nil {
			return &fs.PathError{Op: op, Path: s.abs(rel), Err: err}
		}
	}
	return do(rel)
}

// writeFile writes a file inside the data folder atomically with mode 0600,
// a secret file encrypted under the current data key (see writeFileAs, and
// writeToken for a link's token). Its folder must exist and be checked
// (checkDir) by the caller: writes go through fsutil by path.
func (s *Store) writeFile(rel string, data []byte, exclusive bool) error {
	if filepath.Base(rel) == tokenFile && len(s.dataKeys) > 0 {
		return s.writeToken(rel, data)
	}
	return s.writeFileAs(rel, rel, data, exclusive)
}

// writeFileAs is writeFile of a file written at rel that will be found at
// as (the two differ while a new link's folder has its temporary name): a
// secret file is encrypted for the path as, under the current data key.
func (s *Store) writeFileAs(rel, as string, data []byte, exclusive bool) error {
	if len(s.dataKeys) > 0 && isSecret(as) {
		data = s.dataKeys[0].Seal(filepath.ToSlash(as), data)
	}
	return s.change("write", rel, func(rel string) error {
		return fsutil.WriteFile(s.abs(rel), data, fsutil.FileMode, exclusive)
	})
}

// checkDir returns nil when rel is a real folder (not a symbolic link)
// inside the data folder, an error matching fs.ErrNotExist when it is
// missing, and a *fault.Error otherwise.
func (s *Store) checkDir(rel string) error {
	fi, err := s.root.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return err
	case err != nil:
		return ioError(err, "cannot read %s: %v", s.abs(rel))
	case !fi.IsDir():
		return newError(CodeIO, nil, "%s should be a folder but is not (a file or a symbolic link): move it out of the data folder", s.abs(rel))
	}
	return nil
}

// readDirNames returns the names in a folder inside the data folder, sorted.
func (s *Store) readDirNames(rel string) ([]string, error) {
	entries, err := fs.ReadDir(s.root.FS(), filepath.ToSlash(rel))
	if err != nil {
		return nil, ioError(err, "cannot read the folder %s: %v", s.abs(rel))
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// syncDir flushes a folder's entries (after a rename or a removal).
func (s *Store) syncDir(rel string) error {
	f, err := s.root.Open(rel)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// decode parses a JSON record of the data folder and checks it with check.
// A JSON error is said as "not a WHAT record" only: it could quote a
// character of a secret.
func decode[T any](data []byte, what string, check func(*T) error) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, errors.New("not a " + what + " record")
	}
	if err := check(v); err != nil {
		return nil, err
	}
	return v, nil
}

// marshal encodes a record as indented JSON with a final newline.
func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Probe checks that the data folder can be written: it writes a small file
// atomically and removes it, both through the FailWrites hook. A failure
// is the CodeIO *fault.Error of the write (Why says why in words).
func (s *Store) Probe() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.errClosed()
	}
	const probe = ".probe"
	if err := s.writeFile(probe, []byte("ok\n"), false); err != nil {
		return ioError(err, "cannot write to the data folder %s: %v", s.dir)
	}
	if err := s.change("remove", probe, s.root.Remove); err != nil {
		return ioError(err, "cannot remove %s: %v", s.abs(probe))
	}
	return nil
}
