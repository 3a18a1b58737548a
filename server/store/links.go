package store

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
)

// hintBrokenLink is what to do about a link whose files cannot be read.
const hintBrokenLink = "restore the file from a backup, or delete the link and create it again"

// linkPath returns the name of a link's folder, or of a file in it.
func linkPath(name string, file ...string) string {
	return filepath.Join(append([]string{linksDir, name}, file...)...)
}

// decodeLink parses a link record.
func decodeLink(data []byte) (*Link, error) {
	var l Link
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("not a link record: %w", err)
	}
	return &l, nil
}

// requireLink checks a link name and that the link exists. The caller
// holds s.mu.
func (s *Store) requireLink(name string) error {
	if s.closed {
		return s.errClosed()
	}
	if err := CheckName(name); err != nil {
		return err
	}
	err := s.checkDir(linkPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return newError(CodeNotFound, nil, "there is no link named %q", name)
	}
	return err
}

// readLink reads a link's record; the folder name is the link's name. The
// caller holds s.mu.
func (s *Store) readLink(name string) (*Link, error) {
	file := linkPath(name, linkFile)
	data, err := s.readFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		if err := s.requireLink(name); err != nil {
			return nil, err
		}
		return nil, newError(CodeCorrupt, err, "the record of link %q (%s) is missing: %s", name, s.abs(file), hintBrokenLink)
	}
	if err != nil {
		return nil, ioError(err, "cannot read the record of link %q (%s): %v", name, s.abs(file))
	}
	l, err := decodeLink(data)
	if err != nil {
		return nil, newError(CodeCorrupt, err, "the record of link %q (%s) is damaged (%v): %s", name, s.abs(file), err, hintBrokenLink)
	}
	l.Name = name
	return l, nil
}

// brokenLink is what ListLinks shows for a link that cannot be read.
func brokenLink(name string, e *fault.Error) *Link {
	return &Link{
		Name:      name,
		LastError: &fault.Error{Code: fault.Code(e.Code), Message: e.Message, Hint: hintBrokenLink},
	}
}

// CreateLink saves a new link and its private key in one step: on any
// failure nothing is left behind. CodeExists when the name is taken,
// CodeInvalid when the name is not a slug (letters, digits, '-', '_', 1 to
// 64 characters), or the key is missing or shorter than 2048 bits.
//
// The link is written into a temporary folder that is renamed into place,
// so a crash leaves either the whole link or none of it.
func (s *Store) CreateLink(l *Link, key *rsa.PrivateKey) error {
	files, err := encodeLink(l, key)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.requireNoLink(l.Name); err != nil {
		return err
	}
	tmp, err := s.writeTempLink(l.Name, files)
	if err != nil {
		return err
	}
	return s.renameLink(l.Name, tmp)
}

// namedFile is a file to write: its name and content.
type namedFile struct {
	name string
	data []byte
}

// encodeLink checks a new link and its key, and encodes the files of its
// folder: the private key, the public key and the record.
func encodeLink(l *Link, key *rsa.PrivateKey) ([]namedFile, error) {
	if l == nil {
		return nil, newError(CodeInvalid, nil, "no link given")
	}
	if err := CheckName(l.Name); err != nil {
		return nil, err
	}
	if key == nil || key.N == nil {
		return nil, newError(CodeInvalid, nil, "link %q: no private key given", l.Name)
	}
	if err := keys.CheckSize(&key.PublicKey); err != nil {
		return nil, newError(CodeInvalid, err, "link %q: %v", l.Name, err)
	}
	linkJSON, err := marshal(l)
	if err != nil {
		return nil, newError(CodeInvalid, err, "link %q cannot be encoded: %v", l.Name, err)
	}
	privPEM, err := keys.MarshalPrivateKey(key)
	if err != nil {
		return nil, newError(CodeInvalid, err, "link %q: the private key cannot be encoded: %v", l.Name, err)
	}
	pubPEM, err := keys.MarshalPublicKey(&key.PublicKey)
	if err != nil {
		return nil, newError(CodeInvalid, err, "link %q: the public key cannot be encoded: %v", l.Name, err)
	}
	return []namedFile{{keys.PrivateKeyFile, privPEM}, {keys.PublicKeyFile, pubPEM}, {linkFile, linkJSON}}, nil
}

// requireNoLink checks that the store is open and that no link is named
// name. The caller holds s.mu.
func (s *Store) requireNoLink(name string) error {
	if s.closed {
		return s.errClosed()
	}
	final := linkPath(name)
	if _, err := s.root.Lstat(final); err == nil {
		return newError(CodeExists, nil, "a link named %q already exists", name)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return ioError(err, "cannot check %s: %v", s.abs(final))
	}
	return nil
}

// writeTempLink writes a link's files into a new temporary folder of the
// links folder and returns the folder; on failure it leaves nothing behind.
// The caller holds s.mu.
func (s *Store) writeTempLink(name string, files []namedFile) (string, error) {
	tmp := filepath.Join(linksDir, tmpLinkPrefix+name+"-"+randomHex(8))
	if err := s.change("mkdir", tmp, func(tmp string) error { return s.root.Mkdir(tmp, 0o700) }); err != nil {
		return "", ioError(err, "cannot create the folder of link %q: %v", name)
	}
	for _, f := range files {
		if err := s.writeFileAs(filepath.Join(tmp, f.name), linkPath(name, f.name), f.data, true); err != nil {
			_ = s.change("remove", tmp, s.root.RemoveAll)
			return "", ioError(err, "cannot save link %q (%s): %v", name, f.name)
		}
	}
	return tmp, nil
}

