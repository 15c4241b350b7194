package reconcile_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestUncertainWritesProperty: random interleavings of adds, deletes,
// payments, timeouts and late applies on one panel never end with a key on
// the panel that yardsync sent and no longer owns, nor with a debtor's key
// on the panel after two quiet runs.
func TestUncertainWritesProperty(t *testing.T) {
	t.Parallel()
	for seed := range uint64(8) {
		family := []string{panelsim.Sokol, panelsim.Beward}[seed%2]
		t.Run(fmt.Sprintf("seed%d-%s", seed, family), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(seed, 17))
			w := newWorld(t, family, 1)
			w.runner.Opts.PanelTimeout, w.runner.Opts.Retries, w.runner.Opts.Settle = 300*time.Millisecond, 1, 0
			w.runner.Opts.GuardMin = reconcile.DefaultGuardMin // three contracts: the guard never holds
			p := w.fleet.Panel(0)
			uids := []int{9101, 9102, 9103}
			codes := map[int]string{}
			for i, uid := range uids {
				codes[uid] = fmt.Sprintf("0000000000E%03d", i)
				w.contract(uid, fmt.Sprint(i+1), true, r.IntN(2) == 0, codes[uid], 0)
			}
			var steps []string
			for range 16 {
				uid := uids[r.IntN(len(uids))]
				switch n := r.IntN(20); {
				case n < 5:
					w.exec(`UPDATE contracts SET cams_paid = NOT cams_paid WHERE uid = $1`, uid)
					steps = append(steps, fmt.Sprintf("flip %d", uid))
				case n < 9:
					late := time.Duration(r.IntN(4)) * w.runner.Opts.PanelTimeout
					p.SetFaults(panelsim.Faults{LateApply: late})
					steps = append(steps, fmt.Sprintf("late %s", late))
				case n < 11:
					p.SetFaults(panelsim.Faults{WriteDelay: 3 * w.runner.Opts.PanelTimeout / 2})
					steps = append(steps, "slow")
				case n < 17:
					w.run(reconcile.Request{Trigger: "api", UIDs: []int64{int64(uid)}, Named: true})
					steps = append(steps, fmt.Sprintf("run %d", uid))
				default:
					w.run(reconcile.Request{})
					steps = append(steps, "full run")
				}
			}
			p.SetFaults(panelsim.Faults{})
			eventually(t, "the panel's queued writes applied", func() bool { return p.Pending() == 0 })
			time.Sleep(w.settleOf()) // every write yardsync gave up on has landed or never will
			for _, k := range p.Keys() {
				if w.owns(0, k.Code) == 0 {
					t.Fatalf("steps %v: %s is on the panel and owned by nobody", steps, k.Code)
				}
			}
			w.run(reconcile.Request{})
			w.run(reconcile.Request{})
			var paid []int32
			if err := w.billing.QueryRow(bg, `SELECT coalesce(array_agg(uid ORDER BY uid), '{}') FROM contracts WHERE cams_paid`).Scan(&paid); err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for _, uid := range uids {
				for _, pu := range paid {
					if int(pu) == uid {
						fmt.Fprintf(&want, "%s=%d ", codes[uid], uid-9100)
					}
				}
			}
			if got := w.keys(0); got != want.String() {
				t.Fatalf("steps %v: after two quiet runs the panel holds %q, want %q", steps, got, want.String())
			}
		})
	}
}
