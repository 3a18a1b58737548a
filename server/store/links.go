package store

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

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
	return decode(data, "link", func(*Link) error { return nil })
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

// readLinkFile reads the file of link name that holds its what: an error
// matching fs.ErrNotExist when it is missing, CodeIO when it cannot be read.
// The caller holds s.mu.
func (s *Store) readLinkFile(name, file, what string) ([]byte, error) {
	data, err := s.readFile(linkPath(name, file))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, ioError(err, "cannot read the %s of link %q (%s): %v", what, name, s.abs(linkPath(name, file)))
	}
	return data, err
}

// corrupt is the CodeCorrupt error of a link's file that holds its what
// and is missing, or does not parse (err says why).
func (s *Store) corrupt(name, file, what string, err error) *fault.Error {
	why := fmt.Sprintf("is damaged (%v)", err)
	if errors.Is(err, fs.ErrNotExist) {
		why = "is missing"
	}
	return newError(CodeCorrupt, err, "the %s of link %q (%s) %s: %s", what, name, s.abs(linkPath(name, file)), why, hintBrokenLink)
}

// readLink reads a link's record; the folder name is the link's name. The
// caller holds s.mu.
func (s *Store) readLink(name string) (*Link, error) {
	data, err := s.readLinkFile(name, linkFile, "record")
	if errors.Is(err, fs.ErrNotExist) {
		if err := s.requireLink(name); err != nil {
			return nil, err
		}
		return nil, s.corrupt(name, linkFile, "record", err)
	}
	if err != nil {
		return nil, err
	}
	l, err := decodeLink(data)
	if err != nil {
		return nil, s.corrupt(name, linkFile, "record", err)
	}
	l.Name = name
	return l, nil
}

// CreateLink saves a new link and its private key in one step: on any
// failure nothing is left behind. CodeExists when the name is taken,
// CodeInvalid when the name is not a slug (letters, digits, '-', '_', 1 to
// 64 characters), or the key is missing or shorter than 2048 bits.
//
// The link is written into a temporary folder that is renamed into place,
// so a crash leaves either the whole link or none of it.
func (s *Store) CreateLink(l *Link, key *rsa.PrivateKey) error {
	if l == nil {
		return newError(CodeInvalid, nil, "no link given")
	}
	if err := CheckName(l.Name); err != nil {
		return err
	}
	linkJSON, err := marshal(l)
	if err != nil {
		return newError(CodeInvalid, err, "link %q cannot be encoded: %v", l.Name, err)
	}
	privPEM, err := keys.MarshalPrivateKey(key) // refuses a missing or incomplete key
	if err != nil {
		return newError(CodeInvalid, err, "link %q: the private key cannot be encoded: %v", l.Name, err)
	}
	if err := keys.CheckSize(&key.PublicKey); err != nil {
		return newError(CodeInvalid, err, "link %q: %v", l.Name, err)
	}
	pubPEM, _ := keys.MarshalPublicKey(&key.PublicKey) // never fails for a key MarshalPrivateKey validated
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.errClosed()
	}
	name, final := l.Name, linkPath(l.Name)
	if _, err := s.root.Lstat(final); err == nil {
		return newError(CodeExists, nil, "a link named %q already exists", name)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return ioError(err, "cannot check %s: %v", s.abs(final))
	}
	tmp := filepath.Join(linksDir, tmpLinkPrefix+name+"-"+randomHex(8))
	if err := s.change("mkdir", tmp, func(tmp string) error { return s.root.Mkdir(tmp, 0o700) }); err != nil {
		return ioError(err, "cannot create the folder of link %q: %v", name)
	}
	files := map[string][]byte{keys.PrivateKeyFile: privPEM, keys.PublicKeyFile: pubPEM, linkFile: linkJSON}
	for _, f := range []string{keys.PrivateKeyFile, keys.PublicKeyFile, linkFile} {
		if err := s.writeFileAs(filepath.Join(tmp, f), linkPath(name, f), files[f], true); err != nil {
			_ = s.change("remove", tmp, s.root.RemoveAll)
			return ioError(err, "cannot save link %q (%s): %v", name, f)
		}
	}
	if err := s.change("rename", tmp, func(tmp string) error { return s.root.Rename(tmp, final) }); err != nil {
		_ = s.change("remove", tmp, s.root.RemoveAll)
		return ioError(err, "cannot save link %q: %v", name)
	}
	if err := s.syncDir(linksDir); err != nil {
		return ioError(err, "link %q is saved but %s could not be flushed to disk: %v", name, s.abs(linksDir))
	}
	return nil
}

