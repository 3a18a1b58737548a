package server

import (
	"net"
	"net/http"
	"sync"
)

// DefaultMaxConnections is the cap on open connections when
// Config.MaxConnections is zero.
const DefaultMaxConnections = 1024

// connLimit caps the connections the service holds open, so that a flood
// cannot exhaust its file descriptors.
//
// It is not golang.org/x/net/netutil.LimitListener: that one stops
// accepting at the cap, so a few thousand connections that never send a
// request (or keep-alive connections left idle) hold every slot and each
// new client, /healthz included, waits in the kernel's queue until the
// server's timeouts close them. connLimit instead closes the connection
// idle the longest (accepted but no request yet, or between keep-alive
// requests: http.Server's ConnState tells which) to make room, and waits
// only when every connection is busy with a request.
type connLimit struct {
	max   int
	mu    sync.Mutex
	conns map[net.Conn]connEntry // open connections accepted here
	seq   uint64                 // orders connections by when they became idle
	peak  int                    // most connections open at once, for tests
	freed chan struct{}          // a connection closed (capacity 1)
}

// connEntry is an open connection's state: idle (no request in
// progress) since seq, or busy.
type connEntry struct {
	idle  bool
	since uint64
}

func newConnLimit(max int) *connLimit {
	if max <= 0 {
		max = DefaultMaxConnections
	}
	return &connLimit{max: max, conns: map[net.Conn]connEntry{}, freed: make(chan struct{}, 1)}
}

// listen wraps ln so that it accepts a connection only below the cap.
func (c *connLimit) listen(ln net.Listener) net.Listener {
	return &limitedListener{Listener: ln, limit: c, done: make(chan struct{})}
}

// makeRoom returns once a connection may be accepted: below the cap, or
// after closing the connection idle the longest. With every connection
// busy it waits for one to close, or for done.
func (c *connLimit) makeRoom(done <-chan struct{}) error {
	for {
		c.mu.Lock()
		if len(c.conns) < c.max {
			c.mu.Unlock()
			return nil
		}
		var victim net.Conn
		var oldest uint64
		for conn, e := range c.conns {
			if e.idle && (victim == nil || e.since < oldest) {
				victim, oldest = conn, e.since
			}
		}
		if victim != nil {
			delete(c.conns, victim)
			c.mu.Unlock()
			victim.Close()
			continue
		}
		c.mu.Unlock()
		select {
		case <-c.freed:
		case <-done:
			return net.ErrClosed
		}
	}
}

// added records a connection just accepted: idle until its first request.
func (c *connLimit) added(conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.conns[conn] = connEntry{idle: true, since: c.seq}
	c.peak = max(c.peak, len(c.conns))
}

// track is http.Server's ConnState hook: it follows each connection
// between idle and busy, and forgets it when it closes.
func (c *connLimit) track(conn net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.conns[conn]; !ok {
		return // closed to make room, or not accepted here
	}
	switch st {
	case http.StateIdle:
		c.seq++
		c.conns[conn] = connEntry{idle: true, since: c.seq}
	case http.StateActive:
		c.conns[conn] = connEntry{}
	case http.StateClosed, http.StateHijacked:
		delete(c.conns, conn)
		select {
		case c.freed <- struct{}{}:
		default:
		}
	}
}

// open returns how many connections are open and the most at once.
func (c *connLimit) open() (now, peak int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.conns), c.peak
}

// limitedListener accepts through a connLimit.
type limitedListener struct {
	net.Listener
	limit     *connLimit
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitedListener) Accept() (net.Conn, error) {
	if err := l.limit.makeRoom(l.done); err != nil {
		return nil, err
	}
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.limit.added(conn)
	return conn, nil
}

func (l *limitedListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}
