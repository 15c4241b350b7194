package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

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
			if !p.started.Load() || !p.stopped.Load() {
				t.Fatalf("round %d: started %v stopped %v: want the part run and stopped when serve returns", i, p.started.Load(), p.stopped.Load())
			}
		}
	})
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
