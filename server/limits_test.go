package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/applink/applink/server/store"
	"github.com/rs/zerolog"
)

// TestPendingApprovalsCapped: a link holds at most maxPending live
// approvals; one more is 429 too_many_pending without calling Jira, and
// nothing pending is dropped. Once one expires, a new one starts.
func TestPendingApprovalsCapped(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	f.createLink("other")
	var first *HandshakeView
	for i := range maxPending {
		h := f.startHandshake("prod")
		if i == 0 {
			first = h
		}
		f.clock.Advance(time.Minute)
	}
	hits := f.jiraHits.Load()
	resp, body := f.api("POST", "/api/links/prod/handshakes", nil)
	wantError(t, resp, body, http.StatusTooManyRequests, CodeTooManyPending)
	wantContains(t, string(body), "approval link sent last", "expire")
	if f.jiraHits.Load() != hits {
		t.Error("Jira was called")
	}
	if n := f.store.PendingHandshakes("prod", f.clock.Now()); n != maxPending {
		t.Errorf("%d pending, want %d", n, maxPending)
	}
	resp, body = f.get(first.ApprovalURL, nil) // the oldest is still there
	wantStatus(t, resp, body, http.StatusOK)
	f.startHandshake("other") // per link

	f.clock.Advance(5 * time.Minute) // the first expires (10 minutes)
	f.startHandshake("prod")
}

