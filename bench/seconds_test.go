package bench_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"yardsync/api"
	"yardsync/bench"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

var (
	benchWatch   = time.Duration(envInt("YARDSYNC_BENCH_WATCH_MS", 5000)) * time.Millisecond
	watchChanges = envInt("YARDSYNC_BENCH_WATCH_CHANGES", 50)
	burstCalls   = envInt("YARDSYNC_BENCH_BURST", 1000)
)

// BenchmarkSeconds measures how fast the door follows the billing, on one
// world of YARDSYNC_BENCH_PANELS panels: a billing change nobody reports
// (reconcile.watch), a burst of API changes, a revocation while a full run
// is stuck on a slow panel, and the memory of a yardsync process alone.
// Run: go test -bench Seconds -benchtime 1x -run '^$' ./bench/
func BenchmarkSeconds(b *testing.B) {
	s := bench.DefaultScale(benchPanels)
	w := bench.NewWorld(b, s, benchLatency)
	mustSynced(b, w)
	b.Run("watch", func(b *testing.B) { benchWatchDetect(b, w) })
	b.Run("burst", func(b *testing.B) { benchBurst(b, w) })
	b.Run("slow-panel", func(b *testing.B) { benchSlowPanel(b, w) })
	b.Run("rss-alone", func(b *testing.B) { benchRSSAlone(b, w) })
}

// daemon is a scheduler with the API in front of it, as serve wires them.
type daemon struct {
	url   string
	sched *reconcile.Scheduler
	ctx   context.Context
}

