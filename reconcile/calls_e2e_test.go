package reconcile_test

import (
	"fmt"
	"strings"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// callFamilies are the families (and the Akuvox model) that can block calls.
var callFamilies = []string{"beward", "sokol", "qtech", "rubetek", "akuvox-s532"}

// TestEndToEndCalls takes flats of each family that can block calls
// through paying, not paying and paying again with reconcile.block_calls,
// against real PostgreSQL and the family's emulator over HTTP: a debtor's
// flat goes off and comes back to exactly what yardsync found; a flat the
// operator had turned off by hand stays off; a flat with a paid and an
// unpaid contract, a contract in state 0 and a flat without a contract are
// never touched.
func TestEndToEndCalls(t *testing.T) {
	for _, family := range callFamilies {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			testCallsLifecycle(t, newCallsWorld(t, family, true))
		})
	}
}

// TestEndToEndCallsDisabled runs the same contracts without block_calls:
// no flat's calls are read or written.
func TestEndToEndCallsDisabled(t *testing.T) {
	for _, family := range callFamilies {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newCallsWorld(t, family, false)
			before := w.flatCalls()
			w.run(reconcile.Request{})
			w.exec(`UPDATE contracts SET cams_paid = false WHERE uid IN (301, 303)`)
			if res := w.run(reconcile.Request{}); res.CallsOff != 0 || res.Deleted != 3 {
				t.Fatalf("stop paying: got %+v calls off %d", res.Summary, res.CallsOff)
			}
			w.exec(`UPDATE contracts SET cams_paid = true WHERE uid IN (301, 303)`)
			w.run(reconcile.Request{})
			if got := w.flatCalls(); got != before {
				t.Fatalf("flats changed without block_calls:\n got %s\nwant %s", got, before)
			}
			for _, r := range w.fleet.Panel(0).Requests() {
				if callRequest(r) {
					t.Fatalf("a call setting was touched without block_calls: %s %s %s", r.Method, r.Path, r.Body)
				}
			}
		})
	}
}

// callsFlats are the flats of the lifecycle on panel 0.
var callsFlats = []int{12, 16, 18, 20, 22}

// newCallsWorld is a world of two panels of family with these contracts on
// panel 0: 301 flat 12 (paid), 303 flat 16 (paid; the operator turned the
// flat's calls off by hand), 304 and 305 flat 18 (one paid, one not), 306
// flat 20 (state 0), and flat 22 with no contract.
func newCallsWorld(t *testing.T, family string, block bool) *world {
	w := newWorld(t, family, 2)
	w.runner.Opts.BlockCalls = block
	w.runner.Opts.GuardMin = 10 // a few debtors are never held; TestCallsGuard holds them
	w.contract(301, "12", true, true, "0000000000CC01", 0, 1)
	w.contract(303, "16", true, true, "0000000000CC03", 0)
	w.contract(304, "18", true, true, "0000000000CC04", 0)
	w.contract(305, "18", true, false, "0000000000CC05", 0)
	w.contract(306, "20", false, false, "0000000000CC06", 0)
	p := w.fleet.Panel(0)
	p.SetFlatCalls(12, panelsim.FlatCalls{Handset: true, SIP: false}) // as found: handset on only
	p.SetFlatCalls(16, panelsim.FlatCalls{})                          // off by hand
	for _, flat := range []int{18, 20, 22} {
		p.SetFlatCalls(flat, panelsim.FlatCalls{Handset: true, SIP: family != "qtech"})
	}
	w.fleet.Panel(1).SetFlatCalls(12, panelsim.FlatCalls{Handset: true, SIP: family != "qtech"})
	return w
}

// flatCalls renders panel 0's flats of the lifecycle and panel 1's flat 12.
func (w *world) flatCalls() string {
	var b strings.Builder
	for _, flat := range callsFlats {
		c, _ := w.fleet.Panel(0).FlatCalls(flat)
		fmt.Fprintf(&b, "%d:%s ", flat, callsText(c))
	}
	c, _ := w.fleet.Panel(1).FlatCalls(12)
	fmt.Fprintf(&b, "p1/12:%s", callsText(c))
	return b.String()
}

func callRequest(r panelsim.Request) bool {
	return strings.Contains(r.Path, "apartment") || strings.HasPrefix(r.Path, "/panelCode") || strings.Contains(r.Body, "dialreplace") ||
		strings.Contains(r.Query, "FLATx") || strings.Contains(r.Body, `"action":"set"`) // S532: the FLAT user
}

