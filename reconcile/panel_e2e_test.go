package reconcile_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestFullTableRevokes is finding 4 of issue 10: on a panel whose key table
// is full, a revocation still happens. Deletes go first, making room for the
// adds, and an add the panel refuses never stops that panel's deletes.
func TestFullTableRevokes(t *testing.T) {
	cases := []struct {
		family    string
		wantAdded int // Beward adds key by key; a Sokol merge that does not fit is refused whole
	}{
		{"beward", 1},
		{"beward-mifare", 1},
		{"sokol", 0},
	}
	for _, tc := range cases {
		t.Run(tc.family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, tc.family, 1)
			w.runner.Opts.MaxRevoke = 1 // one contract of one is a revocation, not a glitch
			w.fleet.Panel(0).SetCapacity(2)
			w.fleet.Panel(0).SetKeys([]reconcile.PanelKey{{Code: "0000000000FFFF", Flat: 9}}) // not yardsync's
			w.contract(601, "1", true, true, "0000000000AB01", 0)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 1 {
				t.Fatalf("first run: got %+v, want one key added (the table is now full)", res.Summary)
			}

			t.Run("DeletesMakeRoom", func(t *testing.T) {
				w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 601`)
				w.contract(602, "2", true, true, "0000000000AB02", 0)
				res := w.run(reconcile.Request{})
				if res.Status != reconcile.StatusOK || res.Deleted != 1 || res.Added != 1 {
					t.Fatalf("got %+v, want ok with one delete and one add", res.Summary)
				}
				if got := w.keys(0); got != "0000000000AB02=2 0000000000FFFF=9 " {
					t.Fatalf("panel holds %q", got)
				}
			})
			t.Run("RefusedAddKeepsDeletes", func(t *testing.T) {
				w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 602`)
				w.contract(603, "3", true, true, "0000000000AB03", 0)
				w.contract(604, "4", true, true, "0000000000AB04", 0)
				res := w.run(reconcile.Request{})
				if res.Status != reconcile.StatusPartial || res.FailedPanels != 1 || res.Deleted != 1 || res.Added != tc.wantAdded {
					t.Fatalf("got %+v (failed %v), want partial, 1 deleted, %d added", res.Summary, res.Failed, tc.wantAdded)
				}
				if got := w.keys(0); strings.Contains(got, "0000000000AB02") || !strings.Contains(got, "0000000000FFFF=9") {
					t.Fatalf("panel holds %q: want the revoked key gone and the foreign key kept", got)
				}
				owned, err := w.db.OwnedKeys(bg)
				if err != nil {
					t.Fatal(err)
				}
				if slices.ContainsFunc(owned, func(k reconcile.OwnedKey) bool { return k.UID == 602 }) {
					t.Fatalf("owned %v: the revoked key's record must go once it is seen gone", owned)
				}
			})
		})
	}
}

