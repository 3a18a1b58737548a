package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHealthzWriteProbe: /healthz answers 503 with the reason while the
// data folder refuses writes, probes at most every healthProbeEvery, and
// answers 200 again once writes work.
func TestHealthzWriteProbe(t *testing.T) {
	f := newFixture(t, options{})
	probes := 0
	var fail error
	f.store.FailWrites(func(op, path string) error {
		if path == ".probe" && op == "write" {
			probes++
			return fail
		}
		return nil
	})
	health := func(status int, want string) {
		t.Helper()
		resp, body := f.get(f.app.URL+"/healthz", nil)
		wantStatus(t, resp, body, status)
		if string(body) != want {
			t.Errorf("body = %q, want %q", body, want)
		}
	}
	health(http.StatusOK, "ok")
	fail = fmt.Errorf("injected: %w", syscall.ENOSPC)
	health(http.StatusOK, "ok") // the last probe is fresh
	f.clock.Advance(healthProbeEvery)
	health(http.StatusServiceUnavailable, "data folder not writable: the disk is full\n")
	fail = fmt.Errorf("injected: %w", syscall.EROFS)
	f.clock.Advance(healthProbeEvery)
	for range 10 {
		health(http.StatusServiceUnavailable, "data folder not writable: the data folder is read-only\n")
	}
	if probes != 3 {
		t.Errorf("%d probes, want 3 (at most one every %s)", probes, healthProbeEvery)
	}
	fail = nil
	f.clock.Advance(healthProbeEvery + time.Second)
	health(http.StatusOK, "ok")
	if _, err := os.Lstat(filepath.Join(f.dir, ".probe")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the probe file is left behind: %v", err)
	}
	wantContains(t, f.logs.String(), "the data folder cannot be written")
}

// TestHealthzCostIndependentOfLinks: /healthz does not read the links, so
// a link record of megabytes (a hostile Jira's audit, a planted file)
// costs an unauthenticated caller nothing.
func TestHealthzCostIndependentOfLinks(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("big")
	big := []byte(`{"name":"big","projects":["` + strings.Repeat("A", 4<<20) + `"]}`)
	if err := os.WriteFile(filepath.Join(f.dir, "links", "big", "link.json"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range 5 {
		rec := httptest.NewRecorder()
		f.srv.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	runtime.ReadMemStats(&m1)
	perCall := (m1.TotalAlloc - m0.TotalAlloc) / 5
	t.Logf("/healthz allocates %d bytes a call", perCall)
	if perCall > 64<<10 {
		t.Errorf("/healthz allocates %d bytes a call with a 4 MB link record, want at most 64 KiB", perCall)
	}
}
