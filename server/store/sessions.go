package store

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"slices"
	"time"
)

// Session is a signed-in admin's browser session, kept in the file
// sessions (0600) so that a restart signs no one out, and so that signing
// out ends it for good. The browser's cookie holds the session's random
// id; the file holds only its SHA-256, so that a copy of the data folder
// opens no session.
type Session struct {
	// TokenTag is the tag of the admin token the session was made with:
	// another token ends it.
	TokenTag  string    `json:"token_tag"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Values are the session's values (such as who signed in).
	Values map[string]string `json:"values,omitempty"`
}

// maxSessions bounds the sessions kept: past it, the oldest ends.
const maxSessions = 1000

// sessionsRecord is the JSON form of the sessions file: sessions by the
// hex SHA-256 of their id.
type sessionsRecord struct {
	Sessions map[string]Session `json:"sessions"`
}

// sessionKey is the key of a session id in the file and in memory.
func sessionKey(id string) string {
	sum := sha256.Sum256([]byte("applink session id\x00" + id))
	return hex.EncodeToString(sum[:])
}

// loadSessions reads the sessions file, when there is one. A damaged file
// is a problem, not a failure: no one is signed in, and the file is
// replaced at the next sign-in. Called by Open.
func (s *Store) loadSessions() {
	data, err := s.readFile(sessionsFile)
	if err == nil {
		s.sessions, err = parseSessions(data) // nil on error
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.problems = append(s.problems, s.abs(sessionsFile)+" cannot be used ("+ioError(err, "%v").Message+
			"): everyone must sign in again, and it is replaced at the next sign-in")
	}
	if s.sessions == nil {
		s.sessions = map[string]Session{}
	}
}

// parseSessions reads the sessions file, keeping the well-formed sessions
// (a key that is a SHA-256 in hex, an expiry time).
func parseSessions(data []byte) (map[string]Session, error) {
	var rec sessionsRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, errors.New("not a sessions record")
	}
	out := make(map[string]Session, len(rec.Sessions))
	for k, x := range rec.Sessions {
		if _, err := hex.DecodeString(k); err == nil && len(k) == 2*sha256.Size && !x.ExpiresAt.IsZero() {
			out[k] = x
		}
	}
	return out, nil
}

// saveSessionsLocked writes the sessions file (s.mu held).
func (s *Store) saveSessionsLocked() error {
	data, err := marshal(sessionsRecord{Sessions: s.sessions})
	if err == nil {
		err = s.writeFile(sessionsFile, data, false)
	}
	if err != nil {
		return ioError(err, "cannot save the sessions in %s: %v", s.abs(sessionsFile))
	}
	return nil
}

// Session returns the session of an id (the cookie's), if there is one.
// Whether it is still valid (its expiry, its token tag) is the caller's
// rule.
func (s *Store) Session(id string) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.sessions[sessionKey(id)]
	return x, ok && !s.closed
}

// AddSession saves a session under id (random, made by the caller),
// replacing the record of that id if there is one. Sessions expired at
// x.CreatedAt are dropped in the same write, and past maxSessions the
// oldest no one signed in to (no value "who"), then the oldest. When the write fails nothing changes.
func (s *Store) AddSession(id string, x Session) error {
	if id == "" || x.ExpiresAt.IsZero() {
		return newError(CodeInvalid, nil, "cannot save a session without an id or an expiry time")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.errClosed()
	}
	before, k := s.sessions, sessionKey(id)
	s.sessions = maps.Clone(before)
	maps.DeleteFunc(s.sessions, func(key string, old Session) bool { return key == k || !old.ExpiresAt.After(x.CreatedAt) })
	for len(s.sessions) >= maxSessions {
		oldest := slices.MinFunc(slices.Collect(maps.Keys(s.sessions)), func(a, b string) int { // no one signed in ("who") first
			x, y := s.sessions[a], s.sessions[b]
			return cmp.Or(cmp.Compare(min(len(x.Values["who"]), 1), min(len(y.Values["who"]), 1)), x.CreatedAt.Compare(y.CreatedAt))
		})
		delete(s.sessions, oldest)
	}
	s.sessions[k] = x // its old record dropped above: replacing it ends no other
	if err := s.saveSessionsLocked(); err != nil {
		s.sessions = before
		return err
	}
	return nil
}

// EndSessions ends every session for which end returns true (all when end
// is nil) and saves the rest; n is how many ended. They end at once, even
// when the write fails (CodeIO): they would then come back after a restart.
func (s *Store) EndSessions(end func(Session) bool) (n int, err error) {
	return s.endSessions(func(_ string, x Session) bool { return end == nil || end(x) })
}

// EndSession ends the session of an id, if there is one.
func (s *Store) EndSession(id string) error {
	k := sessionKey(id)
	_, err := s.endSessions(func(key string, _ Session) bool { return key == k })
	return err
}

// endSessions ends the sessions for whose key end returns true, as
// EndSessions does.
func (s *Store) endSessions(end func(key string, x Session) bool) (int, error) {
	return locked(s, func() (int, error) {
		n := len(s.sessions)
		maps.DeleteFunc(s.sessions, end)
		if n -= len(s.sessions); n == 0 {
			return 0, nil
		}
		return n, s.saveSessionsLocked()
	})
}