// TestUnkeptWrites is finding 3 of issue 10: a panel that acknowledges
// writes but keeps nothing. A write counts only when the read-back after the
// session shows it; the panel fails and the run is partial; the records the
// run wrote before the push stay, and a record goes only once its key is
// seen gone, so the next run repairs.
func TestUnkeptWrites(t *testing.T) {
	for _, family := range []string{"beward", "beward-mifare", "sokol"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 1)
			w.runner.Opts.MaxRevoke = 1
			w.contract(701, "7", true, true, "0000000000AC01", 0)
			t.Run("AddNotKept", func(t *testing.T) {
				w.fleet.Panel(0).SetFaults(panelsim.Faults{DropAdds: true})
				res := w.run(reconcile.Request{})
				if res.Status != reconcile.StatusPartial || res.FailedPanels != 1 || res.Added != 0 {
					t.Fatalf("got %+v, want partial with nothing added", res.Summary)
				}
				if !strings.Contains(res.Failed[w.panels[0]], "0000000000AC01") {
					t.Errorf("failure %q does not name the key", res.Failed[w.panels[0]])
				}
				if w.owns(0, "0000000000AC01") != 1 {
					t.Fatal("the claim written before the push must stay")
				}
				w.fleet.Panel(0).SetFaults(panelsim.Faults{})
				if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 1 || w.keys(0) != "0000000000AC01=7 " {
					t.Fatalf("next run: got %+v, panel %q", res.Summary, w.keys(0))
				}
			})
			t.Run("DeleteNotKept", func(t *testing.T) {
				w.fleet.Panel(0).SetFaults(panelsim.Faults{})
				if w.run(reconcile.Request{}); w.keys(0) != "0000000000AC01=7 " {
					t.Fatalf("set-up: panel %q", w.keys(0))
				}
				w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 701`)
				w.fleet.Panel(0).SetFaults(panelsim.Faults{DropDeletes: true})
				res := w.run(reconcile.Request{})
				if res.Status != reconcile.StatusPartial || res.FailedPanels != 1 || res.Deleted != 0 {
					t.Fatalf("got %+v, want partial with nothing deleted", res.Summary)
				}
				if w.owns(0, "0000000000AC01") != 1 {
					t.Fatal("the record of a key still on the panel must stay")
				}
				w.fleet.Panel(0).SetFaults(panelsim.Faults{})
				if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Deleted != 1 || w.keys(0) != "" {
					t.Fatalf("next run: got %+v, panel %q", res.Summary, w.keys(0))
				}
				if w.owns(0, "0000000000AC01") != 0 {
					t.Fatal("the record of a key seen gone must go")
				}
			})
		})
	}
}

// TestReadBackCost: the read-back is one list per written panel; a panel
// with nothing to write is listed once.
func TestReadBackCost(t *testing.T) {
	for _, family := range []string{"beward", "beward-mifare", "sokol"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 2)
			w.contract(801, "8", true, true, "0000000000AD01", 0)
			w.contract(802, "9", true, true, "0000000000AD02", 0)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 2 {
				t.Fatalf("got %+v", res.Summary)
			}
			if got := lists(w.fleet.Panel(0)); got != 2 {
				t.Errorf("written panel: %d lists, want 2 (the read and one read-back)", got)
			}
			if got := lists(w.fleet.Panel(1)); got != 1 {
				t.Errorf("unwritten panel: %d lists, want 1", got)
			}
		})
	}
}

// lists counts the key-list requests a panel received. On beward-mifare the
// one-off probe for a second table (rfid_cgi, 404 here and remembered) is
// not a list of the panel's keys.
func lists(p *panelsim.Panel) int {
	n := 0
	for _, r := range p.Requests() {
		if p.Family() == panelsim.BewardMifare && r.Path == "/cgi-bin/rfid_cgi" {
			continue
		}
		if r.Path == "/key/store" && r.Method == "GET" || strings.Contains(r.Query, "action=list") {
			n++
		}
	}
	return n
}

// owns counts the ownership records of code on the i-th panel.
func (w *world) owns(i int, code string) int {
	w.t.Helper()
	owned, err := w.db.OwnedKeys(bg)
	if err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, k := range owned {
		if k.DeviceID == w.panels[i] && k.Code == code {
			n++
		}
	}
	return n
}

// TestSessionCutShort: a panel that stops answering in the middle of its
// writes gets no further request. Nothing of its session counts and every
// ownership record stays, because no read-back showed anything; the next
// run finishes the job.
func TestSessionCutShort(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 1)
	w.runner.Opts.MaxRevoke = 1
	w.contract(861, "1", true, true, "0000000000AF01", 0)
	w.contract(862, "2", true, true, "0000000000AF02", 0)
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 2 {
		t.Fatalf("first run: got %+v", res.Summary)
	}
	w.exec(`UPDATE contracts SET cams_paid = false`)
	p := w.fleet.Panel(0)
	p.SetHook(func(_ context.Context, r panelsim.Request) {
		if r.Write { // this write goes through; the panel fails from the next request on
			p.SetFaults(panelsim.Faults{ErrorRate: 1})
		}
	})
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusPartial || res.Deleted != 0 || len(p.Keys()) != 1 {
		t.Fatalf("got %+v, panel %q: want partial, nothing counted, one key deleted", res.Summary, w.keys(0))
	}
	if w.owns(0, "0000000000AF01")+w.owns(0, "0000000000AF02") != 2 {
		t.Fatal("no read-back showed a key gone: both records must stay")
	}
	if n := lists(p); n != 3 { // the first run's read and read-back, this run's read; none after the failure
		t.Errorf("%d lists, want 3: a panel that stopped answering gets no read-back", n)
	}
	p.SetHook(nil)
	p.SetFaults(panelsim.Faults{})
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Deleted != 1 || w.keys(0) != "" {
		t.Fatalf("next run: got %+v, panel %q", res.Summary, w.keys(0))
	}
	if w.owns(0, "0000000000AF01")+w.owns(0, "0000000000AF02") != 0 {
		t.Fatal("the records must go once the keys are seen gone")
	}
}