// onLink returns f's result, run with s.mu held once the link's name and
// folder are checked (requireLink): the one check of a request.
func onLink[T any](s *Store, name string, f func() (T, error)) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.requireLink(name); err != nil {
		var zero T
		return zero, err
	}
	return f()
}

// Load reads a link after one check of its name and folder: its record,
// with token its access token (nil if none), with key its private key
// (unless the token was asked for and there is none: nothing can be signed
// as its approver then), with the codes of GetLink, PrivateKey and Token.
func (s *Store) Load(name string, key, token bool) (l *Link, k *rsa.PrivateKey, t *Token, err error) {
	l, err = onLink(s, name, func() (l *Link, err error) {
		if l, err = s.readLink(name); err == nil && token {
			if t, err = s.token(name); fault.Is(err, CodeNotFound) {
				err = nil // no token yet
			}
		}
		if err == nil && key && (t != nil || !token) {
			k, err = s.privateKey(name)
		}
		return l, err
	})
	return l, k, t, err
}

// GetLink returns a copy of a link's record (CodeNotFound if none,
// CodeCorrupt naming the file when its record cannot be read).
func (s *Store) GetLink(name string) (*Link, error) {
	return onLink(s, name, func() (*Link, error) { return s.readLink(name) })
}

// ListLinks returns copies of every link, sorted by name. A link whose
// record cannot be read is not skipped: it is returned with only its name
// and a LastError that names the file. Entries
// of the links folder that cannot be links (names that are not slugs) are
// reported by Problems, not here.
func (s *Store) ListLinks() ([]*Link, error) {
	return locked(s, func() ([]*Link, error) {
		names, err := s.readDirNames(linksDir)
		if err != nil {
			return nil, err
		}
		links := []*Link{}
		for _, name := range names {
			if CheckName(name) != nil { // also skips the temporary folders (".tmp-", ".del-")
				continue
			}
			l, err := s.readLink(name)
			if err != nil {
				e := ioError(err, "cannot read link %q: %v", name)
				if e.Code == CodeNotFound {
					continue
				}
				l = &Link{Name: name, LastError: &fault.Error{Code: e.Code, Message: e.Message, Hint: hintBrokenLink}}
			}
			links = append(links, l)
		}
		return links, nil
	})
}

// EditLink reads a link's record (GetLink), changes it with f and saves it
// atomically, the name kept; an error from f saves nothing. f runs without
// the Store's lock (it may call the Store): the caller serialises the
// changes of a link (the server's lock), or the last save wins.
func (s *Store) EditLink(name string, f func(*Link) error) (*Link, error) {
	l, err := s.GetLink(name)
	if err == nil {
		err = f(l)
	}
	if err != nil {
		return nil, err
	}
	l.Name = name
	data, err := marshal(l)
	if err != nil {
		return nil, newError(CodeInvalid, err, "link %q cannot be encoded: %v", name, err)
	}
	return onLink(s, name, func() (*Link, error) { // the folder checked again: f ran unlocked
		if err := s.writeFile(linkPath(name, linkFile), data, false); err != nil {
			return nil, ioError(err, "cannot save link %q: %v", name)
		}
		return l, nil
	})
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
	errs := []error{s.syncDir(linksDir)}
	for id, h := range s.handshakes {
		if h.Link == name {
			errs = append(errs, s.removeHandshake(id))
			delete(s.handshakes, id) // even when its file stays: its link is gone
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
	return onLink(s, name, func() (*rsa.PrivateKey, error) { return s.privateKey(name) })
}

// privateKey is PrivateKey of a checked link. The caller holds s.mu.
func (s *Store) privateKey(name string) (*rsa.PrivateKey, error) {
	data, err := s.readLinkFile(name, keys.PrivateKeyFile, "private key")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, s.corrupt(name, keys.PrivateKeyFile, "private key", err)
	} else if err != nil {
		return nil, err
	}
	key, err := keys.ParsePrivateKey(data)
	if err != nil {
		return nil, s.corrupt(name, keys.PrivateKeyFile, "private key", err)
	}
	pubData, err := s.readLinkFile(name, keys.PublicKeyFile, "public key")
	if errors.Is(err, fs.ErrNotExist) {
		return key, nil
	} else if err != nil {
		return nil, err
	}
	pub, err := keys.ParsePublicKey(pubData)
	if err == nil && !pub.Equal(&key.PublicKey) {
		err = errors.New("it is not the public half of the private key")
	}
	if err != nil {
		return nil, s.corrupt(name, keys.PublicKeyFile, "public key", err)
	}
	return key, nil
}
