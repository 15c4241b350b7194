package reconcile_test

import (
	"testing"
	"time"

	"yardsync/reconcile"
)

// TestListedFormsEndToEnd: a key another system wrote in lower case and
// unpadded (0a1b2c3d4e) is the same key as yardsync's 00000A1B2C3D4E. It is
// adopted, not added again; a revocation deletes it as the panel lists it;
// a rebind replaces the other form.
func TestListedFormsEndToEnd(t *testing.T) {
	const raw, code = "0a1b2c3d4e", "00000A1B2C3D4E"
	for _, family := range []string{"beward", "beward-mifare", "sokol"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 2)
			w.runner.Opts.MaxRevoke = 1
			w.fleet.Panel(0).SetKeys([]reconcile.PanelKey{{Code: raw, Flat: 5}})
			w.fleet.Panel(1).SetKeys([]reconcile.PanelKey{{Code: raw, Flat: 6}})
			w.contract(901, "5", true, true, code, 0, 1)
			res := w.run(reconcile.Request{})
			if res.Status != reconcile.StatusOK || res.Added != 0 || res.Rebound != 1 {
				t.Fatalf("got %+v (failed %v), want ok, nothing added, one rebind", res.Summary, res.Failed)
			}
			if got := w.keys(0); got != raw+"=5 " {
				t.Fatalf("panel 0 holds %q: the key on its flat must be adopted as it is", got)
			}
			if got := w.keys(1); got != code+"=5 " {
				t.Fatalf("panel 1 holds %q: the rebind must replace the other form", got)
			}
			if w.owns(0, code) != 1 || w.owns(1, code) != 1 {
				t.Fatal("both keys must be owned now, by their normalised code")
			}
			w.exec(`UPDATE contracts SET cams_paid = false`)
			res = w.run(reconcile.Request{})
			if res.Status != reconcile.StatusOK || res.Deleted != 2 || w.keys(0) != "" || w.keys(1) != "" {
				t.Fatalf("revoked: got %+v, panels %q %q", res.Summary, w.keys(0), w.keys(1))
			}
			// The rebind was sent a moment ago: its records stay until it can
			// no longer land, and go at the first run after that.
			time.Sleep(w.settle())
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || w.owns(0, code)+w.owns(1, code) != 0 {
				t.Fatalf("got %+v: the records must go with the keys once the writes settled", res.Summary)
			}
		})
	}
}
