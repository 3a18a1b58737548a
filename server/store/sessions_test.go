package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/applink/applink/internal/datakey"
)

// TestSessions: sessions survive a restart, end for good, are pruned when
// expired, and the file holds no session id.
func TestSessions(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	t0 := time.Unix(1_000_000, 0).UTC()
	live := Session{TokenTag: "tag-a", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	for _, id := range []string{"id-one", "id-two", "id-other-tag"} {
		x := live
		if id == "id-other-tag" {
			x.TokenTag = "tag-b"
		}
		if err := s.AddSession(id, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.EndSession("id-one"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Session("id-one"); ok {
		t.Error("an ended session is still there")
	}
	if n, err := s.EndSessions(func(x Session) bool { return x.TokenTag != "tag-a" }); n != 1 || err != nil {
		t.Errorf("EndSessions(other tag) = %d, %v; want 1", n, err)
	}

	// A restart keeps what was saved.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir)
	if got, ok := s.Session("id-two"); !ok || !got.ExpiresAt.Equal(live.ExpiresAt) || got.TokenTag != "tag-a" {
		t.Errorf("after a restart: %+v %v", got, ok)
	}
	for _, id := range []string{"id-one", "id-other-tag", ""} {
		if _, ok := s.Session(id); ok {
			t.Errorf("session %q is back after a restart", id)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "sessions"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "id-two") {
		t.Error("the sessions file holds a session id")
	}
	if fi, _ := os.Stat(filepath.Join(dir, "sessions")); fi.Mode().Perm() != 0o600 {
		t.Errorf("sessions mode %v", fi.Mode().Perm())
	}

	// A new session prunes the expired ones.
	later := t0.Add(2 * time.Hour)
	if err := s.AddSession("id-three", Session{TokenTag: "tag-a", CreatedAt: later, ExpiresAt: later.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Session("id-two"); ok {
		t.Error("an expired session was not pruned")
	}
	// Sign out everywhere.
	if n, err := s.EndSessions(nil); n != 1 || err != nil {
		t.Errorf("EndSessions(nil) = %d, %v", n, err)
	}
	if _, ok := s.Session("id-three"); ok {
		t.Error("EndSessions(nil) left a session")
	}
	wantCode(t, "AddSession without expiry", s.AddSession("x", Session{}), CodeInvalid)
}

// TestSessionsWriteFails: a session that cannot be saved is not added;
// one that cannot be ended on disk still ends now, and the error says so.
func TestSessionsWriteFails(t *testing.T) {
	s := openAt(t, t.TempDir())
	t0 := time.Unix(1_000_000, 0)
	x := Session{TokenTag: "t", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.AddSession("kept", x); err != nil {
		t.Fatal(err)
	}
	s.FailWrites(func(op, path string) error { return syscall.ENOSPC })
	err := s.AddSession("new", x)
	wantCode(t, "AddSession on a full disk", err, CodeIO)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("error %v lacks ENOSPC", err)
	}
	if _, ok := s.Session("new"); ok {
		t.Error("a session that was not saved was added")
	}
	wantCode(t, "EndSession on a full disk", s.EndSession("kept"), CodeIO)
	if _, ok := s.Session("kept"); ok {
		t.Error("sign-out on a full disk left the session open")
	}
}

// TestSessionsDamaged: a damaged sessions file signs everyone out and is
// reported, never fatal.
func TestSessionsDamaged(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sessions"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, dir)
	if p := s.Problems(); len(p) != 1 || !strings.Contains(p[0], "sessions") {
		t.Errorf("problems = %q", p)
	}
	t0 := time.Unix(1_000_000, 0)
	if err := s.AddSession("a", Session{CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Errorf("AddSession after a damaged file: %v", err)
	}
}

// TestSessionValues: a session's values are saved with it and read back
// after a restart; saving it again replaces them.
func TestSessionValues(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	t0 := time.Unix(1_000_000, 0).UTC()
	x := Session{TokenTag: "t", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Values: map[string]string{"who": "alice"}}
	if err := s.AddSession("id", x); err != nil {
		t.Fatal(err)
	}
	x.Values = map[string]string{"who": "bob"}
	if err := s.AddSession("id", x); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir)
	if got, ok := s.Session("id"); !ok || len(got.Values) != 1 || got.Values["who"] != "bob" {
		t.Errorf("after a restart: %v %v, want who bob", got.Values, ok)
	}
}

// TestSessionsDamagedUnderDataKey: an encrypted sessions file that no
// longer decrypts (here cut short) is reported as a damaged plaintext one
// is, never fatal: Open succeeds, no one is signed in, a sign-in replaces it.
func TestSessionsDamagedUnderDataKey(t *testing.T) {
	k, dir := datakey.New(), t.TempDir()
	s := openKeyed(t, dir, k)
	t0 := time.Unix(1_000_000, 0)
	if err := s.AddSession("a", Session{CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	file := filepath.Join(dir, "sessions")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data[:len(data)-1], 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, k)
	if err != nil {
		t.Fatalf("Open with a damaged sessions file: %v", err)
	}
	defer s.Close()
	if _, ok := s.Session("a"); ok {
		t.Error("the session of a damaged file is still signed in")
	}
	if len(s.Problems()) == 0 {
		t.Error("the damaged sessions file is not reported")
	}
	if err := s.AddSession("b", Session{CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Errorf("AddSession after a damaged file: %v", err)
	}
}

// TestSessionsCapKeepsSignedIn: past maxSessions, sessions no one signed
// in to (sign-ins under way, which anyone can start) go first, so that a
// flood of them ends no admin's session.
func TestSessionsCapKeepsSignedIn(t *testing.T) {
	s := openAt(t, t.TempDir())
	t0 := time.Unix(1_000_000, 0).UTC()
	at := func(i int) Session {
		return Session{TokenTag: "tag", CreatedAt: t0.Add(time.Duration(i) * time.Second), ExpiresAt: t0.Add(time.Hour)}
	}
	admin := at(0)
	admin.Values = map[string]string{"who": "alice@example.com"}
	if err := s.AddSession("admin", admin); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= maxSessions; i++ {
		if err := s.AddSession(fmt.Sprint("pending-", i), at(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := s.Session("admin"); !ok {
		t.Error("a flood of sign-ins under way ended a signed-in session")
	}
	if _, ok := s.Session("pending-1"); ok {
		t.Error("the oldest sign-in under way was kept past the cap")
	}
}

// TestSessionsCapReplaceEndsNone: at maxSessions, saving again the session
// of an id that has one (a sign-in completing) replaces it and ends no
// other session.
func TestSessionsCapReplaceEndsNone(t *testing.T) {
	s := openAt(t, t.TempDir())
	t0 := time.Unix(1_000_000, 0).UTC()
	at := func(i int) Session {
		return Session{TokenTag: "tag", CreatedAt: t0.Add(time.Duration(i) * time.Second), ExpiresAt: t0.Add(time.Hour)}
	}
	for i := range maxSessions {
		if err := s.AddSession(fmt.Sprint("s-", i), at(i)); err != nil {
			t.Fatal(err)
		}
	}
	signedIn := at(maxSessions)
	signedIn.Values = map[string]string{"who": "alice@example.com"}
	if err := s.AddSession("s-5", signedIn); err != nil {
		t.Fatal(err)
	}
	for i := range maxSessions {
		if _, ok := s.Session(fmt.Sprint("s-", i)); !ok {
			t.Errorf("session s-%d ended when s-5 was saved again", i)
		}
	}
	if x, _ := s.Session("s-5"); x.Values["who"] != "alice@example.com" {
		t.Errorf("s-5 = %+v; want the replacing record", x)
	}
}
