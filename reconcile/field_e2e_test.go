package reconcile_test

import (
	"context"
	"fmt"
	"strconv"
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

// TestSokolClearAndMerge: a Sokol holding only yardsync's keys, with many
// revocations due, gets DELETE /key/store/clear and one merge instead of a
// delete per key; with a foreign key on it, deletes go one by one and the
// foreign key stays.
func TestSokolClearAndMerge(t *testing.T) {
	for _, foreign := range []bool{false, true} {
		t.Run(fmt.Sprintf("foreign=%v", foreign), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "sokol", 1)
			w.runner.Opts.MaxRevoke = 1
			p := w.fleet.Panel(0)
			if foreign {
				p.SetKeys([]reconcile.PanelKey{{Code: "0000000000FFFF", Flat: 9}})
			}
			for i := range 6 {
				w.contract(880+i, strconv.Itoa(i+1), true, true, fmt.Sprintf("0000000000B0%02X", i), 0)
			}
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 6 {
				t.Fatalf("first run: got %+v", res.Summary)
			}
			w.exec(`UPDATE contracts SET cams_paid = false WHERE uid >= 882`)
			p.ResetRequests()
			res := w.run(reconcile.Request{})
			if res.Status != reconcile.StatusOK || res.Deleted != 4 {
				t.Fatalf("got %+v (failed %v), want 4 deleted", res.Summary, res.Failed)
			}
			writes := 0
			for _, r := range p.Requests() {
				if r.Write {
					writes++
				}
			}
			want, keys := 2, "0000000000B000=1 0000000000B001=2 "
			if foreign {
				want, keys = 4, "0000000000B000=1 0000000000B001=2 0000000000FFFF=9 "
			}
			if writes != want || w.keys(0) != keys {
				t.Errorf("%d writes, panel %q; want %d writes, panel %q", writes, w.keys(0), want, keys)
			}
			noOpRuns(t, w, 2)
		})
	}
}
