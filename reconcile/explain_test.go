package reconcile_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// Explain tells, panel by panel, why a contract has or lacks its keys: how
// it reaches each panel, whether each key is wanted, on the panel (live)
// and owned, and the last write the change log holds.
func TestExplain(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 3)
	lock, err := w.db.AddDevice(bg, reconcile.Device{UUID: "00000000-0000-4000-8000-00000000abcd", Type: 3, IsActive: ptrTo(true)})
	if err != nil {
		t.Fatal(err)
	}
	door, _, err := w.db.AddDoor(bg, reconcile.Door{DeviceID: lock, Cam: w.panels[1], Open: "http://x/open"})
	if err != nil {
		t.Fatal(err)
	}
	w.contract(501, "8", true, true, "0A1B2C3D4E", 0)
	if err := w.db.AddRights(bg, 501, []int{lock}); err != nil {
		t.Fatal(err)
	}
	w.contract(502, "7а", true, true, "0000000000EE02", 2)
	w.run(reconcile.Request{})
	at := time.Now().UTC().Truncate(time.Microsecond)
	if err := w.db.RecordChanges(bg, []reconcile.Change{{At: at, RunID: 9, DeviceID: w.panels[0], Op: "add",
		Code: "00000A1B2C3D4E", Flat: 8, UID: 501, Result: "ok"}}); err != nil {
		t.Fatal(err)
	}

	t.Run("Active", func(t *testing.T) {
		w.fleet.Panel(1).SetFaults(panelsim.Faults{ErrorRate: 1})
		defer w.fleet.Panel(1).SetFaults(panelsim.Faults{})
		ex, err := w.runner.Explain(bg, 501, w.db)
		if err != nil {
			t.Fatal(err)
		}
		if !ex.Active || !ex.Billing.Found || ex.Billing.Flat != "8" || !strings.Contains(ex.Reason, "has paid") || len(ex.Panels) != 2 {
			t.Fatalf("got %+v", ex)
		}
		direct, gate := ex.Panels[0], ex.Panels[1]
		if direct.DeviceID != w.panels[0] || direct.Via != "right" || gate.Via != "door "+strconv.Itoa(door) {
			t.Fatalf("panels %+v, want panel 0 by right and panel 1 through door %d", ex.Panels, door)
		}
		k := direct.Keys[0]
		if k.Code != "00000A1B2C3D4E" || !k.Wanted || k.OnPanel == nil || !*k.OnPanel || !k.Owned || k.Last == nil || !k.Last.At.Equal(at) {
			t.Fatalf("key on the direct panel: %+v", k)
		}
		if gate.Error == "" || gate.Keys[0].OnPanel != nil || !gate.Keys[0].Wanted {
			t.Fatalf("unreachable gate panel: %+v, want an error and on_panel null", gate)
		}
	})
	t.Run("BadFlat", func(t *testing.T) {
		ex, err := w.runner.Explain(bg, 502, w.db)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Active || !strings.Contains(ex.Reason, `"7а"`) || len(ex.Panels) != 1 || ex.Panels[0].Keys[0].Wanted || *ex.Panels[0].Keys[0].OnPanel {
			t.Fatalf("got %+v", ex)
		}
	})
	t.Run("Unpaid", func(t *testing.T) {
		w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 501`)
		defer w.exec(`UPDATE contracts SET cams_paid = true WHERE uid = 501`)
		ex, err := w.runner.Explain(bg, 501, w.db)
		if err != nil {
			t.Fatal(err)
		}
		k := ex.Panels[0].Keys[0]
		if ex.Active || !strings.Contains(ex.Reason, "has not paid") || k.Wanted || !*k.OnPanel {
			t.Fatalf("got %+v / %+v: not wanted, still on the panel until a run", ex, k)
		}
	})
	t.Run("NotInBilling", func(t *testing.T) {
		ex, err := w.runner.Explain(bg, 999, w.db)
		if err != nil || ex.Billing.Found || ex.Active || !strings.Contains(ex.Reason, "no contract 999") || len(ex.Panels) != 0 {
			t.Fatalf("got %+v, %v", ex, err)
		}
	})
	t.Run("ErrUID", func(t *testing.T) {
		if _, err := w.runner.Explain(bg, 0, w.db); err == nil {
			t.Fatal("uid 0 explained")
		}
	})
}

// TestExplainWaitsForNoPanelSession: explain reads a panel only under its
// lease, like a run: while another run holds the panel (here in a write
// session) explain sends it nothing, says who holds it, and still answers
// within its timeout.
func TestExplainWaitsForNoPanelSession(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 1)
	w.contract(511, "1", true, true, "0000000000AB11", 0)
	w.run(reconcile.Request{})
	if err := w.db.AddKey(bg, 511, "0000000000AB12", nil); err != nil {
		t.Fatal(err)
	}
	writing, _, free := holdRequests(w.fleet.Panel(0), isWrite)
	defer free()
	run := start(w.instance("writer", &trace{}, func(string) {}), reconcile.Request{Trigger: "cli"})
	await(t, writing, "the run writing the panel")
	w.fleet.Panel(0).ResetRequests()
	began := time.Now()
	ex, err := w.runner.Explain(bg, 511, w.db)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > reconcile.ExplainTimeout+2*time.Second {
		t.Errorf("explain took %v behind a busy panel", took)
	}
	if n := len(w.fleet.Panel(0).Requests()); n != 0 {
		t.Errorf("explain sent %d requests to a panel another run was writing", n)
	}
	if len(ex.Panels) != 1 || !strings.Contains(ex.Panels[0].Error, "busy") {
		t.Fatalf("explain: got %+v, want the panel said busy", ex.Panels)
	}
	free()
	if res := finished(t, run, "the writing run"); res.Status != reconcile.StatusOK {
		t.Fatalf("writing run: %+v %v", res.Summary, res.Failed)
	}
}
