package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/applink/applink/fault"
)

// newHandshake returns a handshake of link with a fresh ID and request
// token, expiring at exp.
func newHandshake(link string, exp time.Time) *Handshake {
	id := NewHandshakeID()
	return &Handshake{
		ID:           id,
		Link:         link,
		RequestToken: "rt-" + id,
		TokenSecret:  "secret-" + id,
		AuthorizeURL: "https://jira.example.com/plugins/servlet/oauth/authorize?oauth_token=rt-" + id,
		CreatedAt:    exp.Add(-10 * time.Minute),
		ExpiresAt:    exp,
	}
}

// sameHandshake compares two handshakes, times with Equal.
func sameHandshake(a, b *Handshake) bool {
	return a.ID == b.ID && a.Link == b.Link && a.RequestToken == b.RequestToken &&
		a.TokenSecret == b.TokenSecret && a.AuthorizeURL == b.AuthorizeURL &&
		a.CreatedAt.Equal(b.CreatedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}

func TestHandshakeRoundTrip(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	h := newHandshake("prod", t0.Add(10*time.Minute))
	if err := s.SaveHandshake(h); err != nil {
		t.Fatal(err)
	}
	byID, err := s.Handshake(h.ID)
	if err != nil || !sameHandshake(byID, h) {
		t.Errorf("Handshake(id) = %+v, %v; want %+v", byID, err, h)
	}
	byToken, err := s.HandshakeByRequestToken(h.RequestToken)
	if err != nil || !sameHandshake(byToken, h) {
		t.Errorf("HandshakeByRequestToken = %+v, %v", byToken, err)
	}

	// Copies: neither the caller's struct nor a returned one is the store's.
	h.TokenSecret = "changed by caller"
	byID.RequestToken = "changed by reader"
	again, err := s.Handshake(h.ID)
	if err != nil || again.TokenSecret != "secret-"+h.ID || again.RequestToken != "rt-"+h.ID {
		t.Errorf("the stored handshake changed: %+v, %v", again, err)
	}

	for _, tc := range []struct{ what, token string }{
		{"empty", ""},
		{"unknown", "rt-unknown"},
		{"prefix", h.RequestToken[:len(h.RequestToken)-1]},
		{"longer", h.RequestToken + "x"},
	} {
		_, err := s.HandshakeByRequestToken(tc.token)
		wantCode(t, "HandshakeByRequestToken("+tc.what+")", err, CodeNotFound)
		_, err = s.TakeHandshake(tc.token)
		wantCode(t, "TakeHandshake("+tc.what+")", err, CodeNotFound)
	}
	for _, id := range []string{"", "../../admin-token", "nope", strings.Repeat("a", 65), h.ID + "/"} {
		_, err := s.Handshake(id)
		wantCode(t, "Handshake("+id+")", err, CodeNotFound)
	}
}

func TestSaveHandshakeValidation(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	before := readAll(t, s.Dir())
	exp := t0.Add(10 * time.Minute)
	for _, tc := range []struct {
		what string
		edit func(h *Handshake)
		code fault.Code
	}{
		{"traversing ID", func(h *Handshake) { h.ID = "../../../../tmp/evil-0123456789" }, CodeInvalid},
		{"short ID", func(h *Handshake) { h.ID = "abc" }, CodeInvalid},
		{"ID with a dot", func(h *Handshake) { h.ID = "0123456789abcdef0123.json" }, CodeInvalid},
		{"long ID", func(h *Handshake) { h.ID = strings.Repeat("a", 65) }, CodeInvalid},
		{"no request token", func(h *Handshake) { h.RequestToken = "" }, CodeInvalid},
		{"no expiry", func(h *Handshake) { h.ExpiresAt = time.Time{} }, CodeInvalid},
		{"unknown link", func(h *Handshake) { h.Link = "nope" }, CodeNotFound},
	} {
		h := newHandshake("prod", exp)
		tc.edit(h)
		wantCode(t, tc.what, s.SaveHandshake(h), tc.code)
	}
	wantCode(t, "SaveHandshake(nil)", s.SaveHandshake(nil), CodeInvalid)
	if after := readAll(t, s.Dir()); len(after) != len(before) {
		t.Errorf("refused handshakes changed the folder: %v", keysOf(after))
	}

	// An empty ID is made.
	h := newHandshake("prod", exp)
	h.ID = ""
	if err := s.SaveHandshake(h); err != nil {
		t.Fatal(err)
	}
	if !validID(h.ID) {
		t.Errorf("SaveHandshake set ID %q", h.ID)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "handshakes", h.ID+".json")); err != nil {
		t.Error(err)
	}

	// Base64url IDs are accepted as well as hex.
	b := newHandshake("prod", exp)
	b.ID = "AbC-_0123456789xyzXYZ_-"
	if err := s.SaveHandshake(b); err != nil {
		t.Errorf("base64url ID: %v", err)
	}

	// Same ID replaces; another ID with the same request token is refused.
	h.AuthorizeURL = "https://jira.example.com/new"
	if err := s.SaveHandshake(h); err != nil {
		t.Errorf("saving the same handshake again: %v", err)
	}
	if got, _ := s.Handshake(h.ID); got == nil || got.AuthorizeURL != h.AuthorizeURL {
		t.Errorf("the handshake was not replaced: %+v", got)
	}
	dup := newHandshake("prod", exp)
	dup.RequestToken = h.RequestToken
	wantCode(t, "same request token, other ID", s.SaveHandshake(dup), CodeExists)
}