func testCallsLifecycle(t *testing.T, w *world) {
	before := w.flatCalls()
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusOK || res.CallsOff+res.CallsOn != 0 || w.flatCalls() != before {
		t.Fatalf("first run: got %+v calls %d/%d, flats %s", res.Summary, res.CallsOff, res.CallsOn, w.flatCalls())
	}
	p0, p1 := w.fleet.Panel(0), w.fleet.Panel(1)
	t.Run("StopsPaying", func(t *testing.T) {
		w.exec(`UPDATE contracts SET cams_paid = false WHERE uid IN (301, 303)`)
		res := w.run(reconcile.Request{})
		// Flat 12 on both panels goes off; flat 16 was off already: recorded, not written.
		if res.Status != reconcile.StatusOK || res.CallsOff != 2 || res.Deleted != 3 {
			t.Fatalf("got %+v calls off %d failed %v", res.Summary, res.CallsOff, res.Failed)
		}
		if g := res.Plan.Guard; g == nil || g.CallsOff != 3 || g.Revoking != 2 {
			t.Fatalf("guard: got %+v, want 3 flats of 2 contracts counted", g)
		}
		for _, p := range []*panelsim.Panel{p0, p1} {
			if c, _ := p.FlatCalls(12); c.Handset || c.SIP {
				t.Fatalf("flat 12 must be off: %+v", c)
			}
		}
		if c, _ := p0.FlatCalls(16); c.Handset || c.SIP {
			t.Fatalf("flat 16 must stay off: %+v", c)
		}
		if got, want := w.untouched(), untouchedOf(before); got != want {
			t.Fatalf("flats yardsync must leave alone changed:\n got %s\nwant %s", got, want)
		}
		log, err := w.db.Changes(bg, reconcile.ChangeFilter{UID: 301})
		if err != nil {
			t.Fatal(err)
		}
		offs := 0
		for _, c := range log {
			if c.Op == reconcile.OpCallsOff && c.Flat == 12 && c.Result == reconcile.ResultOK {
				offs++
			}
		}
		if offs != 2 {
			t.Fatalf("change log: want calls_off of flat 12 on two panels, got %+v", log)
		}
		on, off := true, false
		w.explainCalls(301, reconcile.CallsOff, &on)
		w.explainCalls(303, reconcile.CallsOffHand, &off)
		w.explainCalls(304, reconcile.CallsOn, nil)
	})
	t.Run("TargetedRunOfTheUnpaidOne", func(t *testing.T) {
		// 305 is unpaid on flat 18 but 304 pays there: a run of 305 reads
		// the flat's other contracts first, and turns nothing off.
		if res := w.run(namedRun(305)); res.CallsOff != 0 || w.untouched() != untouchedOf(before) {
			t.Fatalf("got %+v calls off %d, flats %s", res.Summary, res.CallsOff, w.untouched())
		}
		w.explainCalls(305, reconcile.CallsOn, nil)
	})
	t.Run("NothingMore", func(t *testing.T) {
		p0.ResetRequests()
		res := w.run(reconcile.Request{})
		if res.CallsOff+res.CallsOn+res.Added+res.Deleted != 0 {
			t.Fatalf("a second run must change nothing: %+v calls %d/%d", res.Summary, res.CallsOff, res.CallsOn)
		}
		for _, r := range p0.Requests() {
			if callRequest(r) {
				t.Fatalf("a settled flat was read or written again: %s %s", r.Path, r.Body)
			}
		}
	})
	t.Run("PaysAgain", func(t *testing.T) {
		w.exec(`UPDATE contracts SET cams_paid = true WHERE uid IN (301, 303)`)
		res := w.run(namedRun(301, 303))
		if res.Status != reconcile.StatusOK || res.CallsOn != 2 {
			t.Fatalf("got %+v calls on %d failed %v", res.Summary, res.CallsOn, res.Failed)
		}
		if got := w.flatCalls(); got != before {
			t.Fatalf("flats must be back as found (16 off, as the operator left it):\n got %s\nwant %s", got, before)
		}
		recs, err := w.db.CallRecords(bg, w.panels)
		if err != nil || len(recs) != 0 {
			t.Fatalf("call records must be gone: %v %v", recs, err)
		}
		w.explainCalls(301, reconcile.CallsOn, nil)
	})
}

