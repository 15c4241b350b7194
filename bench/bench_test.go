package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"yardsync/api"
	"yardsync/bench"
	"yardsync/reconcile"
)

// Settings, from the environment so scripts/bench.sh can sweep them.
var (
	benchPanels      = envInt("YARDSYNC_BENCH_PANELS", 40)
	benchConcurrency = envInt("YARDSYNC_BENCH_CONCURRENCY", 128)
	benchLatency     = time.Duration(envInt("YARDSYNC_BENCH_LATENCY_MS", 20)) * time.Millisecond
	naivePanels      = envInt("YARDSYNC_BENCH_NAIVE_PANELS", 8)
	targetedRuns     = envInt("YARDSYNC_BENCH_TARGETED", 200)
	profileDir       = os.Getenv("YARDSYNC_BENCH_PROFILE") // write CPU profiles of the first sync, the no-op and the one-each run here
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

var bg = context.Background()

// BenchmarkYardsync builds one world of YARDSYNC_BENCH_PANELS panels and
// measures, in order: the first full sync against its limit, the no-op run,
// targeted runs through sync/ with wait, uids/ with a warm and a cold cache,
// the naive baseline at a reduced scale, and the peak RSS.
// Run: go test -bench . -benchtime 1x -run '^$' ./bench/
func BenchmarkYardsync(b *testing.B) {
	s := bench.DefaultScale(benchPanels)
	w := bench.NewWorld(b, s, benchLatency)
	b.Logf("world: %d panels, %d contracts, %d active; generated in %s; fleet port %d; concurrency %d; latency %s",
		s.Panels, s.Contracts(), len(w.Layout.Active), w.Took.Round(time.Millisecond), w.Port, benchConcurrency, benchLatency)
	b.Run("first-sync", func(b *testing.B) { benchFirstSync(b, w) })
	b.Run("first-sync-nolog", func(b *testing.B) { benchFirstSyncNoLog(b, w) })
	b.Run("noop", func(b *testing.B) { benchNoop(b, w) })
	b.Run("one-each", func(b *testing.B) { benchOneEach(b, w) })
	b.Run("noop-reads", func(b *testing.B) { benchNoopReads(b, w) })
	b.Run("targeted", func(b *testing.B) { benchTargeted(b, w) })
	b.Run("uids-warm", func(b *testing.B) { benchUIDs(b, w, true) })
	b.Run("uids-cold", func(b *testing.B) { benchUIDs(b, w, false) })
	b.Run("naive", func(b *testing.B) { benchNaive(b, s.Panels) })
	b.Run("memory", func(b *testing.B) { b.ReportMetric(bench.PeakRSS(), "peak_rss_MB") })
}

func benchFirstSync(b *testing.B, w *bench.World) bench.RunStats {
	var st bench.RunStats
	for range b.N {
		b.StopTimer()
		if err := w.Reset(bg); err != nil {
			b.Fatal(err)
		}
		stop := startProfile(b, "first-sync")
		b.StartTimer()
		var err error
		st, err = w.MeasureRun(bg, w.FreshRunner(benchConcurrency), reconcile.Request{Trigger: "cli"})
		stop()
		if err != nil {
			b.Fatal(err)
		}
	}
	if st.Requests != st.Predicted {
		b.Errorf("fleet saw %d requests, the plan predicts %d", st.Requests, st.Predicted)
	}
	reportRun(b, st, "first")
	b.ReportMetric(float64(st.Result.Added), "keys_added")
	// The same fleet traffic at the request cost the transport alone achieves
	// here, on panels of the world's families.
	tr := bench.Calibrate(b, min(benchConcurrency, w.Scale.Panels), benchLatency, w.Scale.Families...)
	floor := st.Limit.Bound().Seconds() * float64(tr.PerRequest) / float64(benchLatency)
	b.ReportMetric(ms(tr.PerRequest), "transport_ms/req")
	b.ReportMetric(st.Took.Seconds()/floor, "x_transport")
	// The run's CPU against the transport's for as many requests: what
	// yardsync adds, whatever else shares the cores.
	b.ReportMetric(float64(tr.CPU.Microseconds()), "transport_cpu_us/req")
	b.ReportMetric(st.CPU.Seconds()/(tr.CPU.Seconds()*float64(st.Requests)), "x_transport_cpu")
	b.ReportMetric(bench.RSS(), "rss_MB")
	return st
}

// noChangeLog is the store without its change log: a reconcile.Store
// interface value does not have RecordChanges, so runs log nothing.
type noChangeLog struct{ reconcile.Store }

// benchFirstSyncNoLog is the first sync with no change log, to price the log.
func benchFirstSyncNoLog(b *testing.B, w *bench.World) {
	var st bench.RunStats
	for range b.N {
		b.StopTimer()
		if err := w.Reset(bg); err != nil {
			b.Fatal(err)
		}
		r := w.FreshRunner(benchConcurrency)
		r.Store = noChangeLog{r.Store}
		b.StartTimer()
		var err error
		if st, err = w.MeasureRun(bg, r, reconcile.Request{Trigger: "cli"}); err != nil {
			b.Fatal(err)
		}
	}
	reportRun(b, st, "first")
}

func benchNoop(b *testing.B, w *bench.World) {
	mustSynced(b, w)
	var st bench.RunStats
	for range b.N {
		stop := startProfile(b, "noop")
		var err error
		st, err = w.MeasureRun(bg, w.Runner(benchConcurrency), reconcile.Request{Trigger: "cli"})
		stop()
		if err != nil {
			b.Fatal(err)
		}
	}
	if st.Writes != 0 || st.Queries != 1 {
		b.Errorf("a no-op run made %d panel writes and %d billing queries, want 0 and 1", st.Writes, st.Queries)
	}
	reportRun(b, st, "noop")
	b.ReportMetric(float64(st.Writes), "panel_writes")
	b.ReportMetric(float64(st.Queries), "billing_queries")
}

// benchOneEach gives one paying contract behind every panel a new key and
// times the full run that pushes them: one write per panel, so each
// session's read-back checks the panel's whole desired set (~90 keys) for
// the one key it added.
func benchOneEach(b *testing.B, w *bench.World) {
	mustSynced(b, w)
	first := firstPerPanel(w)
	var st bench.RunStats
	for i := range b.N {
		b.StopTimer()
		for p, uid := range first {
			if err := w.Store.AddKey(bg, uid, bench.ExtraKey(1_000_000+i*w.Scale.Panels+p), nil); err != nil {
				b.Fatal(err)
			}
		}
		stop := startProfile(b, "one-each")
		b.StartTimer()
		var err error
		st, err = w.MeasureRun(bg, w.Runner(benchConcurrency), reconcile.Request{Trigger: "cli"})
		stop()
		if err != nil {
			b.Fatal(err)
		}
	}
	if st.Result.Added != len(first) {
		b.Errorf("the run added %d keys, want one on each of %d panels", st.Result.Added, len(first))
	}
	reportRun(b, st, "one_each")
}

// benchNoopReads times, one after another, each read a full run's observe
// step makes at once: where a no-op run's time goes besides the panels.
func benchNoopReads(b *testing.B, w *bench.World) {
	db := w.Store
	reads := []struct {
		name string
		read func() error
	}{
		{"snapshot_ms", func() error { _, err := w.Billing.Snapshot(bg); return err }},
		{"devices_ms", func() error { _, err := db.Devices(bg); return err }},
		{"rights_ms", func() error { _, err := db.AllRights(bg); return err }},
		{"keys_ms", func() error { _, err := db.AllKeys(bg); return err }},
		{"owned_ms", func() error { _, err := db.OwnedKeys(bg); return err }},
		{"access_ms", func() error { _, err := db.AccessOf(bg, nil); return err }},
	}
	for range b.N {
		for _, r := range reads {
			start := time.Now()
			if err := r.read(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(ms(time.Since(start)), r.name)
		}
	}
}

func reportRun(b *testing.B, st bench.RunStats, name string) {
	lim := st.Limit.Bound()
	b.ReportMetric(st.Took.Seconds(), name+"_s")
	b.ReportMetric(st.CPU.Seconds(), name+"_cpu_s")
	b.ReportMetric(lim.Seconds(), "limit_s")
	b.ReportMetric(st.Limit.Serial().Seconds(), "serial_s")
	b.ReportMetric(st.Limit.Parallel().Seconds(), "parallel_s")
	b.ReportMetric(st.Took.Seconds()/lim.Seconds(), "x_limit")
	b.ReportMetric(float64(st.Requests), "requests")
	b.ReportMetric(float64(st.Limit.Concurrency), "concurrency")
}

// mustSynced makes sure a first sync has happened, for sub-benchmarks run alone.
func mustSynced(b *testing.B, w *bench.World) {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	if _, err := w.MeasureRun(bg, w.Runner(benchConcurrency), reconcile.Request{Trigger: "cli"}); err != nil {
		b.Fatal(err)
	}
}

func startProfile(b *testing.B, name string) func() {
	if profileDir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(profileDir, fmt.Sprintf("%s-%d.cpu.pprof", name, benchPanels)))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// serve runs the API with a scheduler on a real listener.
func serve(b *testing.B, w *bench.World, billing api.Billing) string {
	ctx, cancel := context.WithCancel(bg)
	sched := reconcile.NewScheduler(w.Runner(benchConcurrency), 300*time.Millisecond)
	done := make(chan struct{})
	go func() { _ = sched.Start(ctx); close(done) }()
	h := api.NewHandler(api.Options{Store: w.Store, Billing: billing, Syncer: sched, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	b.Cleanup(func() { srv.Close(); cancel(); <-done })
	return srv.URL
}

// benchTargeted gives a contract a new key in the store, then asks sync/
// with wait for that contract, 200 times over random contracts.
func benchTargeted(b *testing.B, w *bench.World) {
	mustSynced(b, w)
	url := serve(b, w, w.Billing) + "/bill/api/sync/"
	client := bench.NewHTTPClient(1)
	r := rand.New(rand.NewPCG(2, 3))
	var lat []time.Duration
	b.ResetTimer()
	for i := range targetedRuns * b.N {
		uid := w.Layout.Active[r.IntN(len(w.Layout.Active))]
		b.StopTimer()
		if err := w.Store.AddKey(bg, uid, bench.ExtraKey(i+b.N*1000), nil); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		status, body, err := bench.Post(client, url, fmt.Sprintf(`{"uid": %d, "wait": true}`, uid))
		lat = append(lat, time.Since(start))
		if err != nil || status != http.StatusOK {
			b.Fatalf("sync/ uid %d: %d %s %v", uid, status, body, err)
		}
		var sum reconcile.Summary
		if err := json.Unmarshal(body, &sum); err != nil || sum.Status != reconcile.StatusOK || sum.Added < 1 {
			b.Fatalf("sync/ uid %d: %s %v", uid, body, err)
		}
	}
	b.ReportMetric(ms(bench.Percentile(lat, 50)), "p50_ms")
	b.ReportMetric(ms(bench.Percentile(lat, 99)), "p99_ms")
	b.ReportMetric(float64(len(lat)), "runs")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchUIDs hammers uids/ from 16 clients: warm asks phones already cached,
// cold asks each phone once on a fresh cache, so every call queries the billing.
func benchUIDs(b *testing.B, w *bench.World, warm bool) {
	const workers = 16
	cache := w.NewBilling(b, 10000)
	url := serve(b, w, cache) + "/bill/api/uids/"
	client := bench.NewHTTPClient(workers)
	contracts := w.Scale.Contracts()
	phones := min(contracts, 10000)
	n := phones
	if warm {
		for i := range phones {
			if _, err := cache.UIDs(bg, bench.Phone(int64(i+1))); err != nil {
				b.Fatal(err)
			}
		}
		n = 50000
	}
	b.ResetTimer()
	var load bench.Load
	for range b.N {
		var err error
		load, err = bench.Hammer(client, url, workers, n, func(i int) string {
			return `{"phone": "` + bench.Phone(int64(i%phones+1)) + `"}`
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(load.PerSecond(), "req/s")
	b.ReportMetric(ms(bench.Percentile(load.Latencies, 99)), "p99_ms")
	b.ReportMetric(ms(bench.Percentile(load.Latencies, 50)), "p50_ms")
}

// benchNaive builds a small world and runs on it, in turn, the naive
// baseline and yardsync's first sync; it reports both, their ratio, and the
// naive time scaled up to the full world.
func benchNaive(b *testing.B, fullPanels int) {
	w := bench.NewWorld(b, bench.DefaultScale(naivePanels), benchLatency)
	var naive time.Duration
	var st bench.RunStats
	for range b.N {
		if err := w.Reset(bg); err != nil {
			b.Fatal(err)
		}
		var err error
		if naive, err = w.Naive(bg); err != nil {
			b.Fatal(err)
		}
		if err := w.Reset(bg); err != nil {
			b.Fatal(err)
		}
		if st, err = w.MeasureRun(bg, w.Runner(benchConcurrency), reconcile.Request{Trigger: "cli"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(naivePanels), "panels")
	b.ReportMetric(naive.Seconds(), "naive_s")
	b.ReportMetric(st.Took.Seconds(), "yardsync_s")
	b.ReportMetric(naive.Seconds()/st.Took.Seconds(), "x_slower")
	b.ReportMetric(naive.Seconds()*float64(fullPanels)/float64(naivePanels), "naive_full_s")
}
