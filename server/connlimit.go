package server

import (
	"context"
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
// accepting at the cap, so connections that never send a request, idle
// keep-alive ones or wrong admin tokens waiting out the sign-in delay hold
// every slot, and each new client (/healthz and the right token included)
// waits in the kernel's queue until timeouts close them. connLimit
// accepts, then closes another connection to make room: the one waiting
// out a sign-in delay the longest (its client gets no 401), else the one
// idle the longest (no request yet, or between keep-alive requests:
// http.Server's ConnState tells which). Room is made for a connection that
// arrived, never ahead of one (that closed the one just accepted); when
// every other is busy with a request, the new one waits for one to close.
type connLimit struct {
	max   int
	mu    sync.Mutex
	conns map[net.Conn]connEntry // open connections accepted here
	seq   uint64                 // orders connections by when they became idle or delayed
	peak  int                    // most connections open at once, for tests
	freed chan struct{}          // a connection closed (capacity 1)
}

// connEntry is an open connection's state since seq.
type connEntry struct {
	state connState
	since uint64
}

// connState orders what a connection is doing by which is closed first
// to make room: never a busy one.
type connState int

const (
	connBusy    connState = iota // serving a request
	connIdle                     // no request in progress
	connDelayed                  // waiting out a sign-in delay
)

func newConnLimit(max int) *connLimit {
	if max <= 0 {
		max = DefaultMaxConnections
	}
	return &connLimit{max: max, conns: map[net.Conn]connEntry{}, freed: make(chan struct{}, 1)}
}

// listen wraps ln so that it holds at most the cap, and the one accepted
// waiting for room.
func (c *connLimit) listen(ln net.Listener) net.Listener {
	return &limitedListener{Listener: ln, limit: c, done: make(chan struct{})}
}

// makeRoom returns once one more connection may be added: below the cap,
// or after closing the connection delayed, else idle, the longest. With
// every connection busy it waits for one to close, or for done.
func (c *connLimit) makeRoom(done <-chan struct{}) error {
	for {
		c.mu.Lock()
		if len(c.conns) < c.max {
			c.mu.Unlock()
			return nil
		}
		var victim net.Conn
		var worst connEntry
		for conn, e := range c.conns {
			if e.state > worst.state || (e.state == worst.state && e.since < worst.since) {
				victim, worst = conn, e
			}
		}
		if worst.state != connBusy {
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

// set records conn's new state: conn is just accepted (adding), or still
// open here (else closed to make room, and left out).
func (c *connLimit) set(conn net.Conn, st connState, adding bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.conns[conn]; !ok && !adding {
		return
	}
	c.seq++
	c.conns[conn] = connEntry{state: st, since: c.seq}
	c.peak = max(c.peak, len(c.conns))
}

// withConn is http.Server's ConnContext hook: it keeps the connection in
// its requests' context (under c as the key), for delayed.
func (c *connLimit) withConn(ctx context.Context, conn net.Conn) context.Context {
	return context.WithValue(ctx, c, conn)
}

// delayed marks the connection of a request (ctx) as waiting out a sign-in
// delay: the first closed to make room, until its answer is written.
func (c *connLimit) delayed(ctx context.Context) {
	if conn, ok := ctx.Value(c).(net.Conn); ok {
		c.set(conn, connDelayed, false)
	}
}

// track is http.Server's ConnState hook: it follows each connection
// between idle and busy, and forgets it when it closes.
func (c *connLimit) track(conn net.Conn, st http.ConnState) {
	switch st {
	case http.StateIdle:
		c.set(conn, connIdle, false)
	case http.StateActive:
		c.set(conn, connBusy, false)
	case http.StateClosed, http.StateHijacked:
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.conns[conn]; ok { // else closed to make room, or not accepted here
			delete(c.conns, conn)
			select {
			case c.freed <- struct{}{}:
			default:
			}
		}
	}
}

// limitedListener accepts through a connLimit.
type limitedListener struct {
	net.Listener
	limit     *connLimit
	done      chan struct{}
	closeOnce sync.Once
}

// Accept accepts, then makes room for the connection among the others.
func (l *limitedListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if err := l.limit.makeRoom(l.done); err != nil {
		conn.Close()
		return nil, err
	}
	l.limit.set(conn, connIdle, true)
	return conn, nil
}

func (l *limitedListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}
