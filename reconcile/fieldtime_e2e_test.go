package reconcile_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// The promise under ordinary field time (issue "late and slow panels, lost
// answers, reboots, and a guard that measures the billing"): each test
// below reproduces a measurement of the main branch before the change.

// pilot is the measured pilot: 16 keys on 5 panels, the default guard
// (max_revoke 0.2, guard_min 10), every contract paid and on its panels.
func pilot(t *testing.T) *world {
	t.Helper()
	w := newWorld(t, panelsim.Sokol, 5)
	w.runner.Opts.MaxRevoke, w.runner.Opts.GuardMin = 0.2, reconcile.DefaultGuardMin
	for i := range 16 {
		w.contract(1001+i, fmt.Sprint(i+1), true, true, fmt.Sprintf("00000000001%03d", i), i%5)
	}
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 16 {
		t.Fatalf("first run: %+v %v", res.Summary, res.Failed)
	}
	return w
}

// One debtor found by the watch on a small site loses the door at once: its
// batch is measured against the contracts paid before it, and one contract
// is within guard_min.
func TestGuardLetsOneDebtorGo(t *testing.T) {
	t.Parallel()
	w := pilot(t)
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 1006`)
	res := w.run(reconcile.Request{Trigger: "watch", UIDs: []int64{1006}, MeasureFleet: true})
	if res.Status != reconcile.StatusOK || res.Guarded || res.Deleted != 1 || strings.Contains(w.keys(0), "00000000001005") {
		t.Fatalf("watch batch: got %+v, panel 0 %q: one debtor must go at once", res.Summary, w.keys(0))
	}
	if g := res.Plan.Guard; g == nil || g.Revoking != 1 || g.Before != 16 || g.Limit != 10 {
		t.Fatalf("guard reading %+v, want 1 of 16 contracts against a limit of 10", res.Plan.Guard)
	}
	// A full run is measured the same way.
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid IN (1007, 1008)`)
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Deleted != 2 {
		t.Fatalf("full run: got %+v", res.Summary)
	}
}

// A lost card deleted with keys_del, and the AXbills module's rights_del,
// are revocations named by their contract: never held, whatever share of a
// small panel they are.
func TestNamedRevocationsAreNeverHeld(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 3)
	w.runner.Opts.MaxRevoke, w.runner.Opts.GuardMin = 0.2, 0 // the strictest guard
	w.contract(5, "5", true, true, "0000000000CA05", 0, 2)
	w.contract(6, "6", true, true, "0000000000CA06", 0)
	w.contract(7, "7", true, true, "0000000000CA07", 0)
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v", res.Summary)
	}
	sched := reconcile.NewScheduler(w.runner, 20*time.Millisecond)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	go func() { _ = sched.Start(ctx) }()

	// keys_del of 6's lost card: 1 of 3 keys on the panel.
	if err := w.db.DeleteKey(bg, 6, "0000000000CA06"); err != nil {
		t.Fatal(err)
	}
	sched.Revoke(6)
	// rights_del {"uid":"5","device_id":"[1, 3]"}: 5 leaves both its panels.
	if err := w.db.DeleteRights(bg, 5, []int{w.panels[0], w.panels[2]}); err != nil {
		t.Fatal(err)
	}
	sched.Revoke(5)
	eventually(t, "the revoked keys gone from every panel", func() bool {
		return w.keys(0) == "0000000000CA07=7 " && w.keys(2) == ""
	})
	if n := w.count(`SELECT count(*) FROM yardsync_runs WHERE status = 'guarded'`); n != 0 {
		t.Fatalf("%d runs guarded", n)
	}
}

