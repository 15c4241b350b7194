package panels_test

import (
	"context"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestCodeView checks, for the families that bind no flat, that an add or a
// delete after a list uses what the list read and the client's writes
// since, and that a failed write makes the next add read the panel again.
func TestCodeView(t *testing.T) {
	for _, fam := range []struct {
		name string
		kind int
	}{{panelsim.Qtech, reconcile.PanelQtech}, {panelsim.Rubetek, reconcile.PanelRubetek}} {
		t.Run(fam.name, func(t *testing.T) {
			ctx := context.Background()
			sim, c := startPanel(t, fam.name, fam.kind, panelsim.Options{}, time.Second)
			key := func(s string) reconcile.PanelKey { return reconcile.PanelKey{Code: "0000000000AA" + s, Flat: 1} }
			sim.SetKeys([]reconcile.PanelKey{key("01")})
			if _, err := c.ListKeys(ctx); err != nil {
				t.Fatal(err)
			}
			sim.ResetRequests()
			mustAdd(t, c, []reconcile.PanelKey{key("01"), key("02")})
			if err := c.DeleteKey(ctx, key("01").Code); err != nil {
				t.Fatal(err)
			}
			mustAdd(t, c, []reconcile.PanelKey{key("01")})
			if got := sim.Requests(); len(got) != 3 || !got[0].Write || !got[1].Write || !got[2].Write {
				t.Fatalf("after a list: got %q, want the add of 02, the delete and the add of 01, no list", requestLines(sim))
			}
			sim.SetFaults(panelsim.Faults{ErrorRate: 1})
			if err := c.AddKeys(ctx, []reconcile.PanelKey{key("03")}); err == nil {
				t.Fatal("an add to a failing panel succeeded")
			}
			sim.SetFaults(panelsim.Faults{})
			sim.SetKeys([]reconcile.PanelKey{key("03")}) // added by hand meanwhile
			sim.ResetRequests()
			mustAdd(t, c, []reconcile.PanelKey{key("03")})
			if got := sim.Requests(); len(got) != 1 || got[0].Write {
				t.Fatalf("after a failed write: got %q, want one list and no add", requestLines(sim))
			}
		})
	}
}
