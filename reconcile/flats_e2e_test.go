package reconcile_test

import (
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
			w.fleet.Panel(0).ResetRequests()
			res := w.run(reconcile.Request{})
			if res.Status != reconcile.StatusOK || res.Rebound != 0 || res.Added != 0 {
				t.Fatalf("second run: got %+v, want nothing to do", res.Summary)
			}
			for _, r := range w.fleet.Panel(0).Requests() {
				if r.Write {
					t.Fatalf("second run wrote %s?%s: the recorded flat must stand in for the unlisted one", r.Path, r.Query)
				}
			}
			w.exec(`UPDATE contracts SET cams_paid = false`)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Deleted != 1 || w.keys(0) != "" {
				t.Fatalf("revoked: got %+v, panel %q", res.Summary, w.keys(0))
			}
		})
	}
}
