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
// connection left idle, and one that never finishes its request, within 30 s.
func TestServeClosesIdleConnections(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	go func() { done <- serveHTTP(ctx, ln, h, api.ServerOptions{Log: slog.New(slog.DiscardHandler)}) }()
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
			_ = c.SetReadDeadline(began.Add(35 * time.Second))
			_, err = io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				errc <- errors.New("still open after 35 s")
				return
			}
			if d := time.Since(began); d > 30*time.Second+2*time.Second {
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