// A glitch is still held, with its numbers: an emptied snapshot in a full
// run, and a building flipped during a device edit's fan-out.
func TestGuardHoldsAGlitchWithItsNumbers(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 2)
	w.runner.Opts.MaxRevoke, w.runner.Opts.GuardMin = 0.2, reconcile.DefaultGuardMin
	for i := range 12 {
		w.contract(2001+i, fmt.Sprint(i+1), true, true, fmt.Sprintf("00000000002%03d", i), 0)
	}
	for i := range 12 {
		w.contract(3001+i, fmt.Sprint(i+1), true, true, fmt.Sprintf("00000000003%03d", i), 1)
	}
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v", res.Summary)
	}
	// The building of panel 0 flips to unpaid while its device is edited:
	// the fan-out batch names its 12 contracts.
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid < 3000`)
	var uids []int64
	for i := range 12 {
		uids = append(uids, int64(2001+i))
	}
	res := w.run(reconcile.Request{Trigger: "api", UIDs: uids})
	if res.Status != reconcile.StatusGuarded || res.Deleted != 0 || strings.Count(w.keys(0), "=") != 12 {
		t.Fatalf("fan-out: got %+v, panel 0 %q: want held", res.Summary, w.keys(0))
	}
	if got, want := res.Plan.Guard.String(), "would revoke 12 of 12 contracts (limit 10: max_revoke 20 %, guard_min 10)"; got != want {
		t.Fatalf("guard says %q, want %q", got, want)
	}
	// The whole billing emptied: a full run holds every deletion.
	w.exec(`DELETE FROM contracts`)
	res = w.run(reconcile.Request{})
	if res.Status != reconcile.StatusGuarded || res.Deleted != 0 || res.Plan.Guard.Revoking != 24 {
		t.Fatalf("emptied snapshot: got %+v guard %+v", res.Summary, res.Plan.Guard)
	}
	var report string
	w.scan(&report, `SELECT report->'guard'->>'revoking' FROM yardsync_runs WHERE id = $1`, res.RunID)
	if report != "24" {
		t.Fatalf("the run report says %q revoking, want 24", report)
	}
}

// A panel that takes longer to write than panel_timeout still applies the
// write after yardsync gave up. A key added so, and revoked a moment later,
// keeps its record until it may no longer land, and is gone from the panel
// after two quiet runs; two requests never reach the panel at once.
func TestSlowWriteNeverLeavesAnUnownedKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 1)
	w.runner.Opts.Settle = 0 // derived: (retries + 2) × panel_timeout
	w.runner.Opts.Retries = 0
	w.contract(4001, "4", true, true, "0000000000DD01", 0)
	p := w.fleet.Panel(0)
	var slow atomic.Bool
	slow.Store(true)
	p.SetHook(func(_ context.Context, r panelsim.Request) {
		if r.Write && slow.Load() {
			time.Sleep(3 * w.runner.Opts.PanelTimeout / 2) // the panel works on after the client gave up
		}
	})
	res := w.run(reconcile.Request{})
	if res.Status == reconcile.StatusOK {
		t.Fatalf("first run: %+v, want the slow write to fail the panel", res.Summary)
	}
	w.exec(`UPDATE contracts SET cams_paid = false`)
	res = w.run(reconcile.Request{Trigger: "api", UIDs: []int64{4001}, Named: true})
	// The delete is slow too: its answer never comes, so the run lists the
	// panel once the panel may be done with it. The record goes only with
	// the key seen gone after the add could land.
	if w.owns(0, "0000000000DD01") == 0 && strings.Contains(w.keys(0), "DD01") {
		t.Fatalf("named run %+v: the key is on the panel with its record dropped", res.Summary)
	}
	slow.Store(false)
	time.Sleep(w.settleOf()) // until the add can no longer land
	for range 2 {
		w.run(reconcile.Request{})
	}
	if got := w.keys(0); got != "" {
		t.Fatalf("after two quiet runs the panel holds %q: a debtor's key stayed", got)
	}
	if got := p.MaxInFlight(); got != 1 {
		t.Fatalf("the panel answered %d requests at once", got)
	}
}

// A panel that reboots empty in the middle of a session: the run is partial
// and names it, and the next run puts every payer's key back.
func TestRebootMidSessionIsSeen(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 1)
	for i := range 8 {
		w.contract(5001+i, fmt.Sprint(i+1), true, true, fmt.Sprintf("00000000005%03d", i), 0)
	}
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v", res.Summary)
	}
	w.contract(5100, "20", true, true, "0000000000510A", 0)
	p := w.fleet.Panel(0)
	var rebooted atomic.Bool
	p.SetHook(func(_ context.Context, r panelsim.Request) {
		if r.Write && !rebooted.Swap(true) {
			p.SetKeys(nil) // the panel rebooted and lost its table before the write
		}
	})
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusPartial || !strings.Contains(res.Failed[w.panels[0]], "missing") {
		t.Fatalf("got %+v failed %v: a run that left 8 payers off the panel must not say ok", res.Summary, res.Failed)
	}
	p.SetHook(nil)
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || strings.Count(w.keys(0), "=") != 9 {
		t.Fatalf("next run: got %+v, panel %q: want every payer back", res.Summary, w.keys(0))
	}
}

// A panel that reboots empty during a daemon's run gets its keys back at
// once: the scheduler queues a run of that panel, not one schedule later.
// A panel that loses them again in that run waits for the schedule.
func TestRebootedPanelIsRefilledAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 2)
	for i := range 6 {
		w.contract(5201+i, fmt.Sprint(i+1), true, true, fmt.Sprintf("00000000052%03d", i), 0, 1)
	}
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v", res.Summary)
	}
	sched := reconcile.NewScheduler(w.runner, time.Hour)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	go func() { _ = sched.Start(ctx) }()
	p := w.fleet.Panel(0)
	var rebooted atomic.Bool
	p.SetHook(func(_ context.Context, r panelsim.Request) {
		if r.Write && !rebooted.Swap(true) {
			p.SetKeys(nil) // the panel rebooted and lost its table before the write
		}
	})
	w.contract(5300, "20", true, true, "0000000000530A", 0)
	ans, err := sched.Sync(bg, 5300, true)
	if err != nil || ans.Status != reconcile.StatusPartial {
		t.Fatalf("named run: %+v %v, want partial: the panel lost its keys", ans, err)
	}
	eventually(t, "the rebooted panel refilled by a run of its own", func() bool {
		return strings.Count(w.keys(0), "=") == 7 &&
			w.count(`SELECT count(*) FROM yardsync_runs WHERE trigger = 'refill' AND status = 'ok'`) == 1
	})
}

// eventually waits for cond, failing after a generous deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *world) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	w.scan(&n, query, args...)
	return n
}

// scan reads one value from the store's database.
func (w *world) scan(dst any, query string, args ...any) {
	w.t.Helper()
	if err := w.db.Pool().QueryRow(bg, query, args...).Scan(dst); err != nil {
		w.t.Fatal(err)
	}
}

// settleOf is the settle time a runner with Settle 0 derives.
func (w *world) settleOf() time.Duration {
	return time.Duration(w.runner.Opts.Retries+2) * w.runner.Opts.PanelTimeout
}

// sokolOfPayers is one Sokol holding the keys of n paying contracts from
// uid first on (flats 1 to n), written by a first run; no guard.
func sokolOfPayers(t *testing.T, first, n int) *world {
	t.Helper()
	w := newWorld(t, panelsim.Sokol, 1)
	w.runner.Opts.MaxRevoke = 1
	for i := range n {
		w.contract(first+i, fmt.Sprint(i+1), true, true, fmt.Sprintf("0000000%07d", first+i), 0)
	}
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v", res.Summary)
	}
	return w
}

// A Sokol applies DELETE /key/store/clear and its answer is lost on every
// try: the merge of the whole list still follows, so no payer is locked out.
func TestLostClearAnswerKeepsPayers(t *testing.T) {
	t.Parallel()
	w := sokolOfPayers(t, 6001, 10)
	// Three contracts stop paying: a full run clears the store and pushes the 7 payers.
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid > 6007`)
	w.fleet.Panel(0).SetFaults(panelsim.Faults{LoseAnswer: panelsim.WriteClear})
	w.run(reconcile.Request{})
	if got := strings.Count(w.keys(0), "="); got != 7 {
		t.Fatalf("after the lost clear answer the panel holds %d keys (%q), want the 7 payers", got, w.keys(0))
	}
}