// TestIdleConnectionsCapped: 2,000 idle loopback connections against a
// cap of 50: the service never holds more than 50 open, and /healthz
// still answers, well within the server's read-header timeout, because
// the connections idle the longest are closed to make room.
func TestIdleConnectionsCapped(t *testing.T) {
	const maxConns, idle = 50, 2000
	s, addr := serveCapped(t, maxConns, nil)
	conns := make([]net.Conn, 0, idle)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range idle {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("after %d connections: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	// A client that gives up before the read-header timeout would close
	// idle connections: answering proves they were made room for.
	client := &http.Client{Timeout: readHeaderTimeout / 2, Transport: &http.Transport{DisableKeepAlives: true}}
	for range 3 {
		getOK(t, client, addr, "/healthz", "")
	}
	if now, peak := open(s.conns); now > maxConns || peak > maxConns {
		t.Errorf("open connections: %d now, %d at most; the cap is %d", now, peak, maxConns)
	}
}

// TestCapFullOfDelayedWrongTokens: a cap of 16 held full by wrong admin
// tokens, each waiting out the sign-in delay (here until released), does
// not keep the right token or /healthz out: a connection waiting out the
// delay is closed to make room before any other, and the one just
// accepted is never closed for the next.
func TestCapFullOfDelayedWrongTokens(t *testing.T) {
	const maxConns = 16
	f := fillWithDelayed(t, maxConns)
	client := &http.Client{Timeout: readHeaderTimeout / 2, Transport: &http.Transport{DisableKeepAlives: true}}
	for range 3 {
		getOK(t, client, f.addr, "/api/links", testToken2)
		getOK(t, client, f.addr, "/healthz", "")
	}
	if now, peak := open(f.s.conns); now > maxConns || peak > maxConns {
		t.Errorf("open connections: %d now, %d at most; the cap is %d", now, peak, maxConns)
	}
}

// BenchmarkRightTokenCapFull measures one right-token request on a new
// connection while a cap of 16 is full of wrong tokens waiting out the
// sign-in delay (a new one is sent, untimed, before each request), and
// with no other connection, to compare.
func BenchmarkRightTokenCapFull(b *testing.B) {
	const maxConns = 16
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	b.Run("full", func(b *testing.B) {
		f := fillWithDelayed(b, maxConns)
		for b.Loop() {
			b.StopTimer()
			f.wrongToken()
			b.StartTimer()
			getOK(b, client, f.addr, "/api/links", testToken2)
		}
	})
	b.Run("empty", func(b *testing.B) {
		_, addr := serveCapped(b, maxConns, nil)
		for b.Loop() {
			getOK(b, client, addr, "/api/links", testToken2)
		}
	})
}

// delayedFill is a capped service whose sign-in delay lasts until the
// test ends, and the wrong-token requests it holds.
type delayedFill struct {
	t       testing.TB
	s       *Server
	addr    string
	held    chan struct{} // one per request that reached the delay
	clients sync.WaitGroup
}

// fillWithDelayed serves a cap of maxConns and fills it with wrong admin
// tokens waiting out the delay (past the free budget, answered at once).
func fillWithDelayed(t testing.TB, maxConns int) *delayedFill {
	release := make(chan struct{})
	f := &delayedFill{t: t, held: make(chan struct{}, 1)}
	f.s, f.addr = serveCapped(t, maxConns, func(ctx context.Context, _ time.Duration) {
		f.held <- struct{}{}
		select {
		case <-ctx.Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release); f.clients.Wait() })
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range signInFree {
		resp, err := client.Do(f.request("wrong"))
		if err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong token: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	for range maxConns {
		f.wrongToken()
	}
	return f
}

// wrongToken sends a wrong admin token on a new connection and returns
// once it waits out the delay.
func (f *delayedFill) wrongToken() {
	f.clients.Go(func() {
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(f.request("wrong"))
		if err == nil { // else closed to make room
			resp.Body.Close()
		}
	})
	select {
	case <-f.held:
	case <-time.After(10 * time.Second):
		f.t.Fatal("a wrong token did not reach the sign-in delay: its connection was closed")
	}
}

func (f *delayedFill) request(token string) *http.Request {
	req, _ := http.NewRequest("GET", "http://"+f.addr+"/api/links", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// serveCapped serves a new Server on loopback with a cap of maxConns
// open connections (and sleep as its sign-in delay, when not nil) until
// the test ends.
func serveCapped(t testing.TB, maxConns int, sleep func(context.Context, time.Duration)) (*Server, string) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: st, PublicURL: "http://" + ln.Addr().String(), AdminToken: testToken2,
		MaxConnections: maxConns, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if sleep != nil {
		s.sleep = sleep
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve = %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Serve did not return")
		}
	})
	return s, ln.Addr().String()
}

// getOK gets path (with the admin token when not empty) and wants 200.
func getOK(t testing.TB, client *http.Client, addr, path, token string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
}

// TestConnLimitEvictionOrder: at the cap, the connection waiting out a
// sign-in delay is closed to make room first, then the one idle the
// longest, never a busy one; with every connection busy, makeRoom waits
// (here until the listener closes).
func TestConnLimitEvictionOrder(t *testing.T) {
	c := newConnLimit(3)
	idle, busy, delayed, later := &fakeConn{}, &fakeConn{}, &fakeConn{}, &fakeConn{}
	for _, conn := range []*fakeConn{idle, busy, delayed} {
		c.set(conn, connIdle, true)
	}
	c.track(busy, http.StateActive)
	c.track(delayed, http.StateActive)
	c.delayed(c.withConn(context.Background(), delayed))
	for _, want := range []*fakeConn{delayed, idle} {
		if err := c.makeRoom(nil); err != nil {
			t.Fatal(err)
		}
		for name, conn := range map[string]*fakeConn{"idle": idle, "busy": busy, "delayed": delayed, "later": later} {
			if conn.closed != (conn == want || conn == delayed) {
				t.Errorf("closed %s: %v", name, conn.closed)
			}
		}
		c.set(later, connIdle, true) // accepted after the idle one
	}
	done := make(chan struct{})
	close(done)
	full := newConnLimit(1)
	full.set(busy, connBusy, true)
	if err := full.makeRoom(done); err == nil || busy.closed {
		t.Errorf("makeRoom with every connection busy = %v, closed %v; want it to wait (and stop when closed)", err, busy.closed)
	}
}

// TestConnLimitKeepsJustAccepted: at the cap, the connection just
// accepted stays open while the listener waits for the next one: room is
// made only for a connection that arrived.
func TestConnLimitKeepsJustAccepted(t *testing.T) {
	c := newConnLimit(2)
	c.set(&fakeConn{}, connBusy, true)
	ln := &fakeListener{conns: make(chan net.Conn), waiting: make(chan struct{}), closed: make(chan struct{})}
	l := c.listen(ln)
	first := &fakeConn{}
	go func() { <-ln.waiting; ln.conns <- first }()
	if got, err := l.Accept(); got != first || err != nil {
		t.Fatalf("Accept = %v, %v", got, err)
	}
	accepted := make(chan error)
	go func() { _, err := l.Accept(); accepted <- err }()
	<-ln.waiting // the next Accept waits for a connection
	if first.closed {
		t.Error("the connection just accepted was closed before another arrived")
	}
	l.Close()
	if err := <-accepted; err == nil {
		t.Error("Accept after Close: no error")
	}
}

// fakeListener hands out the connections sent on conns, and says on
// waiting when Accept waits for one.
type fakeListener struct {
	net.Listener
	conns           chan net.Conn
	waiting, closed chan struct{}
}

func (l *fakeListener) Accept() (net.Conn, error) {
	select {
	case l.waiting <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *fakeListener) Close() error { close(l.closed); return nil }

// open returns how many connections c holds open and the most at once.
func open(c *connLimit) (now, peak int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.conns), c.peak
}

// fakeConn is a net.Conn that records Close.
type fakeConn struct {
	net.Conn
	closed bool
}

func (f *fakeConn) Close() error { f.closed = true; return nil }