func startDaemon(b *testing.B, w *bench.World) daemon {
	ctx, cancel := context.WithCancel(bg)
	sched := reconcile.NewScheduler(w.Runner(benchConcurrency), 300*time.Millisecond)
	done := make(chan struct{})
	go func() { _ = sched.Start(ctx); close(done) }()
	h := api.NewHandler(api.Options{Store: w.Store, Billing: w.Billing, Syncer: sched, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	b.Cleanup(func() { srv.Close(); cancel(); <-done })
	return daemon{url: srv.URL + "/bill/api/", sched: sched, ctx: ctx}
}

// pick returns n active contracts on n different panels, none on the panels in skip.
func pick(w *bench.World, n int, seed uint64, skip ...int) []int64 {
	r := rand.New(rand.NewPCG(seed, 7))
	used := map[int]bool{}
	for _, i := range skip {
		used[i] = true
	}
	var out []int64
	for _, i := range r.Perm(len(w.Layout.Active)) {
		uid := w.Layout.Active[i]
		if p := w.PanelOf(uid); !used[p] && len(out) < n {
			used[p] = true
			out = append(out, uid)
		}
	}
	return out
}

// waitFor polls cond every 10 ms until it holds or the deadline passes.
func waitFor(deadline time.Duration, cond func() bool) bool {
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// benchWatchDetect: contracts stop paying in the billing, one every 200 ms,
// with no call to yardsync; each is timed from its billing change until its
// keys are off its panel.
func benchWatchDetect(b *testing.B, w *bench.World) {
	d := startDaemon(b, w)
	watcher := &reconcile.Watcher{Billing: w.Billing, Every: benchWatch, MaxShrink: 0.2,
		Batch: func(uids []int64) { d.sched.Batch(uids...) }, Full: func() {}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tick := time.Now()
	watcher.Tick(bg) // the baseline
	b.ReportMetric(ms(time.Since(tick)), "baseline_tick_ms")
	tick, cpu, alloc := time.Now(), bench.CPUTime(), allocated()
	watcher.Tick(bg)
	b.ReportMetric(ms(time.Since(tick)), "idle_tick_ms")
	b.ReportMetric(ms(bench.CPUTime()-cpu), "idle_tick_cpu_ms")
	b.ReportMetric(float64(allocated()-alloc)/(1<<20), "idle_tick_alloc_MB")
	go func() { _ = watcher.Start(d.ctx) }()
	uids := pick(w, min(watchChanges, len(w.Layout.Panels)), 11)
	lat := make([]time.Duration, len(uids))
	var wg sync.WaitGroup
	for i, uid := range uids {
		if err := w.SetPaid(bg, uid, false); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !waitFor(2*benchWatch+2*time.Minute, func() bool { return w.Holds(w.PanelOf(uid), w.KeysOf(uid), false) }) {
				b.Errorf("uid %d: keys still on panel %d", uid, w.PanelOf(uid))
			}
			lat[i] = time.Since(start)
		}()
		time.Sleep(200 * time.Millisecond)
	}
	wg.Wait()
	b.ReportMetric(ms(bench.Percentile(lat, 50)), "detect_to_revoked_p50_ms")
	b.ReportMetric(ms(bench.Percentile(lat, 99)), "detect_to_revoked_p99_ms")
	b.ReportMetric(benchWatch.Seconds(), "watch_s")
	for _, uid := range uids {
		if err := w.SetPaid(bg, uid, true); err != nil {
			b.Fatal(err)
		}
	}
	mustSynced(b, w)
}

// benchBurst sends burstCalls keys_add calls from 16 clients, each a new key
// for a different paying contract, and times from the last answer until
// every panel holds every new key; it counts the runs that took.
func benchBurst(b *testing.B, w *bench.World) {
	d := startDaemon(b, w)
	n := min(burstCalls, len(w.Layout.Active))
	uids := slices.Clone(w.Layout.Active[:n])
	codes := make([]string, n)
	for i := range codes {
		codes[i] = bench.ExtraKey(500000 + i)
	}
	var before int
	if err := w.Store.Pool().QueryRow(bg, `SELECT count(*) FROM yardsync_runs`).Scan(&before); err != nil {
		b.Fatal(err)
	}
	load, err := bench.Hammer(bench.NewHTTPClient(16), d.url+"keys_add/", 16, n, func(i int) string {
		return fmt.Sprintf(`{"uid": "%d", "key": "%s", "comment": "burst"}`, uids[i], strings.ToLower(codes[i]))
	})
	if err != nil {
		b.Fatal(err)
	}
	last := time.Now()
	ok := waitFor(5*time.Minute, func() bool {
		for i, uid := range uids {
			if !w.Holds(w.PanelOf(uid), codes[i:i+1], true) {
				return false
			}
		}
		return true
	})
	took := time.Since(last)
	if !ok {
		b.Fatal("the burst's keys never all reached their panels")
	}
	waitFor(time.Minute, func() bool {
		var running int
		_ = w.Store.Pool().QueryRow(bg, `SELECT count(*) FROM yardsync_runs WHERE status = 'running'`).Scan(&running)
		return running == 0
	})
	var after int
	if err := w.Store.Pool().QueryRow(bg, `SELECT count(*) FROM yardsync_runs`).Scan(&after); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(took.Seconds(), "last_call_to_doors_s")
	b.ReportMetric(load.Took.Seconds(), "calls_s")
	b.ReportMetric(float64(n), "calls")
	b.ReportMetric(float64(after-before), "runs")
}

// benchSlowPanel times a revocation through sync/ with wait, first on a
// quiet daemon, then while a full run is held by one panel answering in 2 s.
func benchSlowPanel(b *testing.B, w *bench.World) {
	d := startDaemon(b, w)
	client := bench.NewHTTPClient(1)
	revoke := func(uid int64) time.Duration {
		b.Helper()
		if err := w.SetPaid(bg, uid, false); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		status, body, err := bench.Post(client, d.url+"sync/", fmt.Sprintf(`{"uid": %d, "wait": true}`, uid))
		took := time.Since(start)
		if err != nil || status != http.StatusOK || !w.Holds(w.PanelOf(uid), w.KeysOf(uid), false) {
			b.Fatalf("revoke %d: %d %s %v", uid, status, body, err)
		}
		return took
	}
	uids := pick(w, 2, 13, 0)
	quiet := revoke(uids[0])
	slow := w.Sim(0)
	slow.SetFaults(panelsim.Faults{Latency: 2 * time.Second})
	defer slow.SetFaults(panelsim.Faults{})
	slow.ResetRequests()
	if _, err := d.sched.Sync(bg, 0, false); err != nil {
		b.Fatal(err)
	}
	if !waitFor(time.Minute, func() bool { return len(slow.Requests()) > 0 }) {
		b.Fatal("the full run never reached the slow panel")
	}
	held := revoke(uids[1])
	b.ReportMetric(ms(quiet), "revoke_quiet_ms")
	b.ReportMetric(ms(held), "revoke_behind_slow_panel_ms")
	b.ReportMetric(ms(held-quiet), "extra_ms")
	slow.SetFaults(panelsim.Faults{})
	for _, uid := range uids {
		if err := w.SetPaid(bg, uid, true); err != nil {
			b.Fatal(err)
		}
	}
	mustSynced(b, w)
}

// benchRSSAlone runs the built yardsync binary as its own process (serve,
// with the watch on) against the world, has it make a full run, lets the
// watch tick a few times, and reads its peak RSS.
func benchRSSAlone(b *testing.B, w *bench.World) {
	bin := filepath.Join(b.TempDir(), "yardsync")
	if out, err := exec.Command("go", "build", "-o", bin, "yardsync/cmd/yardsync").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(b))
	uids, cams, snapshot := bench.BillingQueries()
	config := fmt.Sprintf(`store: {dsn: %q}
api: {listen: %q}
billing:
  driver: postgres
  dsn: %q
  queries: {uids: %q, cams: %q, snapshot: %q}
reconcile: {schedule: "", concurrency: %d, watch: %s}
panels: {port: %d}
`, w.StoreDSN, listen, w.BillingDSN(), uids, cams, snapshot, benchConcurrency, benchWatch, w.Port)
	path := filepath.Join(b.TempDir(), "yardsync.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", path, "--log-level", "warn", "serve")
	cmd.Stderr = os.Stderr
	if f := os.Getenv("RSS_TRACE"); f != "" {
		tf, _ := os.Create(f)
		cmd.Stderr = tf
		cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	client := bench.NewHTTPClient(1)
	url := "http://" + listen + "/bill/api/sync/"
	if !waitFor(time.Minute, func() bool {
		st, _, err := bench.Post(client, url, `{"wait": true}`)
		return err == nil && st == http.StatusOK
	}) {
		b.Fatal("yardsync serve never answered a full sync")
	}
	time.Sleep(3 * benchWatch) // a few watch ticks: each reads and diffs the whole snapshot
	b.ReportMetric(bench.PeakRSSOf(cmd.Process.Pid), "yardsync_peak_rss_MB")
}

// allocated is the bytes this process has allocated so far.
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

func freeTCPPort(b *testing.B) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