// A foreign line yardsync cannot parse is skipped; it never stops the
// revocation of yardsync's own keys on that panel.
func TestJunkLineDoesNotBlockRevocation(t *testing.T) {
	t.Parallel()
	for _, family := range []string{panelsim.Beward, panelsim.Sokol} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 1)
			w.contract(7001, "1", true, true, "0000000000A701", 0)
			w.contract(7002, "2", true, true, "0000000000A702", 0)
			w.fleet.Panel(0).SetFaults(panelsim.Faults{Junk: 1})
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
				t.Fatalf("first run: %+v %v", res.Summary, res.Failed)
			}
			w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 7002`)
			res := w.run(reconcile.Request{Trigger: "api", UIDs: []int64{7002}, Named: true})
			if res.Status != reconcile.StatusOK || w.keys(0) != "0000000000A701=1 " {
				t.Fatalf("got %+v %v, panel %q: the debtor's key must go despite the junk line", res.Summary, res.Failed, w.keys(0))
			}
		})
	}
}

// A panel acknowledges an add and applies it seconds later. A key added and
// revoked a moment apart (through the API, or a contract that pays and stops
// paying) must end off the panel, never unowned on it.
func TestLateApplyNeverLeavesADebtorsKey(t *testing.T) {
	t.Parallel()
	for _, family := range []string{panelsim.Beward, panelsim.Sokol} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 1)
			w.runner.Opts.Settle = 0 // derived from panel_timeout and retries
			late := 2 * w.runner.Opts.PanelTimeout
			w.fleet.Panel(0).SetFaults(panelsim.Faults{LateApply: late})
			w.contract(8001, "1", true, true, "0000000000B801", 0)
			w.run(reconcile.Request{Trigger: "api", UIDs: []int64{8001}, Named: true})
			w.exec(`UPDATE contracts SET cams_paid = false`)
			res := w.run(reconcile.Request{Trigger: "api", UIDs: []int64{8001}, Named: true})
			if w.owns(0, "0000000000B801") != 1 {
				t.Fatalf("got %+v: the record of a key whose add may still land was dropped", res.Summary)
			}
			if len(res.Recheck) != 1 || res.Recheck[0] != 8001 {
				t.Fatalf("recheck %v, want 8001 looked at again once its add cannot land", res.Recheck)
			}
			w.fleet.Panel(0).SetFaults(panelsim.Faults{})
			time.Sleep(res.RecheckAfter)
			eventually(t, "the queued writes applied", func() bool { return w.fleet.Panel(0).Pending() == 0 })
			for range 2 {
				w.run(reconcile.Request{Trigger: "api", UIDs: res.Recheck, Named: true})
			}
			if got := w.keys(0); got != "" {
				t.Fatalf("the debtor's key stayed: panel holds %q", got)
			}
			if w.owns(0, "0000000000B801") != 0 {
				t.Fatal("the record must go once the key is seen gone for good")
			}
		})
	}
}

// A write that outlasts panel_timeout: the panel works on after yardsync
// gave up. Neither the run's retry nor a second instance's run talks to the
// panel meanwhile.
func TestTimedOutWriteKeepsThePanelToItself(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 1)
	w.runner.Opts.Retries = 1
	w.contract(9001, "1", true, true, "0000000000C901", 0)
	w.contract(9002, "2", true, true, "0000000000C902", 0)
	p := w.fleet.Panel(0)
	p.SetFaults(panelsim.Faults{WriteDelay: 3 * w.runner.Opts.PanelTimeout / 2})
	first := start(w.runner, reconcile.Request{Trigger: "cli"})
	eventually(t, "the first write to time out", func() bool { return len(writes(p)) > 0 })
	second := w.instance("second", &trace{}, func(string) {})
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 9002`)
	res2, err := second.Run(bg, reconcile.Request{Trigger: "api", UIDs: []int64{9002}, Named: true})
	if err != nil {
		t.Fatal(err)
	}
	finished(t, first, "the first run")
	if got := p.MaxInFlight(); got != 1 {
		t.Fatalf("the panel answered %d requests at once (second run: %+v)", got, res2.Summary)
	}
}

