package panels_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestFaults flips each emulator fault and checks every operation reports it
// with the right class, the panel's address and no password.
func TestFaults(t *testing.T) {
	cases := []struct {
		name     string
		faults   panelsim.Faults
		kind     error
		contains string
	}{
		{"ErrStatus500", panelsim.Faults{ErrorRate: 1}, reconcile.ErrTransient, "status 500"},
		{"ErrHang", panelsim.Faults{Hang: true}, reconcile.ErrTransient, "timeout"},
		{"ErrLatency", panelsim.Faults{Latency: time.Second}, reconcile.ErrTransient, "timeout"},
		{"ErrReset", panelsim.Faults{Reset: true}, reconcile.ErrTransient, "connection reset"},
		{"ErrGarbage", panelsim.Faults{Garbage: true}, reconcile.ErrPermanent, "unparsable"},
		{"ErrUnauthorized", panelsim.Faults{Unauthorized: true}, reconcile.ErrPermanent, "status 401"},
	}
	for _, f := range families {
		for _, tc := range cases {
			t.Run(f.sim+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				sim, c := startPanel(t, f.sim, f.kind, panelsim.Options{}, 150*time.Millisecond)
				sim.SetKeys(makeKeys(2, 0))
				sim.SetFaults(tc.faults)
				checkOps(t, sim, c, tc.kind, tc.contains)
			})
		}
	}
}

// checkOps runs every client operation against a faulty panel.
func checkOps(t *testing.T, sim *panelsim.Panel, c *panels.Client, kind error, contains string) {
	t.Helper()
	ctx := context.Background()
	_, err := c.Ping(ctx)
	checkErr(t, err, kind, c, contains)
	_, err = c.ListKeys(ctx)
	checkErr(t, err, kind, c, contains)
	err = c.AddKeys(ctx, makeKeys(1, 100))
	checkErr(t, err, kind, c, contains)
	err = c.DeleteKey(ctx, makeKeys(1, 0)[0].Code)
	checkErr(t, err, kind, c, contains)
}

func TestFaultsLatencyWithinTimeout(t *testing.T) {
	for _, f := range families {
		t.Run(f.sim, func(t *testing.T) {
			sim, c := startPanel(t, f.sim, f.kind, panelsim.Options{Faults: panelsim.Faults{Latency: 20 * time.Millisecond}}, time.Second)
			start := time.Now()
			mustAdd(t, c, makeKeys(2, 0))
			if len(sim.Keys()) != 2 {
				t.Errorf("panel holds %v, want 2 keys", sim.Keys())
			}
			if d := time.Since(start); d < 20*time.Millisecond {
				t.Errorf("add took %v, want the emulated latency on each request", d)
			}
		})
	}
}

func TestFaultsErrorRateHalf(t *testing.T) {
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{Faults: panelsim.Faults{ErrorRate: 0.5}}, time.Second)
	var fails int
	for range 200 {
		if _, err := c.ListKeys(context.Background()); err != nil {
			fails++
		}
	}
	if fails < 50 || fails > 150 {
		t.Errorf("%d of 200 requests failed at error rate 0.5", fails)
	}
	sim.SetFaults(panelsim.Faults{})
	if _, err := c.ListKeys(context.Background()); err != nil {
		t.Errorf("after clearing faults: %v", err)
	}
}

func TestCapacity(t *testing.T) {
	for _, f := range families {
		t.Run(f.sim, func(t *testing.T) {
			sim, c := startPanel(t, f.sim, f.kind, panelsim.Options{Capacity: 10}, time.Second)
			err := c.AddKeys(context.Background(), makeKeys(11, 0))
			want := "panel says"
			if f.kind == reconcile.PanelSokol {
				want = "status 422"
			}
			checkErr(t, err, reconcile.ErrPermanent, c, want)
			if n := len(sim.Keys()); n > 10 {
				t.Errorf("panel holds %d keys over its capacity of 10", n)
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	for _, f := range families {
		t.Run(f.sim, func(t *testing.T) {
			sim := panelsim.New(f.sim, panelsim.Options{Login: "admin", Password: "right-one"})
			srv := httptest.NewServer(sim)
			defer srv.Close()
			c := mustClient(t, srv, f.kind, "admin", testPassword, time.Second)
			_, err := c.ListKeys(context.Background())
			checkErr(t, err, reconcile.ErrPermanent, c, "bad credentials")
			err = c.AddKeys(context.Background(), makeKeys(1, 0))
			checkErr(t, err, reconcile.ErrPermanent, c, "status 401")
			if len(sim.Keys()) != 0 {
				t.Errorf("unauthenticated add stored %v", sim.Keys())
			}
		})
	}
}

func TestRefused(t *testing.T) {
	for _, f := range families {
		t.Run(f.sim, func(t *testing.T) {
			srv := httptest.NewServer(panelsim.New(f.sim, panelsim.Options{}))
			c := mustClient(t, srv, f.kind, "admin", testPassword, time.Second)
			srv.Close()
			_, err := c.Ping(context.Background())
			checkErr(t, err, reconcile.ErrTransient, c, "connection refused")
		})
	}
}

func TestCanceled(t *testing.T) {
	_, c := startPanel(t, panelsim.Beward, reconcile.PanelBeward, panelsim.Options{Faults: panelsim.Faults{Hang: true}}, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.ListKeys(ctx)
	checkErr(t, err, reconcile.ErrTransient, c, "timeout")
}

// At debug level every panel request is one log line, without the password.
func TestDebugLogPerRequest(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sim := panelsim.New(panelsim.Sokol, panelsim.Options{Login: "admin", Password: testPassword})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	host, port := hostPort(t, srv.Listener.Addr())
	d := reconcile.PanelDevice{ID: 1, Family: reconcile.PanelSokol, IP: host, Login: "admin", Password: testPassword}
	c, err := panels.New(d, panels.Options{Port: port, Scheme: "http", Timeout: time.Second, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, `msg="panel request"`); n != len(sim.Requests()) || n == 0 {
		t.Fatalf("%d log lines for %d requests:\n%s", n, len(sim.Requests()), out)
	}
	if strings.Contains(out, testPassword) || !strings.Contains(out, "path=/key/store") {
		t.Fatalf("log %q: want the path and never the password", out)
	}
}
