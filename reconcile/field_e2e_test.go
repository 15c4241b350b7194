package reconcile_test

import (
	"context"
	"sync/atomic"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestSaveAfterCutShortSession: a Beward session that deleted a key, then
// lost the panel in a later write, still sends forcesave, or the delete is
// undone at the panel's next reboot (and its record, seen gone on the next
// run, would be forgotten while the key comes back). Failed before issue 13:
// a session cut short sent no forcesave.
func TestSaveAfterCutShortSession(t *testing.T) {
	for _, family := range []string{"beward", "beward-mifare"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 1)
			w.runner.Opts.MaxRevoke = 1
			w.contract(871, "1", true, true, "0000000000AF11", 0)
			w.contract(872, "2", true, true, "0000000000AF12", 0)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 2 {
				t.Fatalf("first run: got %+v", res.Summary)
			}
			w.exec(`UPDATE contracts SET cams_paid = false`)
			p := w.fleet.Panel(0)
			saves := p.Saves()
			var deletes atomic.Int32
			p.SetHook(func(ctx context.Context, r panelsim.Request) {
				if r.Write && deletes.Add(1) > 1 { // the first key's delete goes through; the next hangs
					<-ctx.Done()
				}
			})
			res := w.run(reconcile.Request{})
			p.SetHook(nil)
			if res.Status != reconcile.StatusPartial {
				t.Fatalf("got %+v: want partial, the panel stopped answering", res.Summary)
			}
			if p.Saves() != saves+1 {
				t.Fatalf("saves %d, want %d: the delete that went through must be saved", p.Saves(), saves+1)
			}
		})
	}
}
