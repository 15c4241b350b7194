package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// part is a long-lived daemon part that records whether it ran and stopped.
type part struct{ started, stopped atomic.Bool }

func (p *part) run(ctx context.Context) {
	p.started.Store(true)
	<-ctx.Done()
	p.stopped.Store(true)
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestDaemonServe(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Run("ServeFailsStopsParts", func(t *testing.T) {
		p := &part{}
		d := &daemon{runners: []func(context.Context){p.run}}
		ln := listenLoopback(t)
		ln.Close() // Serve fails at once, as when its listener dies
		err := d.serve(context.Background(), ln, http.NotFoundHandler(), log)
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("got %v, want the server's error", err)
		}
		if !p.started.Load() || !p.stopped.Load() {
			t.Fatalf("started %v stopped %v: want the part stopped when serve returns", p.started.Load(), p.stopped.Load())
		}
	})
	t.Run("StopWaitsForEveryPart", func(t *testing.T) {
		// Each stop must wait for parts that had no time to start yet, so the
		// closers never run under a live scheduler.
		for i := range 100 {
			p := &part{}
			d := &daemon{runners: []func(context.Context){p.run}}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := d.serve(ctx, listenLoopback(t), http.NotFoundHandler(), log); err != nil {
				t.Fatal(err)
			}
			if !p.started.Load() || !p.stopped.Load() || !d.drained {
				t.Fatalf("round %d: started %v stopped %v drained %v: want the part run and stopped when serve returns", i, p.started.Load(), p.stopped.Load(), d.drained)
			}
		}
	})
	t.Run("StopIsBounded", func(t *testing.T) {
		// A request in flight and a run that does not drain share one bound:
		// serve returns by it, not after the one and then the other.
		const bound = time.Second
		release, arrived := make(chan struct{}), make(chan struct{})
		defer close(release)
		stuck := func(ctx context.Context) { <-ctx.Done(); <-release }
		d := &daemon{runners: []func(context.Context){stuck}, stopTimeout: bound}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { close(arrived); <-release })
		var logged bytes.Buffer
		ln := listenLoopback(t)
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- d.serve(ctx, ln, h, slog.New(slog.NewTextHandler(&logged, nil))) }()
		go func() {
			if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
				resp.Body.Close()
			}
		}()
		<-arrived
		began := time.Now()
		cancel()
		err := <-served
		took := time.Since(began)
		if took < bound || took > bound+bound*3/4 {
			t.Errorf("serve returned %s after the stop, want its bound %s (the request and the drain share it)", took, bound)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want the request cut at the bound", err)
		}
		if d.drained || !strings.Contains(logged.String(), "run still draining at stop") {
			t.Errorf("drained %v, log %q: want the undrained run said", d.drained, logged.String())
		}
	})
}

// TestStopFitsTheUnit: serve's whole stop ends well before systemd's
// TimeoutStopSec kills it, and the README states both.
func TestStopFitsTheUnit(t *testing.T) {
	unit, err := os.ReadFile("../../deploy/yardsync.service")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TimeoutStopSec=(\S+)$`).FindSubmatch(unit)
	if m == nil {
		t.Fatal("deploy/yardsync.service sets no TimeoutStopSec")
	}
	limit, err := time.ParseDuration(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	if margin := 10 * time.Second; stopTimeout+margin > limit {
		t.Errorf("serve may take %s to stop, the unit kills it after %s: want %s of margin", stopTimeout, limit, margin)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("%d s at most", stopTimeout/time.Second), "TimeoutStopSec=" + string(m[1])} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("the README does not say %q", want)
		}
	}
}

func TestServeListenTaken(t *testing.T) {
	in := newInstall(t, 1)
	taken, err := net.Listen("tcp", in.listen)
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	// A schedule makes serve queue a first run at start: none may happen.
	text, err := os.ReadFile(in.config)
	if err != nil {
		t.Fatal(err)
	}
	in.config = writeConfig(t, strings.Replace(string(text), `schedule: ""`, `schedule: "@every 1h"`, 1))
	err = Run(context.Background(), []string{"yardsync", "--config", in.config, "serve"}, &bytes.Buffer{}, &bytes.Buffer{})
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), in.listen) {
		t.Fatalf("got %v, want address in use naming %s", err, in.listen)
	}
	if n := runsRecorded(t, in.storeDSN); n != 0 {
		t.Fatalf("%d runs recorded by a serve that failed to start", n)
	}
}

// runsRecorded counts the runs in a store, which may not be migrated yet.
func runsRecorded(t *testing.T, dsn string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var migrated bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('yardsync_runs') IS NOT NULL`).Scan(&migrated); err != nil || !migrated {
		return 0
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM yardsync_runs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
