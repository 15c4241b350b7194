package api

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"yardsync/store/storetest"
)

// serveReal serves the API through NewServer on loopback, logging into buf.
func serveReal(t *testing.T, o Options, so ServerOptions, buf *lockedWriter) (addr string, lim *connLimiter) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.Log = slog.New(slog.NewTextHandler(buf, nil))
	so.Log = o.Log
	srv, l := NewServer(ln, NewHandler(o), so)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), l.(*connLimiter)
}

// rawRequest writes req on a new connection and reads the answer.
func rawRequest(t *testing.T, addr, req string, pause time.Duration, rest string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_, _ = io.WriteString(c, req)
	if pause > 0 {
		time.Sleep(pause)
		_, _ = io.WriteString(c, rest)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

// A body that cannot be read is the client's fault: broken chunked
// encoding, or a body still not there at api.body_timeout (auth/ reads one
// before any token), is a 400 with no ERROR line, never a 500.
func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	var buf bytes.Buffer
	log := &lockedWriter{w: &buf}
	users := withoutRoles(map[string]string{"axbills": mustHash(t, "pw", bcrypt.MinCost)})
	addr, _ := serveReal(t, Options{Store: db, Users: users, TokenStore: db, Tokens: plain("a-static-token-0123456")},
		ServerOptions{BodyTimeout: 300 * time.Millisecond}, log)
	head := func(path, extra string) string {
		return "POST /bill/api/" + path + "/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
			"Authorization: Bearer a-static-token-0123456\r\n" + extra + "\r\n"
	}
	cases := map[string]struct {
		req, rest string
		pause     time.Duration
	}{
		"BadChunkedCall": {req: head("keys_add", "Transfer-Encoding: chunked\r\n") + "zz\r\n{}\r\n0\r\n\r\n"},
		"BadChunkedAuth": {req: head("auth", "Transfer-Encoding: chunked\r\n") + "5\r\n[{\"us\r\nnot-a-chunk\r\n"},
		"SlowBodyAuth": {req: head("auth", "Content-Length: 60\r\n") + `[{"username":"axbills",`,
			pause: time.Second, rest: `"password":"pw"}]`},
		"SlowBodyCall": {req: head("keys_add", "Content-Length: 60\r\n") + `{"uid":5,`,
			pause: time.Second, rest: `"key":"0a1b2c3d4e"}`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp := rawRequest(t, addr, c.req, c.pause, c.rest)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"error"`) {
				t.Fatalf("got %d %s, want 400 with an error", resp.StatusCode, body)
			}
		})
	}
	if logged := log.String(); strings.Contains(logged, "level=ERROR") {
		t.Fatalf("a client's broken body was logged as our error:\n%s", logged)
	}
}

// TestSlowBodiesDoNotStarveHealth: 200 clients each sending a body a byte
// at a time hold no place for good. The cap is set below their number and
// the body timeout long, so only closing the connection that has waited
// longest for its body makes room: /healthz still answers.
func TestSlowBodiesDoNotStarveHealth(t *testing.T) {
	t.Parallel()
	const capConns, slow = 64, 200
	long := 10 * time.Minute
	var buf bytes.Buffer
	addr, lim := serveReal(t, Options{}, ServerOptions{MaxConns: capConns, ReadHeaderTimeout: long, BodyTimeout: long, IdleTimeout: long},
		&lockedWriter{w: &buf})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	defer func() { close(stop); wg.Wait() }()
	for range slow {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(c, "POST /bill/api/auth/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n[")
		wg.Go(func() {
			defer c.Close()
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
					if _, err := io.WriteString(c, " "); err != nil {
						return // closed to make room
					}
				}
			}
		})
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for i := range 5 {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("/healthz %d beside %d slow bodies (cap %d): %v", i, slow, capConns, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/healthz %d: %d", i, resp.StatusCode)
		}
		client.CloseIdleConnections()
	}
	if peak, reaped := lim.stats(); peak > capConns || reaped == 0 {
		t.Fatalf("peak %d open (cap %d), %d closed to make room", peak, capConns, reaped)
	}
}