// explainCalls checks what explain says of uid's flat's calls on panel 0,
// and, when handset is set, that it names what was found, handset on or off.
func (w *world) explainCalls(uid int64, state string, handset *bool) {
	w.t.Helper()
	ex, err := w.runner.Explain(bg, uid, w.db)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, p := range ex.Panels {
		if p.DeviceID != w.panels[0] {
			continue
		}
		if p.Calls == nil || p.Calls.State != state || (p.Calls.Found != nil) != (handset != nil) || p.Calls.Reason == "" {
			w.t.Fatalf("explain %d: calls %+v, want state %s (found named: %t)", uid, p.Calls, state, handset != nil)
		}
		if handset != nil && p.Calls.Found.Handset != *handset {
			w.t.Fatalf("explain %d: found %+v, want handset %t as yardsync found it", uid, *p.Calls.Found, *handset)
		}
		return
	}
	w.t.Fatalf("explain %d names no panel %d: %+v", uid, w.panels[0], ex.Panels)
}

// untouched renders the flats yardsync must leave alone: 18 (a paid and an
// unpaid contract), 20 (state 0), 22 (no contract).
func (w *world) untouched() string {
	var b strings.Builder
	for _, flat := range []int{18, 20, 22} {
		c, _ := w.fleet.Panel(0).FlatCalls(flat)
		fmt.Fprintf(&b, "%d:%s ", flat, callsText(c))
	}
	return b.String()
}

func callsText(c panelsim.FlatCalls) string {
	return fmt.Sprintf("handset=%t,sip=%t,raw=%s", c.Handset, c.SIP, c.Raw)
}

// untouchedOf cuts the untouched flats out of a flatCalls rendering.
func untouchedOf(all string) string {
	var b strings.Builder
	for _, part := range strings.Split(all, " ") {
		for _, flat := range []string{"18:", "20:", "22:"} {
			if strings.HasPrefix(part, flat) {
				b.WriteString(part + " ")
			}
		}
	}
	return b.String()
}

// TestCallsGuard: block_calls switched on over many contracts that never
// paid is a mass revocation: the guard counts the flats it would turn off
// and holds them (keys and calls alike) until a forced run.
func TestCallsGuard(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 1)
	w.runner.Opts.GuardMin = 2
	w.contract(401, "1", true, true, "0000000000DD01", 0)
	for uid := 402; uid <= 405; uid++ {
		w.contract(uid, fmt.Sprint(uid-400), true, false, fmt.Sprintf("0000000000DD%02d", uid-400), 0)
	}
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 1 {
		t.Fatalf("first run without block_calls: %+v", res.Summary)
	}
	w.runner.Opts.BlockCalls = true
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusGuarded || res.CallsOff != 0 {
		t.Fatalf("got %+v calls off %d, want the run held", res.Summary, res.CallsOff)
	}
	if g := res.Plan.Guard; g.CallsOff != 4 || g.Revoking != 4 || !g.Held {
		t.Fatalf("guard %+v: want 4 flats of 4 contracts held", g)
	}
	if len(res.Plan.Panels) != 1 || len(res.Plan.Panels[0].CallsHeld) != 4 {
		t.Fatalf("plan: want the 4 flats held, got %+v", res.Plan.Panels)
	}
	for flat := 2; flat <= 5; flat++ {
		if c, _ := w.fleet.Panel(0).FlatCalls(flat); !c.Handset || !c.SIP {
			t.Fatalf("flat %d turned off by a held run: %+v", flat, c)
		}
	}
	res = w.run(reconcile.Request{Force: true})
	if res.Status != reconcile.StatusOK || res.CallsOff != 4 {
		t.Fatalf("forced: got %+v calls off %d", res.Summary, res.CallsOff)
	}
	if c, _ := w.fleet.Panel(0).FlatCalls(1); !c.Handset || !c.SIP {
		t.Fatalf("the payer's flat must stay on: %+v", c)
	}
}

// noCallsPanel is a panel client of a model that cannot switch calls.
type noCallsPanel struct{ reconcile.Panel }

// TestCallsModelWithoutSwitch: a panel whose model cannot turn calls off
// keeps its flats as they are, and that makes no run partial and the panel
// not failing.
func TestCallsModelWithoutSwitch(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "beward", 1)
	w.runner.Opts.BlockCalls, w.runner.Opts.GuardMin = true, 10
	dial := w.runner.Dial
	w.runner.Dial = func(d reconcile.PanelDevice) (reconcile.Panel, error) {
		p, err := dial(d)
		return noCallsPanel{p}, err
	}
	w.contract(501, "7", true, false, "0000000000EE01", 0)
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusOK || res.CallsOff != 0 || len(res.Failed) != 0 {
		t.Fatalf("got %+v calls off %d failed %v", res.Summary, res.CallsOff, res.Failed)
	}
	if c, _ := w.fleet.Panel(0).FlatCalls(7); !c.Handset || !c.SIP {
		t.Fatalf("flat 7 changed on a model without the switch: %+v", c)
	}
	if reconcile.CanSwitchCalls(noCallsPanel{}) {
		t.Fatal("a client without Calls said it can switch calls")
	}
}

