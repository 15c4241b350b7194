package bench_test

import (
	"testing"

	"yardsync/bench"
	"yardsync/reconcile"
)

// TestWorld checks the harness on a tiny world without latency: the fleet's
// traffic matches the request model the limit is computed from, a second
// run writes nothing and reads the billing once, and the baseline runs.
func TestWorld(t *testing.T) {
	w := bench.NewWorld(t, bench.DefaultScale(4), 0)
	if len(w.Layout.Active) == 0 {
		t.Fatal("no active contracts")
	}
	first, err := w.MeasureRun(bg, w.Runner(8), reconcile.Request{Trigger: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if first.Requests != first.Predicted || first.Writes == 0 || first.Result.Added == 0 {
		t.Errorf("first sync: %d requests (predicted %d), %d writes, %d added", first.Requests, first.Predicted, first.Writes, first.Result.Added)
	}
	noop, err := w.MeasureRun(bg, w.Runner(8), reconcile.Request{Trigger: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if noop.Writes != 0 || noop.Queries != 1 || noop.Requests != noop.Predicted {
		t.Errorf("no-op: %d writes, %d billing queries, %d requests (predicted %d)", noop.Writes, noop.Queries, noop.Requests, noop.Predicted)
	}
	if err := w.Reset(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Naive(bg); err != nil {
		t.Fatal(err)
	}
	for i := range w.Layout.Panels {
		if len(w.Sim(i).Keys()) == 0 {
			t.Errorf("naive left panel %d empty", i+1)
		}
	}
}

func TestLimit(t *testing.T) {
	l := bench.LimitOf([]int{10, 204, 2, 2}, 20e6, 2)
	if got, want := l.Serial().Milliseconds(), int64(4080); got != want {
		t.Errorf("serial %d ms, want %d", got, want)
	}
	if got, want := l.Parallel().Milliseconds(), int64(2180); got != want {
		t.Errorf("parallel %d ms, want %d", got, want)
	}
	if l.Bound() != l.Serial() {
		t.Errorf("bound %s, want the serial %s", l.Bound(), l.Serial())
	}
}
