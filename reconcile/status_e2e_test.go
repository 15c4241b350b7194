package reconcile_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// recordStatus makes the world's runner keep each panel's status, as serve
// and the reconcile command do.
func (w *world) recordStatus() {
	contacts := reconcile.NewContactBatch(w.db, nil)
	w.runner.Dial = reconcile.RecordingDialer(w.runner.Dial, contacts, nil)
	w.runner.Contacts = contacts
}

// status returns panel i's status as the store keeps it, and whether
// `panels --failing` lists it.
func (w *world) status(i int) (reconcile.PanelStatus, bool) {
	w.t.Helper()
	find := func(failingOnly bool) (reconcile.PanelStatus, bool) {
		all, err := w.db.PanelStatuses(bg, failingOnly)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, p := range all {
			if p.DeviceID == w.panels[i] {
				return p, true
			}
		}
		return reconcile.PanelStatus{}, false
	}
	st, ok := find(false)
	if !ok {
		w.t.Fatalf("panel %d has no status", w.panels[i])
	}
	_, failing := find(true)
	return st, failing
}

// show renders a status for a failure message.
func show(st reconcile.PanelStatus, failing bool) string {
	keys := "null"
	if st.Keys != nil {
		keys = fmt.Sprint(*st.Keys)
	}
	return fmt.Sprintf("{failing %v, in --failing %v, last error %q, keys %s}", st.Failing(), failing, st.LastError, keys)
}

// TestRefusedWritesFailPanel: a panel that answers reads but refuses writes
// is failing, and stays failing through the runs that only read it, until a
// write session on it succeeds or a full run finds nothing to change there.
func TestRefusedWritesFailPanel(t *testing.T) {
	for _, family := range []string{"beward", "sokol"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 1)
			w.recordStatus()
			w.contract(801, "1", true, true, "0000000000AD01", 0)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
				t.Fatalf("set-up run: %+v", res.Summary)
			}
			w.fleet.Panel(0).SetFaults(panelsim.Faults{RefuseWrites: true})
			w.contract(802, "2", true, true, "0000000000AD02", 0)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusPartial || res.FailedPanels != 1 {
				t.Fatalf("writes refused: run %+v, want partial with the panel failed", res.Summary)
			}
			wantRefused := func(when string) {
				t.Helper()
				st, failing := w.status(0)
				if !failing || !st.Failing() || !strings.Contains(st.LastError, "401") {
					t.Fatalf("%s: status %s, want failing with the refused write's 401", when, show(st, failing))
				}
			}
			wantRefused("after the refused write")

			t.Run("ReadsKeepIt", func(t *testing.T) {
				before, _ := w.status(0)
				w.run(reconcile.Request{DryRun: true})
				wantRefused("after a dry run")
				w.run(namedRun(801)) // reads the panel; its contract's key is there
				wantRefused("after a run of a contract with nothing to change")
				if after, _ := w.status(0); !after.LastContact.After(*before.LastContact) {
					t.Fatalf("the reads were not recorded: last contact %v, then %v", before.LastContact, after.LastContact)
				}
			})
			t.Run("GoodSessionClears", func(t *testing.T) {
				w.fleet.Panel(0).SetFaults(panelsim.Faults{})
				if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 1 {
					t.Fatalf("run %+v, want the refused key added", res.Summary)
				}
				if st, failing := w.status(0); failing || st.LastError != "" || st.Keys == nil || *st.Keys != 2 {
					t.Fatalf("status %s, want OK with 2 keys", show(st, failing))
				}
			})
			t.Run("AsDesiredClears", func(t *testing.T) {
				w.fleet.Panel(0).SetFaults(panelsim.Faults{RefuseWrites: true})
				w.contract(803, "3", true, true, "0000000000AD03", 0)
				w.run(reconcile.Request{})
				wantRefused("after another refused write")
				// Someone puts the key on by hand; the panel still refuses writes,
				// but a full run finds nothing to write there.
				w.fleet.Panel(0).SetKeys(append(w.fleet.Panel(0).Keys(), reconcile.PanelKey{Code: "0000000000AD03", Flat: 3}))
				if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
					t.Fatalf("run %+v, want ok", res.Summary)
				}
				if st, failing := w.status(0); failing || st.LastError != "" || st.Keys == nil || *st.Keys != 3 {
					t.Fatalf("status %s, want OK with 3 keys", show(st, failing))
				}
			})
		})
	}
}

// TestEmptiedPanelStatus: after a session that left a Sokol emptier than
// desired, the status says the panel failed, and the key count is what the
// panel listed, never what the session meant to leave on it.
func TestEmptiedPanelStatus(t *testing.T) {
	setUp := func(t *testing.T) *world {
		w := newWorld(t, panelsim.Sokol, 1)
		w.recordStatus()
		w.runner.Opts.MaxRevoke = 1
		for uid := 1; uid <= 10; uid++ {
			w.contract(uid, fmt.Sprint(uid), true, true, fmt.Sprintf("0000000000AE%02d", uid), 0)
		}
		if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 10 {
			t.Fatalf("set-up run: %+v", res.Summary)
		}
		// Eight contracts stop paying: the run clears the panel and pushes the two left.
		w.exec(`UPDATE contracts SET cams_paid = false WHERE uid <= 8`)
		return w
	}
	t.Run("PushNotKept", func(t *testing.T) {
		t.Parallel()
		w := setUp(t)
		w.fleet.Panel(0).SetFaults(panelsim.Faults{DropAdds: true})
		if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusPartial {
			t.Fatalf("run %+v, want partial", res.Summary)
		}
		st, failing := w.status(0)
		if n := len(w.fleet.Panel(0).Keys()); n != 0 {
			t.Fatalf("set-up: the panel holds %d keys, want it emptied", n)
		}
		if !failing || st.LastError == "" || st.Keys == nil || *st.Keys != 0 {
			t.Fatalf("status %s, want failing with 0 keys, as the read-back listed", show(st, failing))
		}
	})
	t.Run("PushTimedOut", func(t *testing.T) {
		t.Parallel()
		w := setUp(t)
		w.fleet.SetHook(func(ctx context.Context, r panelsim.Request) {
			if r.Method == "PUT" { // the merge after the clear: no answer until yardsync gives up, and not applied
				<-ctx.Done()
				panic(http.ErrAbortHandler)
			}
		})
		if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusPartial {
			t.Fatalf("run %+v, want partial", res.Summary)
		}
		// No read-back followed the clear: the count is still the run's
		// listing before it, not the two keys the session meant to leave.
		if st, failing := w.status(0); !failing || !strings.Contains(st.LastError, "timeout") || st.Keys == nil || *st.Keys != 10 {
			t.Fatalf("status %s, want failing with the push's timeout and the 10 keys last listed", show(st, failing))
		}
		w.fleet.SetHook(nil)
		w.run(reconcile.Request{DryRun: true})
		st, failing := w.status(0)
		if !failing || st.Keys == nil || *st.Keys != len(w.fleet.Panel(0).Keys()) {
			t.Fatalf("after a dry run: status %s, want still failing with the %d keys listed",
				show(st, failing), len(w.fleet.Panel(0).Keys()))
		}
		if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
			t.Fatalf("repair run %+v, want ok", res.Summary)
		}
		if st, failing := w.status(0); failing || st.Keys == nil || *st.Keys != 2 {
			t.Fatalf("after the repair: status %s, want OK with 2 keys", show(st, failing))
		}
	})
}
