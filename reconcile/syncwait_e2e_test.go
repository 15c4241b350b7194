package reconcile_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// startScheduler runs a scheduler on r until the test ends.
func startScheduler(t *testing.T, r *reconcile.Runner, syncWait time.Duration) *reconcile.Scheduler {
	t.Helper()
	sched := reconcile.NewScheduler(r, time.Hour)
	sched.SyncWait = syncWait
	ctx, cancel := context.WithCancel(bg)
	stopped := make(chan struct{})
	go func() { _ = sched.Start(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })
	return sched
}

// A named revocation on two panels, one of which holds its writes: sync/
// with wait answers once SyncWait has passed, with the healthy panel's
// deletion done and the slow panel pending. The run goes on after the
// answer; its record is finished, ok, only once the slow panel is done.
func TestSyncWaitLeavesSlowPanelPending(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 2)
	w.contract(1001, "1", true, true, "0000000000C001", 0, 1)
	if res := w.run(reconcile.Request{}); res.Added != 2 {
		t.Fatalf("first run: got %+v", res.Summary)
	}
	runs := watchRuns(w)
	// Long panel timeouts: the held writes are released by the test, not
	// given up by the client. The SyncWait leaves the healthy panel's
	// session (a few local requests and statements) ample time.
	sched := startScheduler(t, w.instance("sync", &trace{}, func(string) {}), time.Second)
	healthy, slow := w.panels[0], w.panels[1]
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 1001`)
	_, _, free := holdRequests(w.fleet.Panel(1), func(r panelsim.Request) bool { return r.Write })
	defer free()

	sum, err := sched.Sync(bg, 1001, true)
	if err != nil || sum.Status != reconcile.StatusRunning || !slices.Equal(sum.Pending, []int{slow}) {
		t.Fatalf("sync/ with wait: got %+v %v, want running with panel %d pending (panel %d is healthy)", sum, err, slow, healthy)
	}
	if sum.Deleted != 1 || sum.FailedPanels != 0 || sum.Panels != 2 {
		t.Fatalf("counts so far: got %+v, want the healthy panel's one deletion of two panels, none failed", sum)
	}
	if k := w.keys(0); k != "" {
		t.Fatalf("the healthy panel still holds %q after the answer", k)
	}
	if k := w.keys(1); k != "0000000000C001=1 " {
		t.Fatalf("the slow panel holds %q, want the key it has not been allowed to delete yet", k)
	}
	if rec, err := w.db.Run(bg, sum.RunID); err != nil || rec.Status != "running" {
		t.Fatalf("run record at the answer: got %+v %v, want it still running", rec, err)
	}

	free()
	got := runs.next(t)
	if got.RunID != sum.RunID || got.Status != reconcile.StatusOK || got.Deleted != 2 || w.keys(1) != "" {
		t.Fatalf("the run after the answer: got %+v, slow panel %q; want run %d ok with both deletions", got, w.keys(1), sum.RunID)
	}
	if rec, err := w.db.Run(bg, sum.RunID); err != nil || rec.Status != reconcile.StatusOK || rec.Deleted != 2 {
		t.Fatalf("run record: got %+v %v, want ok with 2 deleted", rec, err)
	}
}

// The same when the slow panel is slow from its first request: the healthy
// panel is written as soon as it is read, not after every panel was read.
func TestSyncWaitSlowReadDoesNotHoldHealthyPanels(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 2)
	w.contract(1001, "1", true, true, "0000000000C001", 0, 1)
	if res := w.run(reconcile.Request{}); res.Added != 2 {
		t.Fatalf("first run: got %+v", res.Summary)
	}
	sched := startScheduler(t, w.instance("sync", &trace{}, func(string) {}), time.Second)
	slow := w.panels[1]
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 1001`)
	_, _, free := holdRequests(w.fleet.Panel(1), func(panelsim.Request) bool { return true })
	defer free()
	sum, err := sched.Sync(bg, 1001, true)
	if err != nil || sum.Status != reconcile.StatusRunning || !slices.Equal(sum.Pending, []int{slow}) || sum.Deleted != 1 {
		t.Fatalf("sync/ with wait: got %+v %v, want running, the healthy panel's deletion done, panel %d pending", sum, err, slow)
	}
	if k := w.keys(0); k != "" {
		t.Fatalf("the healthy panel still holds %q after the answer", k)
	}
}
