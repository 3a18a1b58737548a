package store

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
)

// testKey and otherKey are two fixed 2048-bit keys of testdata/keys.
var (
	testKey  = sync.OnceValue(func() *rsa.PrivateKey { return fixedKey("rsa2048-pkcs8.pem") })
	otherKey = sync.OnceValue(func() *rsa.PrivateKey { return fixedKey("rsa2048-b.pem") })
)

func fixedKey(name string) *rsa.PrivateKey {
	k, err := keys.LoadPrivateKeyFile(filepath.Join("..", "..", "testdata", "keys", name))
	if err != nil {
		panic(err)
	}
	return k
}

// t0 is a fixed instant for records.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// openStore opens a store on a new temporary folder, closed at the end.
func openStore(t *testing.T) *Store {
	t.Helper()
	return openAt(t, t.TempDir())
}

// openAt opens a store on dir, closed at the end of the test.
func openAt(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// reopen closes s and opens its folder again.
func reopen(t *testing.T, s *Store) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return openAt(t, s.Dir())
}

// codeOf returns the code of a *fault.Error, "" for nil and "?" for others.
func codeOf(err error) fault.Code {
	if err == nil {
		return ""
	}
	if _, ok := fault.As(err); !ok {
		return "?"
	}
	return fault.CodeOf(err)
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, what string, err error, code fault.Code) {
	t.Helper()
	if got := codeOf(err); got != code {
		t.Errorf("%s: error %v has code %q, want %q", what, err, got, code)
	}
}

// sampleLink returns a complete link record.
// okApproval is the approval of a token the service account approved.
var okApproval = oauth.Approval{Approver: &oauth.Identity{Name: "svc-sync"}, ServiceAccount: "svc-sync", Verdict: oauth.VerdictMatch, ApprovedAt: t0}

func sampleLink(name string) *Link {
	return &Link{
		Name:           name,
		JiraURL:        "https://jira.example.com",
		ServiceAccount: "svc-sync",
		Environment:    "production",
		ConsumerKey:    "applink-" + name,
		ConsumerName:   "applink: " + name,
		LastError:      &fault.Error{Code: "c", Message: "m", Hint: "h"},
		CreatedAt:      t0,
		UpdatedAt:      t0.Add(time.Hour),
	}
}

// createLink creates a link named name with the test key.
func createLink(t *testing.T, s *Store, name string) *Link {
	t.Helper()
	l := sampleLink(name)
	if err := s.CreateLink(l, testKey()); err != nil {
		t.Fatalf("CreateLink(%q): %v", name, err)
	}
	return l
}

// sameLink compares two links field by field, times with Equal.
func sameLink(t *testing.T, got, want *Link) {
	t.Helper()
	norm := func(l *Link) Link {
		c := *l
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		return c
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("link differs:\n got %+v\nwant %+v", g, w)
	}
}

