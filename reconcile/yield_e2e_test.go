package reconcile_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestOlderRunLeavesNewerRunsCodes: a full run reads the billing and a
// panel, then a revocation (a run that started later, with newer billing)
// takes a debtor's key off that panel. When the full run comes to write the
// panel, its plan comes from the older billing: it must not put the
// debtor's key back, and still does the rest of its work there.
func TestOlderRunLeavesNewerRunsCodes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 2)
	w.contract(901, "1", true, true, "0000000000D901", 0, 1)
	w.contract(902, "2", true, true, "0000000000D902", 1)
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v", res.Summary)
	}
	if err := w.db.AddKey(bg, 901, "0000000000D903", nil); err != nil { // the full run has a write for each panel
		t.Fatal(err)
	}
	reading0, _, free0 := holdRequests(w.fleet.Panel(0), isList)
	defer free0()
	w.fleet.Panel(1).ResetRequests()
	full := start(w.instance("full", &trace{}, func(string) {}), reconcile.Request{Trigger: "cli"})
	await(t, reading0, "the full run reading panel 0")
	awaitList(t, w.fleet.Panel(1), "the full run reading panel 1")

	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 902`)
	res := w.run(reconcile.Request{Trigger: "api", UIDs: []int64{902}, Named: true})
	// The full run may have written panel 1 already (901's new key): it read
	// it once its plan was ready, and writes a panel as soon as it reads it.
	if k := w.keys(1); res.Status != reconcile.StatusOK || res.Deleted != 1 || k != "0000000000D901=1 " && k != "0000000000D901=1 0000000000D903=1 " {
		t.Fatalf("revocation: got %+v %v, panel 1 %q", res.Summary, res.Failed, w.keys(1))
	}
	free0()
	got := finished(t, full, "the full run")
	if k := w.keys(1); k != "0000000000D901=1 0000000000D903=1 " {
		t.Fatalf("after the older full run panel 1 holds %q, want 901's two keys and not 902's: it wrote from the billing the revocation had overtaken", k)
	}
	if got.Status != reconcile.StatusOK || w.keys(0) != "0000000000D901=1 0000000000D903=1 " {
		t.Fatalf("full run: got %+v, failed %v, panel 0 %q", got.Summary, got.Failed, w.keys(0))
	}
}

// TestOlderRunYieldsToNewerFullRun: a run of one contract reads its panels;
// a full run that started later (with newer billing: the contract stopped
// paying) revokes the contract's keys on one of them. The older run never
// puts the keys back: it wrote that panel under the lease it read it with,
// before the full run could take it, or, had it not, it would leave that
// panel to the newer run.
func TestOlderRunYieldsToNewerFullRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 2)
	w.contract(911, "1", true, true, "0000000000E911", 0, 1)
	for uid := 912; uid <= 915; uid++ { // so that revoking 911 stays under the guard's share
		w.contract(uid, "2", true, true, fmt.Sprintf("0000000000F%03d", uid), 1)
	}
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v", res.Summary)
	}
	if err := w.db.AddKey(bg, 911, "0000000000E913", nil); err != nil { // the older run adds it to both panels
		t.Fatal(err)
	}
	reading0, _, free0 := holdRequests(w.fleet.Panel(0), isList)
	defer free0()
	w.fleet.Panel(1).ResetRequests()
	older := start(w.instance("older", &trace{}, func(string) {}), reconcile.Request{Trigger: "api", UIDs: []int64{911}, Named: true})
	await(t, reading0, "the older run reading panel 0")
	awaitList(t, w.fleet.Panel(1), "the older run reading panel 1")

	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 911`)
	full := w.instance("full", &trace{}, func(string) {})
	// Panel 0 is the older run's: give it up soon (a run waits for a busy
	// panel at least one lease lifetime).
	full.Opts.LockWait, full.Opts.PanelTimeout, full.Opts.LeaseTTL = 300*time.Millisecond, time.Second, 1500*time.Millisecond
	res, err := full.Run(bg, reconcile.Request{Trigger: "cli"})
	rest := "0000000000F912=2 0000000000F913=2 0000000000F914=2 0000000000F915=2 "
	if err != nil || res.Failed[w.panels[0]] == "" || w.keys(1) != rest {
		t.Fatalf("newer full run: got %+v %v %v, panel 1 %q, want panel 1 emptied and panel 0 busy", res.Summary, res.Failed, err, w.keys(1))
	}
	free0()
	got := finished(t, older, "the older run")
	if k := w.keys(1); k != rest {
		t.Fatalf("after the older run panel 1 holds %q: it put back keys a newer full run revoked", k)
	}
	if got.Status != reconcile.StatusOK || got.Added != 2 {
		t.Fatalf("older run: got %+v, yielded %v, failed %v", got.Summary, got.Yielded, got.Failed)
	}
}

func isList(r panelsim.Request) bool { return r.Method == http.MethodGet && r.Path == "/key/store" }

// awaitList waits until p has been listed.
func awaitList(t *testing.T, p *panelsim.Panel, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !listed(p, isList) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func listed(p *panelsim.Panel, match func(panelsim.Request) bool) bool {
	for _, r := range p.Requests() {
		if match(r) {
			return true
		}
	}
	return false
}