// A named revocation never yields to a newer run that will not write its
// codes: a watch batch that started a moment later for the same contract,
// and was held by the guard, leaves the revocation to it.
func TestNamedRevocationDoesNotYieldToAHeldRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 1)
	w.runner.Opts.MaxRevoke, w.runner.Opts.GuardMin = 0.2, reconcile.DefaultGuardMin
	var batch []int64
	for i := range 12 {
		w.contract(1101+i, fmt.Sprint(i+1), true, true, fmt.Sprintf("00000000011%03d", i), 0)
		batch = append(batch, int64(1101+i))
	}
	w.contract(1200, "40", true, false, "0000000001200A", 0)
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v", res.Summary)
	}
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 1101`)
	reading, _, free := holdRequests(w.fleet.Panel(0), isList)
	defer free()
	named := start(w.instance("named", &trace{}, func(string) {}), reconcile.Request{Trigger: "api", UIDs: []int64{1101}, Named: true})
	await(t, reading, "the named revocation reading the panel")
	// The billing glitches: the whole building reads unpaid, and 1200 paid.
	w.exec(`UPDATE contracts SET cams_paid = (uid = 1200)`)
	watch := start(w.instance("watch", &trace{}, func(string) {}),
		reconcile.Request{Trigger: "watch", UIDs: append(batch, 1200), MeasureFleet: true})
	eventually(t, "the watch batch started", func() bool {
		return w.count(`SELECT count(*) FROM yardsync_runs WHERE status = 'running'`) == 2
	})
	free()
	got := finished(t, named, "the named revocation")
	held := finished(t, watch, "the watch batch")
	if held.Status != reconcile.StatusGuarded {
		t.Fatalf("watch batch: %+v, want held by the guard", held.Summary)
	}
	if strings.Contains(w.keys(0), "00000000011000") {
		t.Fatalf("named revocation %+v yielded %v: 1101's key is still on the panel: %q", got.Summary, got.Yielded, w.keys(0))
	}
}

// A Sokol clear that outlasts panel_timeout: the merge waits until the panel
// may be done with the clear (one request at a time), and the run's retry
// lists the store before it clears again, so a panel already right is never
// emptied by the retry. Every payer stays on the door.
func TestSlowSokolClearKeepsPayers(t *testing.T) {
	t.Parallel()
	w := sokolOfPayers(t, 6101, 10)
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid > 6107`)
	p := w.fleet.Panel(0)
	p.SetFaults(panelsim.Faults{WriteDelay: 3 * w.runner.Opts.PanelTimeout / 2})
	p.ResetRequests()
	w.run(reconcile.Request{})
	eventually(t, "the slow writes to land", func() bool { return p.Pending() == 0 && strings.Count(w.keys(0), "=") == 7 })
	if got := p.MaxInFlight(); got != 1 {
		t.Errorf("the panel answered %d requests at once", got)
	}
	clears := 0
	for _, r := range p.Requests() {
		if r.Path == "/key/store/clear" {
			clears++
		}
	}
	if clears != 1 {
		t.Errorf("%d clears sent: a retry must list the store before it clears again", clears)
	}
}