// renameLink renames a link's temporary folder into place (removing it on
// failure) and flushes the links folder to disk. The caller holds s.mu.
func (s *Store) renameLink(name, tmp string) error {
	if err := s.change("rename", tmp, func(tmp string) error { return s.root.Rename(tmp, linkPath(name)) }); err != nil {
		_ = s.change("remove", tmp, s.root.RemoveAll)
		return ioError(err, "cannot save link %q: %v", name)
	}
	if err := s.syncDir(linksDir); err != nil {
		return ioError(err, "link %q is saved but %s could not be flushed to disk: %v", name, s.abs(linksDir))
	}
	return nil
}

// GetLink returns a copy of a link's record (CodeNotFound if none,
// CodeCorrupt naming the file when its record cannot be read).
func (s *Store) GetLink(name string) (*Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.requireLink(name); err != nil {
		return nil, err
	}
	return s.readLink(name)
}

// ListLinks returns copies of every link, sorted by name. A link whose
// record cannot be read is not skipped: it is returned in state "failed"
// with only its name, a warning and a LastError that name the file. Entries
// of the links folder that cannot be links (names that are not slugs) are
// reported by Problems, not here.
func (s *Store) ListLinks() ([]*Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, s.errClosed()
	}
	names, err := s.readDirNames(linksDir)
	if err != nil {
		return nil, err
	}
	links := []*Link{}
	for _, name := range names {
		if strings.HasPrefix(name, ".") || CheckName(name) != nil {
			continue
		}
		l, err := s.readLink(name)
		if err != nil {
			e, ok := fault.As(err)
			if !ok {
				e = ioError(err, "cannot read link %q: %v", name)
			}
			if e.Code == CodeNotFound {
				continue
			}
			l = brokenLink(name, e)
		}
		links = append(links, l)
	}
	return links, nil
}

// UpdateLink replaces a link's record atomically (CodeNotFound if none).
func (s *Store) UpdateLink(l *Link) error {
	if l == nil {
		return newError(CodeInvalid, nil, "no link given")
	}
	if err := CheckName(l.Name); err != nil {
		return err
	}
	data, err := marshal(l)
	if err != nil {
		return newError(CodeInvalid, err, "link %q cannot be encoded: %v", l.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.requireLink(l.Name); err != nil {
		return err
	}
	if err := s.writeFile(linkPath(l.Name, linkFile), data, false); err != nil {
		return ioError(err, "cannot save link %q: %v", l.Name)
	}
	return nil
}

// DeleteLink removes a link with its keys and token and its pending
// handshakes (CodeNotFound if none). The link's folder is first renamed
// away, so the link disappears at once even if removing its files fails;
// Open removes whatever is left.
func (s *Store) DeleteLink(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.requireLink(name); err != nil {
		return err
	}
	gone := filepath.Join(linksDir, deletedLinkPrefix+name+"-"+randomHex(8))
	if err := s.change("rename", linkPath(name), func(old string) error { return s.root.Rename(old, gone) }); err != nil {
		return ioError(err, "cannot delete link %q: %v", name)
	}
	var errs []error
	errs = append(errs, s.syncDir(linksDir))
	for id, h := range s.handshakes {
		if h.Link != name {
			continue
		}
		delete(s.handshakes, id)
		if err := s.change("remove", hsPath(id), s.root.Remove); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.change("remove", gone, s.root.RemoveAll))
	if err := errors.Join(errs...); err != nil {
		return ioError(err,
			"link %q is deleted, but some of its files could not be removed (%v); applink removes them when it next starts", name)
	}
	return nil
}

// PrivateKey returns a link's private key (CodeNotFound if there is no such
// link, CodeCorrupt when its key file is missing, does not parse, or
// public.pem is not its public half).
func (s *Store) PrivateKey(name string) (*rsa.PrivateKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.requireLink(name); err != nil {
		return nil, err
	}
	file := linkPath(name, keys.PrivateKeyFile)
	data, err := s.readFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, newError(CodeCorrupt, err, "the private key of link %q (%s) is missing: %s", name, s.abs(file), hintBrokenLink)
	}
	if err != nil {
		return nil, ioError(err, "cannot read the private key of link %q (%s): %v", name, s.abs(file))
	}
	key, err := keys.ParsePrivateKey(data)
	if err != nil {
		return nil, newError(CodeCorrupt, err, "the private key of link %q (%s) is damaged (%v): %s", name, s.abs(file), err, hintBrokenLink)
	}
	pubFile := linkPath(name, keys.PublicKeyFile)
	pubData, err := s.readFile(pubFile)
	if errors.Is(err, fs.ErrNotExist) {
		return key, nil
	}
	if err != nil {
		return nil, ioError(err, "cannot read the public key of link %q (%s): %v", name, s.abs(pubFile))
	}
	pub, err := keys.ParsePublicKey(pubData)
	if err != nil {
		return nil, newError(CodeCorrupt, err, "the public key of link %q (%s) is damaged (%v): %s", name, s.abs(pubFile), err, hintBrokenLink)
	}
	if !pub.Equal(&key.PublicKey) {
		return nil, newError(CodeCorrupt, nil, "the public key of link %q (%s) is not the public half of its private key: %s", name, s.abs(pubFile), hintBrokenLink)
	}
	return key, nil
}