func TestTakeHandshakeExactlyOnce(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	h := newHandshake("prod", t0.Add(10*time.Minute))
	if err := s.SaveHandshake(h); err != nil {
		t.Fatal(err)
	}
	other := newHandshake("prod", t0.Add(10*time.Minute))
	if err := s.SaveHandshake(other); err != nil {
		t.Fatal(err)
	}

	const n = 32
	var won, lost atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			got, err := s.TakeHandshake(h.RequestToken)
			switch {
			case err == nil && sameHandshake(got, h):
				won.Add(1)
			case codeOf(err) == CodeNotFound:
				lost.Add(1)
			default:
				t.Errorf("TakeHandshake = %+v, %v", got, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if won.Load() != 1 || lost.Load() != n-1 {
		t.Errorf("%d calls won and %d lost, want 1 and %d", won.Load(), lost.Load(), n-1)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "handshakes", h.ID+".json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the taken handshake's file is still there: %v", err)
	}
	if _, err := s.Handshake(h.ID); codeOf(err) != CodeNotFound {
		t.Errorf("Handshake(id) after Take: %v", err)
	}

	s = reopen(t, s)
	if _, err := s.TakeHandshake(h.RequestToken); codeOf(err) != CodeNotFound {
		t.Errorf("a taken handshake came back after a restart: %v", err)
	}
	if _, err := s.TakeHandshake(other.RequestToken); err != nil {
		t.Errorf("the other handshake was lost: %v", err)
	}
}

func TestPruneHandshakes(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	early := newHandshake("prod", t0.Add(-time.Minute))
	exact := newHandshake("prod", t0)
	late := newHandshake("prod", t0.Add(time.Minute))
	for _, h := range []*Handshake{early, exact, late} {
		if err := s.SaveHandshake(h); err != nil {
			t.Fatal(err)
		}
	}
	file := func(h *Handshake) string { return filepath.Join(s.Dir(), "handshakes", h.ID+".json") }

	for _, step := range []struct {
		now     time.Time
		removed int
		left    []*Handshake
		gone    []*Handshake
	}{
		{t0.Add(-2 * time.Minute), 0, []*Handshake{early, exact, late}, nil},
		{t0, 1, []*Handshake{exact, late}, []*Handshake{early}},
		{t0, 0, []*Handshake{exact, late}, nil},
		{t0.Add(time.Nanosecond), 1, []*Handshake{late}, []*Handshake{exact}},
		{t0.Add(time.Hour), 1, nil, []*Handshake{late}},
	} {
		n, err := s.PruneHandshakes(step.now)
		if err != nil || n != step.removed {
			t.Errorf("PruneHandshakes(%v) = %d, %v; want %d", step.now, n, err, step.removed)
		}
		for _, h := range step.left {
			if _, err := s.Handshake(h.ID); err != nil {
				t.Errorf("after Prune(%v): handshake expiring %v is gone: %v", step.now, h.ExpiresAt, err)
			}
			if _, err := os.Stat(file(h)); err != nil {
				t.Errorf("after Prune(%v): %v", step.now, err)
			}
		}
		for _, h := range step.gone {
			if _, err := s.Handshake(h.ID); codeOf(err) != CodeNotFound {
				t.Errorf("after Prune(%v): handshake expiring %v is still pending", step.now, h.ExpiresAt)
			}
			if _, err := os.Stat(file(h)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after Prune(%v): file of handshake expiring %v: %v", step.now, h.ExpiresAt, err)
			}
		}
	}
}

func TestOpenHandshakeProblemsAndOrphans(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	good := newHandshake("prod", t0)
	if err := s.SaveHandshake(good); err != nil {
		t.Fatal(err)
	}
	dir := s.Dir()
	s.Close()

	hsDir := filepath.Join(dir, "handshakes")
	orphan := newHandshake("deleted", t0)
	orphanJSON, err := marshal(orphan)
	if err != nil {
		t.Fatal(err)
	}
	renamed := newHandshake("prod", t0)
	renamedJSON, err := marshal(renamed)
	if err != nil {
		t.Fatal(err)
	}
	damagedID := NewHandshakeID()
	files := map[string]string{
		orphan.ID + ".json":        string(orphanJSON),
		damagedID + ".json":        `{"id":"` + damagedID + `","token_secret":"TOPSECRET-1", "request_token": 12}`,
		NewHandshakeID() + ".json": string(renamedJSON),
		"notes.txt":                "hello",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(hsDir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	s = openAt(t, dir)
	if _, err := os.Stat(filepath.Join(hsDir, orphan.ID+".json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the handshake of a deleted link was not removed: %v", err)
	}
	if _, err := s.Handshake(good.ID); err != nil {
		t.Errorf("the good handshake was not loaded: %v", err)
	}
	if _, err := s.Handshake(renamed.ID); codeOf(err) != CodeNotFound {
		t.Errorf("a handshake whose ID is not its file name was loaded: %v", err)
	}
	problems := s.Problems()
	if len(problems) != 3 {
		t.Errorf("Problems = %q, want 3 (damaged, renamed, notes.txt)", problems)
	}
	all := strings.Join(problems, "\n")
	for _, name := range []string{damagedID + ".json", "notes.txt"} {
		if !strings.Contains(all, s.shown(filepath.Join(handshakesDir, name))) || strings.Contains(all, name) {
			t.Errorf("Problems do not name %s by a hash of its name: %q", name, all)
		}
	}
	if strings.Contains(all, "TOPSECRET") {
		t.Errorf("Problems show a secret: %q", all)
	}
}

func TestLatestHandshake(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	createLink(t, s, "other")
	_, err := s.LatestHandshake("prod")
	wantCode(t, "LatestHandshake before any", err, CodeNotFound)
	older := newHandshake("prod", t0.Add(10*time.Minute))
	newer := newHandshake("prod", t0.Add(12*time.Minute))
	elsewhere := newHandshake("other", t0.Add(20*time.Minute))
	for _, h := range []*Handshake{newer, older, elsewhere} {
		if err := s.SaveHandshake(h); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.LatestHandshake("prod")
	if err != nil || !sameHandshake(got, newer) {
		t.Errorf("LatestHandshake(prod) = %+v, %v; want the newer one %s", got, err, newer.ID)
	}
}

// TestSaveHandshakeRenameErrorHidesID: a failed rename into the handshakes
// folder (here onto a folder of the handshake's file name) names no
// pending approval's id in the error.
func TestSaveHandshakeRenameErrorHidesID(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	h := newHandshake("prod", t0.Add(10*time.Minute))
	if err := os.MkdirAll(filepath.Join(s.Dir(), "handshakes", h.ID+".json", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := s.SaveHandshake(h)
	wantCode(t, "SaveHandshake onto a folder", err, CodeIO)
	if err != nil && strings.Contains(err.Error(), h.ID) {
		t.Errorf("the error names the approval id: %v", err)
	}
}
