package reconcile_test

import (
	"context"
	"errors"
	"testing"

	"yardsync/reconcile"
)

// A replaced panel comes back empty: a run of that panel alone refills it,
// and asks nothing of the others.
func TestOnePanelRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 3)
	w.contract(501, "5", true, true, "0000000000AB01", 0, 1, 2)
	w.contract(502, "6", true, true, "0000000000AB02", 1)
	w.run(reconcile.Request{})
	w.fleet.Panel(1).SetKeys(nil) // the new panel on the wall
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 501`)
	for i := range 3 {
		w.fleet.Panel(i).ResetRequests()
	}
	res := w.run(reconcile.Request{Panel: w.panels[1]})
	if res.Status != reconcile.StatusOK || res.Panels != 1 || res.Added != 1 || w.keys(1) != "0000000000AB02=6 " {
		t.Fatalf("got %+v, panel 1 %q; want only 502's key back", res.Summary, w.keys(1))
	}
	for _, i := range []int{0, 2} {
		if n := len(w.fleet.Panel(i).Requests()); n != 0 || w.keys(i) != "0000000000AB01=5 " {
			t.Fatalf("panel %d: %d requests, keys %q; a one-panel run leaves it alone", i, n, w.keys(i))
		}
	}
	t.Run("ErrNotAPanel", func(t *testing.T) {
		res := w.run(reconcile.Request{Panel: 99999})
		if res.Status != reconcile.StatusFailed || res.Error == "" {
			t.Fatalf("got %+v, want a failed run naming the device", res)
		}
	})
	t.Run("Scheduler", func(t *testing.T) {
		sched := reconcile.NewScheduler(w.runner, 0)
		ctx, cancel := context.WithCancel(bg)
		defer cancel()
		go func() { _ = sched.Start(ctx) }()
		w.exec(`UPDATE contracts SET cams_paid = true WHERE uid = 501`)
		w.fleet.Panel(0).SetKeys(nil)
		sum, err := sched.SyncPanel(ctx, w.panels[0], true)
		if err != nil || sum.Status != reconcile.StatusOK || sum.Added != 1 || w.keys(0) != "0000000000AB01=5 " {
			t.Fatalf("got %+v, %v, panel 0 %q", sum, err, w.keys(0))
		}
		if _, err := sched.SyncPanel(ctx, 0, false); !errors.Is(err, reconcile.ErrInvalid) {
			t.Fatalf("device 0: got %v", err)
		}
	})
}
