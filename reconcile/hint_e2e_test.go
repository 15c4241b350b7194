package reconcile_test

import (
	"strings"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestPanelHintOfRealErrors: the errors runs really report for a wrong
// password, a full key table, writes not kept, a hanging panel and a closed
// port each get their class and a hint naming what to check.
func TestPanelHintOfRealErrors(t *testing.T) {
	for _, family := range []string{"beward", "sokol"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 1)
			w.contract(601, "7", true, true, "0000000000AB01", 0)
			id, panel := w.panels[0], w.fleet.Panel(0)
			cases := []struct {
				class, want string
				fault       func()
			}{
				{reconcile.HintAuth, "panellogin and panelpasswd of device", func() { panel.SetFaults(panelsim.Faults{Unauthorized: true}) }},
				{reconcile.HintFull, "key table is full", func() {
					panel.SetFaults(panelsim.Faults{})
					panel.SetKeys([]reconcile.PanelKey{{Code: "0000000000FFFF", Flat: 9}})
					panel.SetCapacity(1)
				}},
				{reconcile.HintUnkept, "did not keep", func() { panel.SetCapacity(0); panel.SetFaults(panelsim.Faults{DropAdds: true}) }},
				{reconcile.HintTimeout, "reconcile.panel_timeout", func() { panel.SetFaults(panelsim.Faults{Hang: true}) }},
				{reconcile.HintRefused, "panels.port", func() { w.fleet.Close() }},
			}
			for _, c := range cases {
				c.fault()
				res := w.run(reconcile.Request{})
				msg, failed := res.Failed[id]
				if !failed {
					t.Fatalf("%s: panel %d did not fail: %+v", c.class, id, res.Summary)
				}
				hint := reconcile.PanelHint(id, msg)
				if got := reconcile.HintClass(msg); got != c.class || !strings.Contains(hint, c.want) {
					t.Errorf("%s: %q is of class %q with hint %q, want class %q and %q in the hint", c.class, msg, got, hint, c.class, c.want)
				}
			}
		})
	}
}
