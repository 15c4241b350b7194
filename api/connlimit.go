package api

import (
	"container/list"
	"net"
	"net/http"
	"sync"
)

// connLimiter caps the open connections of a listener. It learns from the
// server's ConnState hook which connections are idle (accepted but with no
// whole request yet, or keep-alive between requests), and from the body
// reader which are still waiting for a request body, and at the cap closes
// the one that has waited longest to admit the new one. A client that is
// slow to send what it owes is not busy: it cannot hold a place for good.
type connLimiter struct {
	net.Listener
	max    int
	mu     sync.Mutex
	cond   *sync.Cond
	conns  map[net.Conn]*list.Element // every open connection; nil while it serves a request
	idle   *list.List                 // idle connections and those waiting for a body, longest waiting first
	closed bool
	peak   int // most connections open at once, for tests
	reaped int // idle connections closed to make room
}

func newConnLimiter(ln net.Listener, max int) *connLimiter {
	l := &connLimiter{Listener: ln, max: max, conns: map[net.Conn]*list.Element{}, idle: list.New()}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// Accept admits a connection once there is room for it.
func (l *connLimiter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.conns) >= l.max && !l.closed {
		if !l.reapOldest() {
			l.cond.Wait() // every connection is busy: wait for one to finish
		}
	}
	if l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns[c] = l.idle.PushBack(c)
	l.peak = max(l.peak, len(l.conns))
	return c, nil
}

// reapOldest closes the connection idle longest; false when none is idle.
func (l *connLimiter) reapOldest() bool {
	e := l.idle.Front()
	if e == nil {
		return false
	}
	c := e.Value.(net.Conn)
	l.idle.Remove(e)
	delete(l.conns, c)
	l.reaped++
	go c.Close() // its server goroutine then ends on the read error
	return true
}

// track follows the server's view of each connection.
func (l *connLimiter) track(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, open := l.conns[c]
	if !open {
		return // reaped already
	}
	if e != nil {
		l.idle.Remove(e)
		l.conns[c] = nil
	}
	switch state {
	case http.StateNew, http.StateIdle:
		l.conns[c] = l.idle.PushBack(c)
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	}
	l.cond.Broadcast()
}

// waiting marks a connection inside a request as waiting for its body: it
// may be closed to make room, as an idle one may.
func (l *connLimiter) waiting(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, open := l.conns[c]; open && e == nil {
		l.conns[c] = l.idle.PushBack(c)
		l.cond.Broadcast()
	}
}

// received marks a connection whose body has arrived as busy again.
func (l *connLimiter) received(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, open := l.conns[c]; open && e != nil {
		l.idle.Remove(e)
		l.conns[c] = nil
	}
}

// Close stops accepting and releases an Accept waiting for room.
func (l *connLimiter) Close() error {
	l.mu.Lock()
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
	return l.Listener.Close()
}

// stats reports the most connections open at once and how many were reaped.
func (l *connLimiter) stats() (peak, reaped int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peak, l.reaped
}