// tree returns every path under dir (relative) with its mode.
func tree(t *testing.T, dir string) map[string]fs.FileMode {
	t.Helper()
	m := map[string]fs.FileMode{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[rel] = fi.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCreateGetLinkRoundTrip(t *testing.T) {
	s := openStore(t)
	want := createLink(t, s, "prod")
	got, err := s.GetLink("prod")
	if err != nil {
		t.Fatal(err)
	}
	sameLink(t, got, want)

	key, err := s.PrivateKey("prod")
	if err != nil {
		t.Fatal(err)
	}
	if !key.Equal(testKey()) {
		t.Error("PrivateKey is not the key given to CreateLink")
	}
}

func TestCreateLinkDefaultsAndValidation(t *testing.T) {
	s := openStore(t)
	l := &Link{Name: "fresh", JiraURL: "https://jira.example.com"}
	if err := s.CreateLink(l, testKey()); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetLink("fresh"); err != nil || got.JiraURL != l.JiraURL {
		t.Fatalf("GetLink = %+v, %v", got, err)
	}

	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "keys", "rsa1024.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	small, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what string
		l    *Link
		key  *rsa.PrivateKey
	}{
		{"nil link", nil, testKey()},
		{"nil key", &Link{Name: "a"}, nil},
		{"empty key", &Link{Name: "a"}, &rsa.PrivateKey{}},
		{"1024-bit key", &Link{Name: "a"}, small.(*rsa.PrivateKey)},
	} {
		wantCode(t, tc.what, s.CreateLink(tc.l, tc.key), CodeInvalid)
	}
	if _, err := s.GetLink("a"); codeOf(err) != CodeNotFound {
		t.Errorf("a refused link exists: %v", err)
	}
}

func TestCreateLinkExistingLeavesOriginal(t *testing.T) {
	s := openStore(t)
	want := createLink(t, s, "prod")
	before := readAll(t, s.Dir())

	l := sampleLink("prod")
	l.JiraURL = "https://other.example.com"
	wantCode(t, "CreateLink of an existing name", s.CreateLink(l, otherKey()), CodeExists)

	if after := readAll(t, s.Dir()); !reflect.DeepEqual(after, before) {
		t.Errorf("the data folder changed:\nbefore %v\nafter  %v", keysOf(before), keysOf(after))
	}
	got, err := s.GetLink("prod")
	if err != nil {
		t.Fatal(err)
	}
	sameLink(t, got, want)
}

// readAll returns the content of every file under dir.
func readAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for rel, mode := range tree(t, dir) {
		if mode.IsDir() {
			m[rel+"/"] = mode.String()
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		m[rel] = mode.String() + " " + string(b)
	}
	return m
}

func keysOf(m map[string]string) []string {
	var k []string
	for p := range m {
		k = append(k, p)
	}
	slices.Sort(k)
	return k
}

func TestEditLink(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	l, err := s.GetLink("prod")
	if err != nil {
		t.Fatal(err)
	}
	l.LastError = &fault.Error{Code: "permission_denied", Message: "the user clicked Deny"}
	edited, err := s.EditLink("prod", func(e *Link) error { *e = *l; e.Name = "renamed"; return nil })
	if err != nil || edited.Name != "prod" {
		t.Fatalf("EditLink = %+v, %v; want the link named prod", edited, err)
	}
	got, err := s.GetLink("prod")
	if err != nil {
		t.Fatal(err)
	}
	sameLink(t, got, l)

	_, err = s.EditLink("nope", func(*Link) error { return nil })
	wantCode(t, "EditLink of an unknown link", err, CodeNotFound)
	_, err = s.EditLink("prod", func(e *Link) error { e.Environment = "lost"; return newError(CodeInvalid, nil, "no") })
	wantCode(t, "EditLink whose change fails", err, CodeInvalid)
	if got, err := s.GetLink("prod"); err != nil || got.Environment == "lost" {
		t.Errorf("after a failed change: %+v, %v; want the record unchanged", got, err)
	}
}

// TestEditLinkDeletedMeanwhile: a link deleted while f runs (f runs
// without the lock) is not written to: CodeNotFound, and no folder of it.
func TestEditLinkDeletedMeanwhile(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	_, err := s.EditLink("prod", func(*Link) error { return s.DeleteLink("prod") })
	wantCode(t, "EditLink of a link deleted meanwhile", err, CodeNotFound)
	if _, err := os.Lstat(filepath.Join(s.Dir(), "links", "prod")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the deleted link's folder: %v; want none", err)
	}
}

// TestLoad: one call reads what is asked (the record always, the key and
// the token when asked; no token yet is nil, not an error) with the codes
// of GetLink, PrivateKey and Token, and a closed store refuses it.
func TestLoad(t *testing.T) {
	s := openStore(t)
	want := createLink(t, s, "prod")
	l, k, tok, err := s.Load("prod", true, true)
	if err != nil || k != nil || tok != nil {
		t.Fatalf("Load of key and token before approval = key %v, token %+v, %v; want no key (nothing to sign as), no token, no error", k != nil, tok, err)
	}
	sameLink(t, l, want)
	if _, k, _, err = s.Load("prod", true, false); err != nil || k == nil || !k.Equal(testKey()) {
		t.Errorf("Load of the key = %v, %v; want the link's key", k != nil, err)
	}
	if err := s.SaveToken("prod", &Token{AccessToken: "at", Approval: okApproval}); err != nil {
		t.Fatal(err)
	}
	if _, k, tok, err := s.Load("prod", false, true); err != nil || k != nil || tok == nil || tok.AccessToken != "at" {
		t.Errorf("Load of the token = key %v, token %+v, %v; want no key, the token", k != nil, tok, err)
	}
	_, _, _, err = s.Load("nope", true, true)
	wantCode(t, "Load of an unknown link", err, CodeNotFound)
	_, _, _, err = s.Load("../x", false, false)
	wantCode(t, "Load of a bad name", err, CodeInvalid)
	if err := os.WriteFile(filepath.Join(s.Dir(), "links", "prod", "token.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = s.Load("prod", false, true)
	wantCode(t, "Load of a damaged token", err, CodeCorrupt)
	s.Close()
	_, _, _, err = s.Load("prod", false, false)
	wantCode(t, "Load of a closed store", err, CodeIO)
}

func TestGetLinkReturnsCopies(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	a, err := s.GetLink("prod")
	if err != nil {
		t.Fatal(err)
	}
	a.LastError.Message = "changed"
	b, err := s.GetLink("prod")
	if err != nil {
		t.Fatal(err)
	}
	if b.LastError.Message == "changed" {
		t.Errorf("changing a returned link changed the store: %+v", b)
	}
}

func TestListLinksSorted(t *testing.T) {
	s := openStore(t)
	if links, err := s.ListLinks(); err != nil || len(links) != 0 || links == nil {
		t.Fatalf("ListLinks of an empty store = %v, %v; want an empty non-nil list", links, err)
	}
	for _, n := range []string{"sandbox", "Prod", "dev_2", "a-1"} {
		createLink(t, s, n)
	}
	links, err := s.ListLinks()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Name)
	}
	if want := []string{"Prod", "a-1", "dev_2", "sandbox"}; !slices.Equal(names, want) {
		t.Errorf("names = %v, want %v", names, want)
	}
}

func TestDeleteLink(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	createLink(t, s, "sandbox")
	if err := s.SaveToken("prod", &Token{Approval: okApproval, AccessToken: "at", TokenSecret: "ts"}); err != nil {
		t.Fatal(err)
	}
	hp := newHandshake("prod", t0.Add(10*time.Minute))
	hs := newHandshake("sandbox", t0.Add(10*time.Minute))
	for _, h := range []*Handshake{hp, hs} {
		if err := s.SaveHandshake(h); err != nil {
			t.Fatal(err)
		}
	}

	if err := s.DeleteLink("prod"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "GetLink after DeleteLink", func() error { _, err := s.GetLink("prod"); return err }(), CodeNotFound)
	wantCode(t, "DeleteLink twice", s.DeleteLink("prod"), CodeNotFound)
	if _, err := os.Stat(filepath.Join(s.Dir(), "links", "prod")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("links/prod still exists: %v", err)
	}
	if _, err := s.HandshakeByRequestToken(hp.RequestToken); codeOf(err) != CodeNotFound {
		t.Errorf("the deleted link's handshake is still pending: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "handshakes", hp.ID+".json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the deleted link's handshake file still exists: %v", err)
	}
	if _, err := s.HandshakeByRequestToken(hs.RequestToken); err != nil {
		t.Errorf("the other link's handshake is gone: %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(s.Dir(), "links"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "sandbox" {
		t.Errorf("links/ holds %v, want only sandbox", entries)
	}

	// The name can be used again.
	createLink(t, s, "prod")
}

func TestTokens(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	wantCode(t, "Token before approval", func() error { _, err := s.Token("prod"); return err }(), CodeNotFound)

	want := &Token{
		AccessToken: "at-1", TokenSecret: "ts-1", SessionHandle: "sh",
		ExpiresAt: t0.Add(time.Hour), AuthorizationExpiresAt: t0.Add(24 * time.Hour),
		Approval: oauth.Approval{Approver: &oauth.Identity{Name: "alice", Key: "JIRAUSER10100", DisplayName: "Alice Admin"},
			ServiceAccount: "svc-sync", Verdict: oauth.VerdictMismatch, ApprovedAt: t0},
	}
	if err := s.SaveToken("prod", want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Token("prod")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Token = %+v, want %+v", got, want)
	}

	second := &Token{AccessToken: "at-2", TokenSecret: "ts-2", Approval: oauth.Approval{Verdict: oauth.VerdictMatch, ApprovedAt: t0.Add(time.Minute)}}
	if err := s.SaveToken("prod", second); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Token("prod"); err != nil || got.AccessToken != "at-2" || !got.ExpiresAt.IsZero() {
		t.Errorf("after a second SaveToken: %+v, %v", got, err)
	}

	wantCode(t, "SaveToken of an unknown link", s.SaveToken("nope", second), CodeNotFound)
	wantCode(t, "SaveToken(nil)", s.SaveToken("prod", nil), CodeInvalid)
	wantCode(t, "SaveToken without access token", s.SaveToken("prod", &Token{TokenSecret: "x"}), CodeInvalid)
	wantCode(t, "Token of an unknown link", func() error { _, err := s.Token("nope"); return err }(), CodeNotFound)
}

func TestCorruptTokenHidesSecret(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	const secret = "S3CRET-token-secret"
	p := filepath.Join(s.Dir(), "links", "prod", "token.json")
	if err := os.WriteFile(p, []byte(`{"access_token":"at","token_secret":"`+secret+`"}`+secret), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.Token("prod")
	wantCode(t, "Token with a damaged file", err, CodeCorrupt)
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), p) {
		t.Errorf("error %q does not name %s", err, p)
	}
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), "S3CRET") {
			t.Errorf("error chain shows the secret: %q", e)
		}
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	s := openStore(t)
	wantLink := createLink(t, s, "prod")
	createLink(t, s, "sandbox")
	if err := s.DeleteLink("sandbox"); err != nil {
		t.Fatal(err)
	}
	wantToken := &Token{AccessToken: "at", TokenSecret: "ts", Approval: oauth.Approval{Verdict: oauth.VerdictMatch, ApprovedAt: t0}}
	if err := s.SaveToken("prod", wantToken); err != nil {
		t.Fatal(err)
	}
	h := newHandshake("prod", t0.Add(10*time.Minute))
	if err := s.SaveHandshake(h); err != nil {
		t.Fatal(err)
	}
	tok, created, err := s.AdminToken()
	if err != nil || !created {
		t.Fatalf("AdminToken = %v, %v", created, err)
	}
	hk, ek, err := s.SessionKeys()
	if err != nil {
		t.Fatal(err)
	}

	s = reopen(t, s)

	if p := s.Problems(); len(p) != 0 {
		t.Errorf("Problems after a clean restart: %v", p)
	}
	links, err := s.ListLinks()
	if err != nil || len(links) != 1 {
		t.Fatalf("ListLinks = %v, %v; want prod only", links, err)
	}
	sameLink(t, links[0], wantLink)
	if k, err := s.PrivateKey("prod"); err != nil || !k.Equal(testKey()) {
		t.Errorf("PrivateKey after restart: %v", err)
	}
	if got, err := s.Token("prod"); err != nil || !reflect.DeepEqual(got, wantToken) {
		t.Errorf("Token after restart = %+v, %v", got, err)
	}
	if got, err := s.HandshakeByRequestToken(h.RequestToken); err != nil || !sameHandshake(got, h) {
		t.Errorf("handshake after restart = %+v, %v; want %+v", got, err, h)
	}
	if got, created, err := s.AdminToken(); err != nil || created || got != tok {
		t.Errorf("AdminToken after restart: created %v, same %v, %v", created, got == tok, err)
	}
	if hk2, ek2, err := s.SessionKeys(); err != nil || !slices.Equal(hk, hk2) || !slices.Equal(ek, ek2) {
		t.Errorf("SessionKeys changed after restart (%v)", err)
	}
}