// A Sokol holding an entry yardsync cannot read (no uuid) is never cleared,
// even where a clear and one push would be cheaper: the clear would take
// another system's entry. The debtors' keys go one by one.
func TestSokolForeignEntryBlocksClear(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 1)
	w.runner.Opts.MaxRevoke = 1
	for i := range 6 {
		w.contract(6201+i, fmt.Sprint(i+1), true, true, fmt.Sprintf("00000000062%03d", i), 0)
	}
	p := w.fleet.Panel(0)
	p.SetFaults(panelsim.Faults{Junk: 1})
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v %v", res.Summary, res.Failed)
	}
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid > 6203`)
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusOK || res.Deleted != 3 || strings.Count(w.keys(0), "=") != 3 {
		t.Fatalf("got %+v %v, panel %q: the three debtors must go", res.Summary, res.Failed, w.keys(0))
	}
	if p.Faults().Junk != 1 {
		t.Fatal("the foreign entry was cleared with the store")
	}
}

// A delete whose answer is lost on every try, though the panel applied it:
// the key is listed gone, so it counts as deleted and the session goes on
// with the debtor's other keys and a payer's add, in the same run.
func TestLostDeleteAnswerKeepsTheSession(t *testing.T) {
	t.Parallel()
	for _, family := range []string{panelsim.Beward, panelsim.Sokol} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 1)
			w.runner.Opts.MaxRevoke = 1
			w.contract(6301, "1", true, true, "0000000000D301", 0)
			w.contract(6302, "2", true, true, "0000000000D302", 0)
			w.contract(6303, "3", true, true, "0000000000D303", 0)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
				t.Fatalf("first run: %+v", res.Summary)
			}
			w.exec(`UPDATE contracts SET cams_paid = false WHERE uid IN (6301, 6302)`)
			w.contract(6304, "4", true, true, "0000000000D304", 0)
			w.fleet.Panel(0).SetFaults(panelsim.Faults{LoseAnswer: panelsim.WriteDelete})
			res := w.run(reconcile.Request{})
			if got := w.keys(0); got != "0000000000D303=3 0000000000D304=4 " {
				t.Fatalf("got %+v %v, panel %q: both debtors gone and the payer added in one run", res.Summary, res.Failed, got)
			}
			if res.Status != reconcile.StatusOK || res.Deleted != 2 || res.Added != 1 {
				t.Fatalf("got %+v %v: deletes seen done must count", res.Summary, res.Failed)
			}
		})
	}
}
