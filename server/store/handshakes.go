package store

import (
	"cmp"
	"crypto/subtle"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/applink/applink/fault"
)

// hsPath returns the file name of a handshake.
func hsPath(id string) string {
	return filepath.Join(handshakesDir, id+handshakeFileExt)
}

// checkHandshake returns why h cannot be saved, or nil. The message holds
// no secret.
func checkHandshake(h *Handshake) error {
	switch {
	case !validID(h.ID):
		return errors.New("its ID is not 22 to 64 characters of letters, digits, '-' or '_'")
	case CheckName(h.Link) != nil:
		return errors.New("it names no valid link")
	case h.RequestToken == "":
		return errors.New("it has no request token")
	case h.ExpiresAt.IsZero():
		return errors.New("it has no expiry time")
	}
	return nil
}

// loadHandshakes reads the pending handshakes into memory, removes those
// whose link is gone and reports the files it cannot read. Called by Open.
func (s *Store) loadHandshakes() error {
	names, err := s.readDirNames(handshakesDir)
	if err != nil {
		return err
	}
	for _, name := range names {
		if strings.HasPrefix(name, ".") {
			continue
		}
		file := filepath.Join(handshakesDir, name)
		id, ok := strings.CutSuffix(name, handshakeFileExt)
		if !ok || !validID(id) {
			s.problems = append(s.problems, s.shown(file)+" is not a pending handshake: move it out of the data folder")
			continue
		}
		data, err := s.readFile(file)
		if err != nil {
			s.problems = append(s.problems, ioError(err, "cannot read the pending handshake %s: %v", s.shown(file)).Error())
			continue
		}
		h, err := decode(data, "handshake", checkHandshake)
		if err == nil && h.ID != id {
			err = errors.New("its ID is not its file name")
		}
		if err != nil {
			s.problems = append(s.problems, "the pending handshake "+s.shown(file)+" is damaged ("+err.Error()+
				"): delete it (with applink stopped, the file of "+handshakesDir+" whose name without .json has that SHA-256); its approval link no longer works, start a new handshake")
			continue
		}
		if err := s.checkDir(linkPath(h.Link)); errors.Is(err, fs.ErrNotExist) {
			// Its link was deleted by a DeleteLink that did not finish.
			if err := s.change("remove", file, s.root.Remove); err != nil {
				return ioError(err, "cannot remove %s, a handshake of a deleted link: %v", s.shown(file))
			}
			continue
		}
		s.handshakes[id] = *h
	}
	return nil
}