// TestCallsReadBack: a panel that acknowledges a call write and keeps
// nothing fails the session (the run is partial); the record keeps what was
// found, and the next run, once the panel keeps writes, turns the flat off
// with it and later restores exactly that.
func TestCallsReadBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 1)
	w.runner.Opts.BlockCalls, w.runner.Opts.GuardMin = true, 10
	p := w.fleet.Panel(0)
	p.SetFlatCalls(9, panelsim.FlatCalls{Handset: false, SIP: true})
	w.contract(601, "9", true, false, "0000000000FF01", 0)
	p.SetFaults(panelsim.Faults{DropCalls: true})
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusPartial || res.CallsOff != 0 || !strings.Contains(res.Failed[w.panels[0]], "calls of flat 9") {
		t.Fatalf("got %+v calls off %d failed %v", res.Summary, res.CallsOff, res.Failed)
	}
	log, err := w.db.Changes(bg, reconcile.ChangeFilter{UID: 601})
	if err != nil || len(log) == 0 || log[0].Op != reconcile.OpCallsOff || log[0].Result != reconcile.ResultFailed {
		t.Fatalf("change log: %+v %v, want a failed calls_off", log, err)
	}
	p.SetFaults(panelsim.Faults{})
	p.SetFlatCalls(9, panelsim.FlatCalls{}) // as if the dropped write had landed late: found must not become "off"
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.CallsOff != 1 {
		t.Fatalf("second run: %+v calls off %d failed %v", res.Summary, res.CallsOff, res.Failed)
	}
	w.exec(`UPDATE contracts SET cams_paid = true WHERE uid = 601`)
	if res := w.run(reconcile.Request{}); res.CallsOn != 1 {
		t.Fatalf("pays: %+v calls on %d failed %v", res.Summary, res.CallsOn, res.Failed)
	}
	if c, _ := p.FlatCalls(9); c.Handset || !c.SIP {
		t.Fatalf("flat 9 must be back as first found (handset off, SIP on): %+v", c)
	}
}

// TestCallsNamedRuns: runs of one contract (sync/ with its uid, as the
// billing's module makes) turn a flat off only once they have read every
// contract of the flat: a flat with another payer stays on; the last payer
// to stop turns it off; the first to pay again turns it back.
func TestCallsNamedRuns(t *testing.T) {
	for _, family := range []string{"beward", "sokol"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 1)
			w.runner.Opts.BlockCalls = true
			w.contract(701, "5", true, true, "0000000000AB01", 0)
			w.contract(702, "5", true, true, "0000000000AB02", 0)
			w.contract(703, "6", true, true, "0000000000AB03", 0)
			w.run(reconcile.Request{})
			p := w.fleet.Panel(0)
			on := func(flat int) bool { c, _ := p.FlatCalls(flat); return c.Handset || c.SIP }
			step := func(sql string, uid int64, off, back int, flat5, flat6 bool) {
				t.Helper()
				w.exec(sql)
				res := w.run(namedRun(uid))
				if res.Status != reconcile.StatusOK || res.CallsOff != off || res.CallsOn != back || on(5) != flat5 || on(6) != flat6 {
					t.Fatalf("after %q: got %+v calls %d/%d, flat 5 on %t, flat 6 on %t", sql, res.Summary, res.CallsOff, res.CallsOn, on(5), on(6))
				}
			}
			step(`UPDATE contracts SET cams_paid = false WHERE uid = 703`, 703, 1, 0, true, false)
			step(`UPDATE contracts SET cams_paid = false WHERE uid = 701`, 701, 0, 0, true, false)
			step(`UPDATE contracts SET cams_paid = false WHERE uid = 702`, 702, 1, 0, false, false)
			step(`UPDATE contracts SET cams_paid = true WHERE uid = 701`, 701, 0, 1, true, false)
			step(`UPDATE contracts SET cams_paid = true WHERE uid = 703`, 703, 0, 1, true, true)
		})
	}
}
