package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/applink/applink/server/store"
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
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: st, PublicURL: "http://" + ln.Addr().String(), AdminToken: testToken2,
		MaxConnections: maxConns})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	conns := make([]net.Conn, 0, idle)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range idle {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("after %d connections: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	// A client that gives up before the read-header timeout would close
	// idle connections: answering proves they were made room for.
	client := &http.Client{Timeout: readHeaderTimeout / 2, Transport: &http.Transport{DisableKeepAlives: true}}
	for range 3 {
		resp, err := client.Get("http://" + ln.Addr().String() + "/healthz")
		if err != nil {
			t.Fatalf("healthz with %d idle connections: %v", idle, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "ok" {
			t.Errorf("healthz: %d %q", resp.StatusCode, body)
		}
	}
	if now, peak := s.conns.open(); now > maxConns || peak > maxConns {
		t.Errorf("open connections: %d now, %d at most; the cap is %d", now, peak, maxConns)
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return")
	}
}

// TestConnLimitEvictsIdleOnly: at the cap, the idle connection is closed
// to make room, never a busy one; with every connection busy, makeRoom
// waits (here until the listener closes).
func TestConnLimitEvictsIdleOnly(t *testing.T) {
	c := newConnLimit(2)
	a, b := &fakeConn{}, &fakeConn{}
	c.added(a)
	c.added(b)
	c.track(a, http.StateActive)
	if err := c.makeRoom(nil); err != nil {
		t.Fatal(err)
	}
	if a.closed || !b.closed {
		t.Errorf("closed: busy %v, idle %v; want only the idle one", a.closed, b.closed)
	}
	done := make(chan struct{})
	close(done)
	full := newConnLimit(1)
	busy := &fakeConn{}
	full.added(busy)
	full.track(busy, http.StateActive)
	if err := full.makeRoom(done); err == nil || busy.closed {
		t.Errorf("makeRoom with every connection busy = %v, closed %v; want it to wait (and stop when closed)", err, busy.closed)
	}
}

// fakeConn is a net.Conn that records Close.
type fakeConn struct {
	net.Conn
	closed bool
}

func (f *fakeConn) Close() error { f.closed = true; return nil }