// SaveHandshake saves a pending handshake, replacing the one with the same
// ID. When h.ID is empty it sets it to a NewHandshakeID first. CodeInvalid
// when the ID is malformed or the request token or expiry time is missing,
// CodeNotFound when its link does not exist, CodeExists when another
// pending handshake has the same request token.
func (s *Store) SaveHandshake(h *Handshake) error {
	if h == nil {
		return newError(CodeInvalid, nil, "no handshake given")
	}
	if h.ID == "" {
		h.ID = NewHandshakeID()
	}
	if err := checkHandshake(h); err != nil {
		return newError(CodeInvalid, nil, "cannot save the handshake: %v", err)
	}
	data, err := marshal(h)
	if err != nil {
		return newError(CodeInvalid, nil, "the handshake cannot be encoded")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.requireLink(h.Link); err != nil {
		return err
	}
	if id, ok := s.findByToken(h.RequestToken); ok && id != h.ID {
		return newError(CodeExists, nil, "another pending handshake of link %q has the same request token", s.handshakes[id].Link)
	}
	if err := s.writeFile(hsPath(h.ID), data, false); err != nil {
		return ioError(err, "cannot save the handshake of link %q: %v", h.Link)
	}
	s.handshakes[h.ID] = *h
	return nil
}

// Handshake returns a pending handshake by ID (CodeNotFound if none, or if
// id is malformed).
func (s *Store) Handshake(id string) (*Handshake, error) {
	return locked(s, func() (*Handshake, error) {
		h, ok := s.handshakes[id] // holds valid IDs only
		if !ok {
			return nil, errNoHandshake()
		}
		return &h, nil
	})
}

// LatestHandshake returns the pending handshake of a link started last
// (CodeNotFound when it has none). Expired ones count too: the caller
// decides about expiry, as with TakeHandshake.
func (s *Store) LatestHandshake(link string) (*Handshake, error) {
	return locked(s, func() (*Handshake, error) {
		var latest *Handshake
		for _, h := range s.handshakes {
			if h.Link == link && (latest == nil || h.CreatedAt.After(latest.CreatedAt)) {
				latest = &h
			}
		}
		if latest == nil {
			return nil, errNoHandshake()
		}
		return latest, nil
	})
}

// errNoHandshake does not repeat the ID or token asked for: both are
// secrets that grant access.
func errNoHandshake() *fault.Error {
	return newError(CodeNotFound, nil, "no such pending handshake: it was used already, expired, or never started here")
}

// findByToken returns the ID of the handshake of a request token (never
// empty: see checkHandshake). It compares every pending handshake's token
// in constant time. The caller holds s.mu.
func (s *Store) findByToken(requestToken string) (string, bool) {
	found := ""
	for id, h := range s.handshakes {
		if subtle.ConstantTimeCompare([]byte(h.RequestToken), []byte(requestToken)) == 1 {
			found = id
		}
	}
	return found, found != ""
}

// HandshakeByRequestToken returns the pending handshake of a request
// token, comparing in constant time (CodeNotFound if none).
func (s *Store) HandshakeByRequestToken(requestToken string) (*Handshake, error) {
	return locked(s, func() (*Handshake, error) {
		id, ok := s.findByToken(requestToken)
		if !ok {
			return nil, errNoHandshake()
		}
		h := s.handshakes[id]
		return &h, nil
	})
}

// removeHandshake removes a pending handshake's file (one already gone is
// fine) and then forgets it. The caller holds s.mu.
func (s *Store) removeHandshake(id string) error {
	if err := s.change("remove", hsPath(id), s.root.Remove); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	delete(s.handshakes, id)
	return nil
}

// TakeHandshake removes and returns the pending handshake of a request
// token, so that it is used once: of two concurrent calls for the same
// token, exactly one gets it and the other gets CodeNotFound. It does not
// look at the expiry time: the caller does, to tell an expired handshake
// from an unknown one. When its file cannot be removed the handshake is
// not returned (CodeIO) and stays pending.
func (s *Store) TakeHandshake(requestToken string) (*Handshake, error) {
	return locked(s, func() (*Handshake, error) {
		id, ok := s.findByToken(requestToken)
		if !ok {
			return nil, errNoHandshake()
		}
		h := s.handshakes[id]
		if err := s.removeHandshake(id); err != nil {
			return nil, ioError(err, "cannot remove the pending handshake of link %q: %v", h.Link)
		}
		if err := s.syncDir(handshakesDir); err != nil {
			return nil, ioError(err, "the pending handshake of link %q is removed, but %s could not be flushed to disk: %v",
				h.Link, s.abs(handshakesDir))
		}
		return &h, nil
	})
}

// PruneHandshakes removes pending handshakes that expired before now and
// returns how many (RemoveHandshakes).
func (s *Store) PruneHandshakes(now time.Time) (int, error) {
	return s.RemoveHandshakes(func(h Handshake) bool { return h.ExpiresAt.Before(now) })
}

// RemoveHandshakes removes the pending handshakes drop picks and returns
// how many. A handshake whose file cannot be removed stays pending and the
// first such failure is returned with the count of the others.
func (s *Store) RemoveHandshakes(drop func(Handshake) bool) (int, error) {
	return locked(s, func() (n int, first error) {
		for id, h := range s.handshakes {
			if !drop(h) {
				continue
			}
			if err := s.removeHandshake(id); err != nil {
				first = cmp.Or(first, error(ioError(err, "cannot remove a pending handshake of link %q: %v", h.Link)))
				continue
			}
			n++
		}
		return n, first
	})
}

// PendingHandshakes returns how many handshakes of a link are pending and
// not expired at now (Handshake.OAuth().Expired).
func (s *Store) PendingHandshakes(link string, now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.handshakes {
		if h.Link == link && !h.OAuth().Expired(now) {
			n++
		}
	}
	return n
}
