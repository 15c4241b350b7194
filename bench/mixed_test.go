package bench_test

import (
	"testing"
	"time"

	"yardsync/bench"
	"yardsync/reconcile"
)

// BenchmarkYardsyncMixed is BenchmarkYardsync's first sync and no-op run on
// a mixed fleet: YARDSYNC_BENCH_PANELS panels playing every family the bench
// drives (bench.Driven) in turn, so each family has a like share, with
// BenchmarkYardsync's contracts, keys, latency and concurrency. The first
// sync's transport floor is calibrated on the same mix of families. It also
// reports each family's requests per panel in the first sync.
// Run: YARDSYNC_BENCH_PANELS=2000 go test -bench '^BenchmarkYardsyncMixed$' -benchtime 1x -run '^$' -timeout 60m ./bench/
func BenchmarkYardsyncMixed(b *testing.B) {
	s := bench.DefaultScale(benchPanels)
	s.Families = bench.Driven()
	w := bench.NewWorld(b, s, benchLatency)
	b.Logf("world: %d panels of %v in turn, %d contracts, %d active; generated in %s; concurrency %d; latency %s",
		s.Panels, s.Families, s.Contracts(), len(w.Layout.Active), w.Took.Round(time.Millisecond), benchConcurrency, benchLatency)
	b.Run("first-sync", func(b *testing.B) {
		st := benchFirstSync(b, w)
		for _, f := range s.Families {
			b.ReportMetric(float64(st.FamilyRequests[f])/float64(panelsOf(w, f)), f+"_req/panel")
		}
	})
	b.Run("noop", func(b *testing.B) { benchNoop(b, w) })
	b.Run("memory", func(b *testing.B) { b.ReportMetric(bench.PeakRSS(), "peak_rss_MB") })
}

// panelsOf counts the world's panels of a family.
func panelsOf(w *bench.World, family string) int {
	n := 0
	for _, p := range w.Layout.Panels {
		if p.Family == family {
			n++
		}
	}
	return n
}

// TestWorldMixed checks the request model of every driven family on a small
// mixed world without latency: a first sync (a fresh dialer, so probes
// included), a no-op run and a run after keys came and went make exactly
// the requests PredictRequests expects.
func TestWorldMixed(t *testing.T) {
	s := bench.DefaultScale(2 * len(bench.Driven()))
	s.Families = bench.Driven()
	w := bench.NewWorld(t, s, 0)
	check := func(name string, r *reconcile.Runner) bench.RunStats {
		t.Helper()
		st, err := w.MeasureRun(bg, r, reconcile.Request{Trigger: "cli"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.Requests != st.Predicted {
			t.Errorf("%s: the fleet saw %d requests %v, the plan predicts %d", name, st.Requests, st.FamilyRequests, st.Predicted)
		}
		t.Logf("%s: requests by family %v", name, st.FamilyRequests)
		return st
	}
	if st := check("first sync", w.FreshRunner(8)); st.Result.Added == 0 {
		t.Error("first sync added nothing")
	}
	if st := check("no-op", w.Runner(8)); st.Writes != 0 {
		t.Errorf("no-op: %d writes", st.Writes)
	}
	// Behind each panel, a contract gets a new key and loses one it had.
	for i, uid := range firstPerPanel(w) {
		if err := w.Store.AddKey(bg, uid, bench.ExtraKey(i), nil); err != nil {
			t.Fatal(err)
		}
		if err := w.Store.DeleteKey(bg, uid, w.KeysOf(uid)[0]); err != nil {
			t.Fatal(err)
		}
	}
	if st := check("one each", w.Runner(8)); st.Result.Added != s.Panels || st.Result.Deleted != s.Panels {
		t.Errorf("one each: added %d keys and deleted %d, want %d each", st.Result.Added, st.Result.Deleted, s.Panels)
	}
}

// firstPerPanel returns a paying contract behind each panel, by panel index.
func firstPerPanel(w *bench.World) map[int]int64 {
	first := map[int]int64{}
	for _, uid := range w.Layout.Active {
		if _, ok := first[w.PanelOf(uid)]; !ok {
			first[w.PanelOf(uid)] = uid
		}
	}
	return first
}
