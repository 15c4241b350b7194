package api

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startServer serves a handler answering 200 through NewServer on loopback.
func startServer(t *testing.T, o ServerOptions) (addr string, lim *connLimiter) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.Log = quietLog()
	h := NewHandler(Options{Log: quietLog()})
	srv, l := NewServer(ln, h, o)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), l.(*connLimiter)
}

func TestServerDefaults(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv, l := NewServer(ln, http.NotFoundHandler(), ServerOptions{})
	for name, d := range map[string]time.Duration{"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout, "IdleTimeout": srv.IdleTimeout} {
		if d <= 0 || d > 30*time.Second {
			t.Errorf("%s: %s, want set and at most 30s (idle and half-sent connections go within 30 s)", name, d)
		}
	}
	if srv.WriteTimeout <= 0 {
		t.Error("WriteTimeout not set")
	}
	if lim, ok := l.(*connLimiter); !ok || lim.max <= 0 {
		t.Errorf("listener %T does not cap connections", l)
	}
}

// TestServerClosesIdleAndHalfSent: a silent connection, half a header,
// half a body and an idle keep-alive connection are all closed by the
// server once their timeout passes.
func TestServerClosesIdleAndHalfSent(t *testing.T) {
	t.Parallel()
	short := 300 * time.Millisecond
	addr, _ := startServer(t, ServerOptions{ReadHeaderTimeout: short, ReadTimeout: short, IdleTimeout: short})
	cases := map[string]func(c net.Conn, r *bufio.Reader){
		"Silent": func(net.Conn, *bufio.Reader) {},
		"HalfHeader": func(c net.Conn, _ *bufio.Reader) {
			io.WriteString(c, "POST /bill/api/types_list/ HTTP/1.1\r\nHost: x\r\nX-Slow:")
		},
		"HalfBody": func(c net.Conn, r *bufio.Reader) {
			io.WriteString(c, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":")
		},
		"IdleKeepAlive": func(c net.Conn, r *bufio.Reader) {
			io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Errorf("keep-alive request: %v", err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		},
	}
	for name, start := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			start(c, r)
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second)) // generous: the server's limit is 300 ms
			_, err = io.Copy(io.Discard, r)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server kept the connection open")
			}
		})
	}
}

// TestServerIdleFlood: thousands of idle connections (silent, half a
// request, or keep-alive after a request) cannot keep a real client out.
// The cap is set low and the timeouts long, so only the reaping of the
// longest-idle connection can make room: this is the mechanism that lets 20,000
// idle connections against the default cap still leave room, at a scale the
// test machine's descriptor limit (both ends live in this process) allows.
func TestServerIdleFlood(t *testing.T) {
	t.Parallel()
	const capConns, flood = 64, 3000
	long := 10 * time.Minute
	addr, lim := startServer(t, ServerOptions{MaxConns: capConns, ReadHeaderTimeout: long, ReadTimeout: long, IdleTimeout: long})
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range flood {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		switch i % 3 {
		case 1:
			io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
		case 2:
			keepAlive(t, c)
		}
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for i := range 5 {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("request %d after %d idle connections: %v", i, flood, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: got %d", i, resp.StatusCode)
		}
		client.CloseIdleConnections()
	}
	peak, reaped := lim.stats()
	if peak > capConns || reaped < flood-capConns {
		t.Fatalf("peak %d open (cap %d), %d reaped of %d idle", peak, capConns, reaped, flood)
	}
	t.Logf("%d idle connections, cap %d: peak %d open, %d reaped; fd limit of this process: %s", flood, capConns, peak, reaped, fdLimit())
}

// keepAlive makes one whole request on c and leaves it idle.
func keepAlive(t *testing.T, c net.Conn) {
	t.Helper()
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return // reaped before it answered: also idle, also fine
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// TestServerBusyWaits: at the cap with every connection inside a request,
// a new connection waits for one to finish instead of being refused.
func TestServerBusyWaits(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release, entered := make(chan struct{}), make(chan struct{}, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			entered <- struct{}{}
			<-release
		}
	})
	srv, l := NewServer(ln, h, ServerOptions{MaxConns: 2, Log: quietLog()})
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String()
	for range 2 {
		go func() {
			if resp, err := (&http.Client{Transport: &http.Transport{}}).Get(url + "/block"); err == nil {
				resp.Body.Close()
			}
		}()
		<-entered
	}
	done := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Transport: &http.Transport{}, Timeout: 60 * time.Second}).Get(url + "/ok")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("answered (%v) while both slots were busy", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("after a slot freed: %v", err)
	}
}

func fdLimit() string {
	b, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			return strings.Join(strings.Fields(rest), " ")
		}
	}
	return "unknown"
}
