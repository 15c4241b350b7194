package panels_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

const testPassword = "s3cret-Pa55"

// families are the three emulated panel kinds and the paneltype that drives each.
var families = []struct {
	sim  string
	kind int
}{
	{panelsim.Beward, reconcile.PanelBeward},
	{panelsim.BewardMifare, reconcile.PanelBeward},
	{panelsim.Sokol, reconcile.PanelSokol},
}

// startPanel serves an emulator over real HTTP on 127.0.0.1 and returns it
// with a client built the way the reconciler builds one.
func startPanel(tb testing.TB, family string, kind int, opts panelsim.Options, timeout time.Duration) (*panelsim.Panel, *panels.Client) {
	tb.Helper()
	if opts.Password == "" {
		opts.Login, opts.Password = "admin", testPassword
	}
	sim := panelsim.New(family, opts)
	srv := httptest.NewServer(sim)
	tb.Cleanup(srv.Close)
	tb.Cleanup(sim.Close) // runs first: releases hanging handlers
	c := mustClient(tb, srv, kind, opts.Login, opts.Password, timeout)
	return sim, c
}

func mustClient(tb testing.TB, srv *httptest.Server, kind int, login, password string, timeout time.Duration) *panels.Client {
	tb.Helper()
	host, port := hostPort(tb, srv.Listener.Addr())
	d := reconcile.PanelDevice{ID: 1, Family: kind, IP: host, Login: login, Password: password}
	c, err := panels.New(d, panels.Options{Port: port, Scheme: "http", Timeout: timeout})
	if err != nil {
		tb.Fatalf("panels.New: %v", err)
	}
	return c
}

func hostPort(tb testing.TB, a net.Addr) (string, int) {
	tb.Helper()
	host, p, err := net.SplitHostPort(a.String())
	if err != nil {
		tb.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return host, port
}

// makeKeys returns n distinct normalised keys on flats 1.., starting at seed.
func makeKeys(n, seed int) []reconcile.PanelKey {
	keys := make([]reconcile.PanelKey, n)
	for i := range keys {
		keys[i] = reconcile.PanelKey{Code: fmt.Sprintf("%014X", 0xA0000000+seed+i), Flat: 1 + (seed+i)%9999}
	}
	return keys
}

// checkErr asserts err wraps kind, carries the package prefix and no secret.
func checkErr(t *testing.T, err, kind error, c *panels.Client, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q: not %v", err, kind)
	}
	prefix := "panels: " + c.Family() + " " + c.Addr() + ": "
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("error %q: want prefix %q", err, prefix)
	}
	if strings.Contains(err.Error(), testPassword) || strings.Contains(err.Error(), "@") {
		t.Errorf("error %q leaks credentials", err)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("error %q: want it to mention %q", err, contains)
	}
}

// inFlight wraps a handler and records the most requests it saw at once.
type inFlight struct {
	h        http.Handler
	now, max chan int
}

func newInFlight(h http.Handler) *inFlight {
	f := &inFlight{h: h, now: make(chan int, 1), max: make(chan int, 1)}
	f.now <- 0
	f.max <- 0
	return f
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := <-f.now + 1
	f.now <- n
	if m := <-f.max; n > m {
		f.max <- n
	} else {
		f.max <- m
	}
	f.h.ServeHTTP(w, r)
	f.now <- <-f.now - 1
}

func (f *inFlight) peak() int { m := <-f.max; f.max <- m; return m }

func newServer(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}
