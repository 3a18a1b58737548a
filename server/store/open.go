package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/applink/applink/internal/datakey"
	"github.com/applink/applink/internal/fsutil"
)

// Names inside the data folder.
const (
	lockFile          = ".lock"
	adminTokenFile    = "admin-token"
	sessionKeysFile   = "session-keys"
	sessionsFile      = "sessions"
	linksDir          = "links"
	handshakesDir     = "handshakes"
	linkFile          = "link.json"
	tokenFile         = "token.json"
	tagsFile          = "token.tags" // the tags a link's token file is sealed for (writeToken)
	handshakeFileExt  = ".json"
	tmpLinkPrefix     = ".tmp-" // CreateLink's folder before its rename
	deletedLinkPrefix = ".del-" // DeleteLink's folder before its removal
)

// errLocked is flock's error when another process holds the lock.
var errLocked = errors.New("lock held by another process")

// Open opens (creating when missing, mode 0700) the data folder dir.
//
// It takes an exclusive lock on the folder (CodeLocked when another process
// holds it), removes what an interrupted write left behind, and loads the
// pending handshakes. Files it cannot read do not make it fail: they are
// listed by Problems.
//
// dataKeys are the data keys of the folder's secret files (see
// EncryptSecrets): the first encrypts every secret file written, and each
// decrypts the files encrypted under it. Without one, secret files are
// written in the clear. Open refuses a folder holding a secret file that
// none of them decrypts: datakey.CodeRequired when none is given,
// datakey.CodeMismatch when the file names another key; and, given one, a
// folder holding a plaintext secret (datakey.CodePlaintext: see
// OpenToEncrypt).
func Open(dir string, dataKeys ...*datakey.Key) (*Store, error) {
	return open(dir, false, dataKeys)
}

// OpenToEncrypt is Open reading plaintext secrets as they are, for
// EncryptSecrets by the migration command (service stopped), never to serve.
func OpenToEncrypt(dir string, dataKeys ...*datakey.Key) (*Store, error) {
	return open(dir, true, dataKeys)
}

// open is Open, taking plaintext secrets as they are when plainOK.
func open(dir string, plainOK bool, dataKeys []*datakey.Key) (*Store, error) {
	if dir == "" {
		return nil, newError(CodeInvalid, nil, "no data folder given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, ioError(err, "data folder %s: %v", dir)
	}
	if err := fsutil.MkdirPrivate(abs); err != nil {
		return nil, ioError(err, "cannot create the data folder %s: %v", abs)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, ioError(err, "cannot open the data folder %s: %v", abs)
	}
	lock, err := lockFolder(root, abs)
	if err != nil {
		root.Close()
		return nil, err
	}
	s := &Store{dir: abs, root: root, lock: lock, handshakes: map[string]Handshake{}, dataKeys: dataKeys, plainOK: plainOK}
	if err := s.prepare(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// lockFolder takes the folder's lock file and its exclusive lock.
func lockFolder(root *os.Root, abs string) (*os.File, error) {
	f, err := root.OpenFile(lockFile, os.O_RDWR|os.O_CREATE, fsutil.FileMode)
	if err != nil {
		return nil, ioError(err, "cannot open the lock file %s: %v", filepath.Join(abs, lockFile))
	}
	if err := flock(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, newError(CodeLocked, err,
				"the data folder %s is in use by another applink process (it holds %s): stop that process or choose another data folder",
				abs, filepath.Join(abs, lockFile))
		}
		return nil, ioError(err, "cannot lock the data folder %s: %v", abs)
	}
	return f, nil
}

// prepare makes the sub-folders, removes leftovers, checks the secret
// files, reads the link records and loads the sessions and handshakes.
func (s *Store) prepare() error {
	for _, d := range []string{linksDir, handshakesDir} {
		if err := s.checkDir(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := s.change("mkdir", d, func(d string) error { return fsutil.MkdirPrivate(s.abs(d)) }); err != nil {
			return ioError(err, "cannot create %s: %v", s.abs(d))
		}
	}
	for _, d := range []string{".", linksDir, handshakesDir} {
		if err := s.removeLeftovers(d); err != nil {
			return err
		}
	}
	if err := s.checkSecrets(); err != nil {
		return err
	}
	names, err := s.readDirNames(linksDir)
	if err != nil {
		return err
	}
	for _, name := range names {
		if strings.HasPrefix(name, ".") {
			continue
		}
		if CheckName(name) != nil {
			s.problems = append(s.problems, s.abs(linksDir, name)+
				" is not a link (a link name has 1 to 64 letters, digits, '-' or '_'): move it out of the data folder")
			continue
		}
		if err := s.checkDir(linkPath(name)); err != nil {
			s.problems = append(s.problems, s.abs(linksDir, name)+" is not a link folder: move it out of the data folder")
			continue
		}
		if err := s.removeLeftovers(linkPath(name)); err != nil {
			return err
		}
		if _, err := s.readLink(name); err != nil {
			s.problems = append(s.problems, err.Error())
		}
	}
	s.loadSessions()
	return s.loadHandshakes()
}

// isLeftover reports whether a folder entry is what an interrupted write
// left: a temporary file of fsutil.WriteFile (".NAME.tmp-RANDOM"), or a
// link folder of an interrupted CreateLink (".tmp-NAME-RANDOM", matched by
// the same rule) or DeleteLink.
func isLeftover(name string) bool {
	return strings.HasPrefix(name, deletedLinkPrefix) || strings.HasPrefix(name, ".") && strings.Contains(name, tmpLinkPrefix)
}

// removeLeftovers removes the leftovers found directly in dir.
func (s *Store) removeLeftovers(dir string) error {
	names, err := s.readDirNames(dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		if !isLeftover(name) {
			continue
		}
		if err := s.change("remove", filepath.Join(dir, name), s.root.RemoveAll); err != nil {
			return ioError(err, "cannot remove %s, left by an interrupted write: %v", s.shown(filepath.Join(dir, name)))
		}
	}
	return nil
}

// Close releases the folder's lock. The Store cannot be used afterwards;
// closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.handshakes = nil
	s.sessions = nil
	if err := errors.Join(s.lock.Close(), s.root.Close()); err != nil { // closing the lock file releases the flock
		return ioError(err, "closing the data folder %s: %v", s.dir)
	}
	return nil
}

// Dir returns the data folder, as an absolute path.
func (s *Store) Dir() string { return s.dir }

// Problems returns what Open found in the folder and could not use: link
// records, handshakes or entries that cannot be read. Each message names the
// file and says what to do; none holds a secret, so they may be logged.
func (s *Store) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.problems)
}
