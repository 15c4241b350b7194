package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"yardsync/api"
)

// TestServeClosesIdleConnections: the daemon's listener closes a keep-alive
// connection left idle, and one that never finishes its request, within its
// timeouts: 30 s at most as the daemon serves (checked on its options), and
// here, so the test is fast, 1 s.
func TestServeClosesIdleConnections(t *testing.T) {
	t.Parallel()
	if o := (&daemon{}).http.WithDefaults(); o.IdleTimeout > 30*time.Second || o.ReadHeaderTimeout > 30*time.Second {
		t.Fatalf("the daemon keeps an idle connection %s and a half-sent request %s, want 30 s at most", o.IdleTimeout, o.ReadHeaderTimeout)
	}
	const timeout = time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	o := api.ServerOptions{IdleTimeout: timeout, ReadHeaderTimeout: timeout, Log: slog.New(slog.DiscardHandler)}
	go func() { _, err := serveHTTP(ctx, ln, h, o, time.Second); done <- err }()
	defer func() { cancel(); <-done }()
	idle := func(c net.Conn) {
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
			resp.Body.Close()
		}
	}
	halfSent := func(c net.Conn) { io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Le") }
	errc := make(chan error, 2)
	for _, start := range []func(net.Conn){idle, halfSent} {
		go func() {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			start(c)
			began := time.Now()
			_ = c.SetReadDeadline(began.Add(timeout + 5*time.Second))
			_, err = io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				errc <- errors.New("still open after its timeout and 5 s")
				return
			}
			if d := time.Since(began); d > timeout+2*time.Second {
				errc <- errors.New("closed only after " + d.String())
				return
			}
			errc <- nil
		}()
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}
