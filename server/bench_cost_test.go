package server

// Cost benchmarks of the web service: memory per pending handshake, memory
// idle with 1,000 links, and start-up to the first 200 of /healthz.
//
//	go test -run '^$' -bench 'PendingHandshake|Idle|Startup' -count 10 ./server | tee server.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /links server.txt
//
// BENCHMARKS.md holds the figures and the targets.

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/applink/applink/server/store"
)

// benchServer opens the data folder dir and builds a server on it whose
// links all get testKey and whose calls to Jira go through client (the
// default client when nil).
func benchServer(b *testing.B, dir string, client *http.Client) (*store.Store, *Server) {
	b.Helper()
	st, err := store.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Config{Store: st, PublicURL: "http://127.0.0.1:8080", AdminToken: adminToken, Logger: zerolog.Nop(), HTTPClient: client})
	if err != nil {
		st.Close()
		b.Fatal(err)
	}
	s.newKey = func() (*rsa.PrivateKey, error) { return testKey(), nil }
	return st, s
}

// benchFolder returns a new data folder holding n links (link-0000, ...)
// of https://jira.example.com: a copy of a folder made once per test
// binary through Server.CreateLink (whose fsyncs make 1,000 links take
// tens of seconds).
func benchFolder(b *testing.B, n int) string {
	b.Helper()
	foldersMu.Lock()
	defer foldersMu.Unlock()
	src, ok := folders[n]
	if !ok {
		var err error
		if src, err = os.MkdirTemp("", "applink-bench-"); err != nil {
			b.Fatal(err)
		}
		folders[n] = src
		st, s := benchServer(b, src, nil)
		for i := range n {
			if _, err := s.CreateLink(b.Context(), LinkInput{Name: fmt.Sprintf("link-%04d", i), JiraURL: "https://jira.example.com", ServiceAccount: "svc-jira"}); err != nil {
				st.Close()
				b.Fatal(err)
			}
		}
		st.Close()
	}
	dst := filepath.Join(b.TempDir(), "data")
	if err := copyFolder(dst, src); err != nil {
		b.Fatal(err)
	}
	return dst
}

// folders holds, per number of links, the data folder benchFolder copies.
var (
	foldersMu sync.Mutex
	folders   = map[int]string{}
)

// TestMain removes the data folders of benchFolder.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range folders {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// copyFolder copies the folder src to dst, modes included, without the
// lock file.
func copyFolder(dst, src string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() == ".lock" {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.Mkdir(to, info.Mode().Perm())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, info.Mode().Perm())
	})
}

// heapAlloc returns the bytes of live heap objects after a collection.
func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// statelessJira is a client whose every request is answered, in-process,
// with a new request token by a Jira that keeps nothing, so that the heap
// holds only what applink keeps.
func statelessJira() *http.Client {
	var n atomic.Int64
	return &http.Client{Transport: roundTripper(func(*http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "text/plain")
		i := n.Add(1)
		fmt.Fprintf(rec, "oauth_token=rt%030d&oauth_token_secret=%032x&oauth_callback_confirmed=true", i, i)
		return rec.Result(), nil
	})}
}

// roundTripper is a function that answers requests.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkPendingHandshakeMemory reports the heap that applink keeps per
// pending handshake (target < 4 KiB): each op starts one handshake on
// each of 100 links (request token from a Jira that keeps nothing,
// record saved in the data folder), measures the live heap before and
// after, then takes the handshakes back. ns/op is for 100 handshakes.
func BenchmarkPendingHandshakeMemory(b *testing.B) {
	const n = 100
	st, s := benchServer(b, benchFolder(b, 1000), statelessJira())
	defer st.Close()
	start := func() {
		for i := range n {
			if _, err := s.StartHandshake(b.Context(), fmt.Sprintf("link-%04d", i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	takeAll := func() {
		for i := range n {
			h, err := st.LatestHandshake(fmt.Sprintf("link-%04d", i))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.TakeHandshake(h.RequestToken); err != nil {
				b.Fatal(err)
			}
		}
	}
	start() // warm up: caches, connections, the link records' state
	takeAll()
	var grown float64
	for b.Loop() {
		before := heapAlloc()
		start()
		grown += float64(heapAlloc()) - float64(before)
		takeAll()
	}
	b.ReportMetric(grown/float64(b.N*n), "B/handshake")
}

// BenchmarkIdleMemory reports the memory of a server idle with 0 and
// 1,000 links: each op opens the data folder, builds the server, lists
// the links once (GET /api/links, which fills the per-link cache), then
// reports, after a collection that returns freed memory to the system,
// the heap in use (heap-B) and the process's resident memory (rss-B,
// Linux only; the test binary's, which is larger than applink's).
func BenchmarkIdleMemory(b *testing.B) {
	for _, n := range []int{0, 1000} {
		b.Run("links="+strconv.Itoa(n), func(b *testing.B) {
			dir := benchFolder(b, n)
			var heap, rss float64
			for b.Loop() {
				st, s := benchServer(b, dir, nil)
				if got := listLinks(b, s); got != n {
					b.Fatalf("listed %d links, want %d", got, n)
				}
				debug.FreeOSMemory()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				heap += float64(m.HeapInuse)
				rss += float64(residentBytes())
				runtime.KeepAlive(s)
				st.Close()
			}
			b.ReportMetric(heap/float64(b.N), "heap-B")
			b.ReportMetric(rss/float64(b.N), "rss-B")
		})
	}
}

// listLinks lists the links as GET /api/links does and returns how many.
func listLinks(b *testing.B, s *Server) int {
	req := httptest.NewRequest(http.MethodGet, "/api/links", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET /api/links: %d %s", rec.Code, rec.Body)
	}
	return strings.Count(rec.Body.String(), `"consumer_key"`)
}

// residentBytes is the process's resident set size (VmRSS), or 0 where
// /proc/self/status is missing.
func residentBytes() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkStartup measures start-up with 0 and 1,000 links: store.Open
// and New, then serving on a loopback listener until the first 200 of
// GET /healthz. Shutting down is not timed.
func BenchmarkStartup(b *testing.B) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, n := range []int{0, 1000} {
		b.Run("links="+strconv.Itoa(n), func(b *testing.B) {
			dir := benchFolder(b, n)
			for b.Loop() {
				st, s := benchServer(b, dir, nil)
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(b.Context())
				served := make(chan error, 1)
				go func() { served <- s.Serve(ctx, ln) }()
				resp, err := client.Get("http://" + ln.Addr().String() + "/healthz")
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("GET /healthz: %d", resp.StatusCode)
				}
				b.StopTimer()
				cancel()
				if err := <-served; err != nil {
					b.Fatal(err)
				}
				st.Close()
				b.StartTimer()
			}
		})
	}
}
