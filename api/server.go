package api

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// DefaultWriteTimeout is how long an answer may take to be written.
const DefaultWriteTimeout = 2 * time.Minute

// ServerOptions tune the HTTP server; a zero field takes its default.
type ServerOptions struct {
	MaxConns          int           // open connections at most (default 2048); at the cap the oldest idle one is closed
	ReadHeaderTimeout time.Duration // a request's headers, from its first byte (default 10s)
	ReadTimeout       time.Duration // headers and body (default 20s)
	WriteTimeout      time.Duration // the answer, from the end of the headers (default DefaultWriteTimeout)
	IdleTimeout       time.Duration // a keep-alive connection between requests (default 20s)
	LongWrite         time.Duration // sync/, which waits for its run up to api.sync_wait (default 30m)
	Log               *slog.Logger
}

func (o *ServerOptions) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.ReadHeaderTimeout, 10*time.Second)
	set(&o.ReadTimeout, 20*time.Second)
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
// or half a request, is closed after ReadHeaderTimeout or ReadTimeout; an
// idle keep-alive one after IdleTimeout. At most MaxConns are open: when a
// new one arrives at the cap, the connection idle longest (keep-alive or not
// yet a whole request) is closed to make room, so a flood of idle
// connections cannot keep a real client out. Only when every connection is
// busy with a request does a new one wait in the kernel's queue.
func NewServer(ln net.Listener, h http.Handler, o ServerOptions) (*http.Server, net.Listener) {
	o.defaults()
	lim := newConnLimiter(ln, o.MaxConns)
	srv := &http.Server{
		Handler:           longWrite(h, o.LongWrite),
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