func TestModes(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	if err := s.SaveToken("prod", &Token{Approval: okApproval, AccessToken: "at", TokenSecret: "ts"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveHandshake(newHandshake("prod", t0)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AdminToken(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionKeys(); err != nil {
		t.Fatal(err)
	}
	modes := tree(t, s.Dir())
	for _, p := range []string{
		".", ".lock", "admin-token", "session-keys", "links", "handshakes",
		"links/prod", "links/prod/link.json", "links/prod/private.pem", "links/prod/public.pem", "links/prod/token.json",
	} {
		if _, ok := modes[filepath.FromSlash(p)]; !ok {
			t.Errorf("%s is missing", p)
		}
	}
	for p, m := range modes {
		want := fs.FileMode(0o600)
		if m.IsDir() {
			want = fs.ModeDir | 0o700
		}
		if m != want {
			t.Errorf("%s has mode %v, want %v", p, m, want)
		}
	}
	if n := len(modes); n != 12 {
		t.Errorf("the folder holds %d entries, want 12: %v", n, modes)
	}
}

func TestOpenTightensFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, dir)
	fi, err := os.Stat(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data folder mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestOpenCreatesNestedFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "data")
	s := openAt(t, dir)
	if s.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", s.Dir(), dir)
	}
	wantCode(t, "Open(\"\")", func() error { _, err := Open(""); return err }(), CodeInvalid)
}

func TestOpenLocked(t *testing.T) {
	s := openStore(t)
	_, err := Open(s.Dir())
	wantCode(t, "second Open", err, CodeLocked)
	if err != nil && !strings.Contains(err.Error(), s.Dir()) {
		t.Errorf("message %q does not name the folder %s", err, s.Dir())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	wantCode(t, "GetLink after Close", func() error { _, err := s.GetLink("x"); return err }(), CodeIO)
	s2, err := Open(s.Dir())
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

func TestOpenRemovesLeftovers(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	dir := s.Dir()
	s.Close()

	// Each leftover: the file written, and the entry Open must remove.
	leftovers := []struct{ file, gone string }{
		{"links/.tmp-sandbox-0123456789abcdef/private.pem", "links/.tmp-sandbox-0123456789abcdef"},
		{"links/.del-old-0123456789abcdef/link.json", "links/.del-old-0123456789abcdef"},
		{"links/prod/.link.json.tmp-123456", "links/prod/.link.json.tmp-123456"},
		{"handshakes/.0123456789abcdef0123456789abcdef.json.tmp-99", "handshakes/.0123456789abcdef0123456789abcdef.json.tmp-99"},
		{".admin-token.tmp-42", ".admin-token.tmp-42"},
	}
	for _, lo := range leftovers {
		p := filepath.Join(dir, filepath.FromSlash(lo.file))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	s = openAt(t, dir)
	for _, lo := range leftovers {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(lo.gone))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there after Open (%v)", lo.gone, err)
		}
	}
	if _, err := s.GetLink("prod"); err != nil {
		t.Errorf("the real link was lost: %v", err)
	}
	if links, _ := s.ListLinks(); len(links) != 1 {
		t.Errorf("ListLinks = %d links, want 1", len(links))
	}
	if p := s.Problems(); len(p) != 0 {
		t.Errorf("Problems = %v, want none", p)
	}
}

func TestCorruptLinkRecord(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "bad")
	createLink(t, s, "good")
	createLink(t, s, "gone")
	dir := s.Dir()
	s.Close()
	badFile := filepath.Join(dir, "links", "bad", "link.json")
	if err := os.WriteFile(badFile, []byte(`{"name": "bad", "state": `), 0o600); err != nil {
		t.Fatal(err)
	}
	goneFile := filepath.Join(dir, "links", "gone", "link.json")
	if err := os.Remove(goneFile); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(dir, "links", "notes.txt")
	if err := os.WriteFile(stray, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, dir)
	problems := strings.Join(s.Problems(), "\n")
	for _, p := range []string{badFile, goneFile, stray} {
		if !strings.Contains(problems, p) {
			t.Errorf("Problems do not name %s:\n%s", p, problems)
		}
	}

	links, err := s.ListLinks()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 3 {
		t.Fatalf("ListLinks returned %d links, want 3 (bad, gone, good)", len(links))
	}
	for i, want := range []struct{ name, file string }{{"bad", badFile}, {"gone", goneFile}} {
		l := links[i]
		if l.Name != want.name || l.LastError == nil || l.LastError.Code != CodeCorrupt ||
			!strings.Contains(l.LastError.Message, want.file) || l.LastError.Hint == "" {
			t.Errorf("ListLinks shows %s as %+v (last error %+v)", want.name, l, l.LastError)
		}
		_, err := s.GetLink(want.name)
		wantCode(t, "GetLink of "+want.name, err, CodeCorrupt)
		if err != nil && !strings.Contains(err.Error(), want.file) {
			t.Errorf("GetLink error %q does not name %s", err, want.file)
		}
	}
	if links[2].Name != "good" || links[2].LastError == nil {
		t.Errorf("the good link reads %+v", links[2])
	}

	if err := s.DeleteLink("bad"); err != nil {
		t.Errorf("DeleteLink of a damaged link: %v", err)
	}
	if links, _ := s.ListLinks(); len(links) != 2 {
		t.Errorf("after deleting bad, ListLinks has %d links, want 2", len(links))
	}
}

func TestPrivateKeyDamaged(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	createLink(t, s, "other")
	pub, err := os.ReadFile(filepath.Join(s.Dir(), "links", "prod", "public.pem"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what, file, content string
	}{
		{"not PEM", "private.pem", "hello"},
		{"public where private belongs", "private.pem", string(pub)},
	} {
		p := filepath.Join(s.Dir(), "links", "other", tc.file)
		if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := s.PrivateKey("other")
		wantCode(t, tc.what, err, CodeCorrupt)
		if err != nil && !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not name %s", tc.what, err, p)
		}
	}
	if err := os.Remove(filepath.Join(s.Dir(), "links", "other", "private.pem")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "missing private.pem", func() error { _, err := s.PrivateKey("other"); return err }(), CodeCorrupt)
	wantCode(t, "PrivateKey of an unknown link", func() error { _, err := s.PrivateKey("nope"); return err }(), CodeNotFound)
}

func TestPrivateKeyMismatchedPublic(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	s2 := openStore(t)
	if err := s2.CreateLink(sampleLink("x"), otherKey()); err != nil {
		t.Fatal(err)
	}
	otherPub, err := os.ReadFile(filepath.Join(s2.Dir(), "links", "x", "public.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), "links", "prod", "public.pem"), otherPub, 0o600); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "public.pem of another key", func() error { _, err := s.PrivateKey("prod"); return err }(), CodeCorrupt)
}

// badNames are names that must never become file names.
var badNames = []string{
	"", ".", "..", "../x", "../../etc/passwd", "a/b", `a\b`, "/abs", "x/..", "a b", "a.b", ".hidden",
	"a\x00b", "ünï", "tab\t", strings.Repeat("a", 65), strings.Repeat("a/", 40),
}

func TestBadNamesRejectedNothingWritten(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	before := readAll(t, s.Dir())
	for _, name := range badNames {
		l := sampleLink(name)
		wantCode(t, "CreateLink("+name+")", s.CreateLink(l, testKey()), CodeInvalid)
		_, err := s.EditLink(name, func(*Link) error { return nil })
		wantCode(t, "EditLink("+name+")", err, CodeInvalid)
		wantCode(t, "DeleteLink("+name+")", s.DeleteLink(name), CodeInvalid)
		wantCode(t, "SaveToken("+name+")", s.SaveToken(name, &Token{Approval: okApproval, AccessToken: "a"}), CodeInvalid)
		_, err = s.GetLink(name)
		wantCode(t, "GetLink("+name+")", err, CodeInvalid)
		_, err = s.Token(name)
		wantCode(t, "Token("+name+")", err, CodeInvalid)
		_, err = s.PrivateKey(name)
		wantCode(t, "PrivateKey("+name+")", err, CodeInvalid)
		h := newHandshake("prod", t0)
		h.Link = name
		wantCode(t, "SaveHandshake(link "+name+")", s.SaveHandshake(h), CodeInvalid)
	}
	if after := readAll(t, s.Dir()); !reflect.DeepEqual(after, before) {
		t.Errorf("bad names changed the folder: before %v, after %v", keysOf(before), keysOf(after))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.Dir()), "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("something was written beside the data folder: %v", err)
	}
}

func TestCheckName(t *testing.T) {
	for _, name := range []string{"a", "prod", "Jira-Sandbox_2", strings.Repeat("z", 64), "-", "_x"} {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range badNames {
		if err := CheckName(name); codeOf(err) != CodeInvalid || err.Error() == "" {
			t.Errorf("CheckName(%q) = %v, want a CodeInvalid error", name, err)
		}
	}
}

func TestIsLeftover(t *testing.T) {
	for name, want := range map[string]bool{
		".tmp-prod-abc":            true,
		".del-prod-abc":            true,
		".link.json.tmp-123":       true,
		".admin-token.tmp-1":       true,
		".lock":                    false,
		"prod":                     false,
		"tmp-prod":                 false,
		"abc.json":                 false,
		"prod.tmp-1":               false,
		".DS_Store":                false,
		"0123456789abcdef012.json": false,
	} {
		if got := isLeftover(name); got != want {
			t.Errorf("isLeftover(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := s.EditLink("prod", func(l *Link) error { l.Environment = string(rune('a' + i)); return nil }); err != nil {
				t.Error(err)
			}
			if _, err := s.ListLinks(); err != nil {
				t.Error(err)
			}
			if err := s.SaveToken("prod", &Token{Approval: okApproval, AccessToken: "at"}); err != nil {
				t.Error(err)
			}
			if _, _, err := s.AdminToken(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	l, err := s.GetLink("prod")
	if err != nil || len(l.Environment) != 1 {
		t.Errorf("after concurrent updates: %+v, %v", l, err)
	}
}

// TestIOErrorSaysWhy: a full disk, a read-only file system and a refused
// permission are said in words, with a hint; other causes as they are.
func TestIOErrorSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		cause    error
		msg      string
		withHint bool
	}{
		{syscall.ENOSPC, "cannot save x: the disk is full", true},
		{syscall.EROFS, "cannot save x: the data folder is read-only", true},
		{syscall.EACCES, "cannot save x: permission denied", true},
		{syscall.EPERM, "cannot save x: permission denied", true},
		{errors.New("boom"), "cannot save x: write: boom", false}, // the path is in the message, never twice
	} {
		err := ioError(&fs.PathError{Op: "write", Path: "/d/x", Err: tc.cause}, "cannot save %s: %v", "x")
		if err.Code != CodeIO || err.Message != tc.msg || (err.Hint != "") != tc.withHint || !errors.Is(err, tc.cause) {
			t.Errorf("ioError(%v) = %q %q %q, want %q %q (hint %v)", tc.cause, err.Code, err.Message, err.Hint, CodeIO, tc.msg, tc.withHint)
		}
	}
}

// TestFailWrites: when the disk refuses any one change a method makes, the
// method fails with CodeIO and the message of a real failure, and every
// thing saved before reads back as it was; without the hook it succeeds.
func TestFailWrites(t *testing.T) {
	h := newHandshake("prod", t0.Add(10*time.Minute))
	replaced := *h
	replaced.AuthorizeURL += "&again"
	for _, tc := range []struct {
		op, path string // what is refused (a path.Match pattern)
		do       func(s *Store) error
	}{
		{"mkdir", "links/.tmp-new-*", createNew},
		{"write", "links/.tmp-new-*/private.pem", createNew},
		{"write", "links/.tmp-new-*/public.pem", createNew},
		{"write", "links/.tmp-new-*/link.json", createNew},
		{"rename", "links/.tmp-new-*", createNew},
		{"write", "links/prod/link.json", func(s *Store) error {
			_, err := s.EditLink("prod", func(l *Link) error { l.Environment = "edited"; return nil })
			return err
		}},
		{"rename", "links/prod", func(s *Store) error { return s.DeleteLink("prod") }},
		{"write", "links/prod/token.json", func(s *Store) error { return s.SaveToken("prod", &Token{AccessToken: "at-2", Approval: okApproval}) }},
		{"write", "handshakes/*.json", func(s *Store) error { return s.SaveHandshake(newHandshake("prod", t0)) }},
		{"write", "handshakes/" + h.ID + ".json", func(s *Store) error { r := replaced; return s.SaveHandshake(&r) }},
		{"remove", "handshakes/" + h.ID + ".json", func(s *Store) error { _, err := s.TakeHandshake(h.RequestToken); return err }},
		{"remove", "handshakes/" + h.ID + ".json", func(s *Store) error { _, err := s.PruneHandshakes(t0.Add(time.Hour)); return err }},
		{"write", "admin-token", func(s *Store) error { _, _, err := s.AdminToken(); return err }},
		{"write", "session-keys", func(s *Store) error { _, _, err := s.SessionKeys(); return err }},
	} {
		s := openStore(t)
		createLink(t, s, "prod")
		if err := s.SaveToken("prod", &Token{AccessToken: "at-1", TokenSecret: "ts-1", Approval: okApproval}); err != nil {
			t.Fatal(err)
		}
		hs := *h
		if err := s.SaveHandshake(&hs); err != nil {
			t.Fatal(err)
		}
		before := saved(t, s, h.ID)
		refused := 0
		s.FailWrites(func(op, p string) error {
			if ok, _ := path.Match(tc.path, p); ok && op == tc.op {
				refused++
				return syscall.ENOSPC
			}
			return nil
		})
		err := tc.do(s)
		what := tc.op + " " + tc.path
		if refused == 0 || codeOf(err) != CodeIO || !strings.Contains(err.Error(), "the disk is full") || !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("%s refused %d times: error %v", what, refused, err)
		}
		if after := saved(t, s, h.ID); after != before {
			t.Errorf("%s changed what is saved:\nbefore %s\nafter  %s", what, before, after)
		}
		s.FailWrites(nil)
		if err := tc.do(s); err != nil {
			t.Errorf("%s, without the hook: %v", what, err)
		}
	}
}

// createNew creates a link named "new".
func createNew(s *Store) error { return s.CreateLink(sampleLink("new"), testKey()) }

// saved returns, as JSON, what s returns about the link "prod", its token,
// the handshake id and the list of links, and every file of the folder.
func saved(t *testing.T, s *Store, id string) string {
	t.Helper()
	l, lerr := s.GetLink("prod")
	tok, terr := s.Token("prod")
	h, herr := s.Handshake(id)
	links, err := s.ListLinks()
	b, jerr := json.Marshal([]any{l, tok, h, links, fmt.Sprint(lerr, terr, herr, err), readAll(t, s.Dir())})
	if jerr != nil {
		t.Fatal(jerr)
	}
	return string(b)
}

// TestFailWritesConcurrent: setting the hook while the Store writes is
// safe (run with -race).
func TestFailWritesConcurrent(t *testing.T) {
	s := openStore(t)
	createLink(t, s, "prod")
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 50 {
			s.FailWrites(func(string, string) error { return syscall.EROFS })
			s.FailWrites(nil)
		}
	})
	for range 50 {
		if err := s.SaveToken("prod", &Token{AccessToken: "at", Approval: okApproval}); err != nil && codeOf(err) != CodeIO {
			t.Errorf("SaveToken: %v", err)
		}
	}
	wg.Wait()
}
