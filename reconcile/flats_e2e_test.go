package reconcile_test

import (
	"fmt"
	"strconv"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestUnlistedFlatsEndToEnd: a Beward whose firmware lists keys without
// Apartment<n> lines. The flat yardsync recorded when it pushed a key stands
// in for the panel's answer, so the key is not rebound on every run.
func TestUnlistedFlatsEndToEnd(t *testing.T) {
	for _, family := range []string{"beward", "beward-mifare"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 1)
			w.runner.Opts.MaxRevoke = 1
			w.fleet.Panel(0).SetFaults(panelsim.Faults{HideFlats: true})
			w.contract(951, "12", true, true, "0000000000AE01", 0)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 1 {
				t.Fatalf("first run: got %+v (failed %v), want one key added and seen", res.Summary, res.Failed)
			}
			noOpRuns(t, w, 2)
			w.exec(`UPDATE contracts SET cams_paid = false`)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Deleted != 1 || w.keys(0) != "" {
				t.Fatalf("revoked: got %+v, panel %q", res.Summary, w.keys(0))
			}
		})
	}
}

// TestFlatlessForeignKeys: keys another system left on a Beward that lists
// no flats are bound once (their flat is unknown, so not exactly what
// yardsync wants); then two no-op runs in a row make zero panel writes.
func TestFlatlessForeignKeys(t *testing.T) {
	for _, family := range []string{"beward", "beward-mifare"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 1)
			p := w.fleet.Panel(0)
			p.SetFaults(panelsim.Faults{HideFlats: true})
			var keys []reconcile.PanelKey
			for i := range 4 {
				code := fmt.Sprintf("00000000AE02%02X", i)
				keys = append(keys, reconcile.PanelKey{Code: code})
				w.contract(960+i, strconv.Itoa(20+i), true, true, code, 0)
			}
			p.SetKeys(keys)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Rebound != 4 {
				t.Fatalf("first run: got %+v (failed %v), want the 4 keys bound", res.Summary, res.Failed)
			}
			noOpRuns(t, w, 2)
		})
	}
}

// noOpRuns runs n times with nothing to do and fails on any panel write.
func noOpRuns(t *testing.T, w *world, n int) {
	t.Helper()
	for i := range n {
		w.fleet.Panel(0).ResetRequests()
		res := w.run(reconcile.Request{})
		if res.Status != reconcile.StatusOK || res.Rebound+res.Added+res.Deleted != 0 {
			t.Fatalf("no-op run %d: got %+v, want nothing to do", i+1, res.Summary)
		}
		for _, r := range w.fleet.Panel(0).Requests() {
			if r.Write {
				t.Fatalf("no-op run %d wrote %s?%s", i+1, r.Path, r.Query)
			}
		}
	}
}
