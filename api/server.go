package api

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultWriteTimeout is how long an answer may take to be written.
const DefaultWriteTimeout = 2 * time.Minute

// DefaultBodyTimeout is how long a request body may take to arrive when
// api.body_timeout is not set.
const DefaultBodyTimeout = 10 * time.Second

// ServerOptions tune the HTTP server; a zero field takes its default.
type ServerOptions struct {
	MaxConns          int           // open connections at most (default 2048); at the cap the oldest idle one is closed
	ReadHeaderTimeout time.Duration // a request's headers, from its first byte (default 10s)
	BodyTimeout       time.Duration // a request's body, from the end of its headers (api.body_timeout, default DefaultBodyTimeout)
	ReadTimeout       time.Duration // headers and body together (default ReadHeaderTimeout + BodyTimeout)
	WriteTimeout      time.Duration // the answer, from the end of the headers (default DefaultWriteTimeout)
	IdleTimeout       time.Duration // a keep-alive connection between requests (default 20s)
	LongWrite         time.Duration // sync/, which waits for its run up to api.sync_wait (default 30m)
	Log               *slog.Logger
}

// WithDefaults returns o with each zero field set to its default: the
// server NewServer would build.
func (o ServerOptions) WithDefaults() ServerOptions {
	o.defaults()
	return o
}

func (o *ServerOptions) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.ReadHeaderTimeout, 10*time.Second)
	set(&o.BodyTimeout, DefaultBodyTimeout)
	set(&o.ReadTimeout, o.ReadHeaderTimeout+o.BodyTimeout)
	set(&o.WriteTimeout, DefaultWriteTimeout)
	set(&o.IdleTimeout, 20*time.Second)
	set(&o.LongWrite, 30*time.Minute)
	if o.MaxConns <= 0 {
		o.MaxConns = 2048
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// NewServer returns a server for h that holds against slow and idle
// clients, and the listener to serve it on. A connection that sends nothing,
// or half its headers, is closed after ReadHeaderTimeout; a body that has
// not arrived BodyTimeout after the headers is refused (the handler's read
// fails); an idle keep-alive connection is closed after IdleTimeout. At most
// MaxConns are open: when a new one arrives at the cap, the connection that
// has waited longest for its client (keep-alive, not yet a whole request,
// or still owing its body) is closed to make room, so a flood of idle or
// slow connections cannot keep a real client, or /healthz, out. Only when
// every connection is busy with a request does a new one wait in the
// kernel's queue.
func NewServer(ln net.Listener, h http.Handler, o ServerOptions) (*http.Server, net.Listener) {
	o.defaults()
	lim := newConnLimiter(ln, o.MaxConns)
	srv := &http.Server{
		Handler:           watchBodies(longWrite(h, o.LongWrite), o.BodyTimeout, lim),
		ConnContext:       func(ctx context.Context, c net.Conn) context.Context { return context.WithValue(ctx, connKey{}, c) },
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnState:         lim.track,
		ErrorLog:          slog.NewLogLogger(o.Log.Handler(), slog.LevelWarn),
	}
	return srv, lim
}

// longWrite gives sync/ (which may wait for its run) its own write
// deadline, longer than every other call's.
func longWrite(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/bill/api/sync") {
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
		}
		h.ServeHTTP(w, r)
	})
}

// connKey carries a request's connection from ConnContext to watchBodies.
type connKey struct{}

// watchBodies gives a request body d to arrive, from the end of the
// headers, and meanwhile lets the limiter close its connection to make room.
// Once the body is in, or at once for a request without one, the read
// deadline is lifted: the server's background read of a connection whose
// request is in must not cancel a long answer (sync/ with wait).
func watchBodies(h http.Handler, d time.Duration, lim *connLimiter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		c, _ := r.Context().Value(connKey{}).(net.Conn)
		if r.Body == nil || r.Body == http.NoBody || c == nil {
			_ = rc.SetReadDeadline(time.Time{})
			h.ServeHTTP(w, r)
			return
		}
		_ = rc.SetReadDeadline(time.Now().Add(d))
		lim.waiting(c)
		r.Body = &watchedBody{ReadCloser: r.Body, done: func() {
			lim.received(c)
			_ = rc.SetReadDeadline(time.Time{})
		}}
		h.ServeHTTP(w, r)
	})
}

// watchedBody calls done once, when its reader has seen the end of the
// body. A body that failed (too slow, malformed) keeps its deadline, so the
// server's own read of what is left fails as fast, and its connection stays
// one the limiter may close.
type watchedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.done)
	}
	return n, err
}
