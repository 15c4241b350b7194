package panels_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestListSkipsForeignEntries: entries yardsync cannot read (Beward
// Apartment=12a, Sokol with no uuid) are skipped and counted; the keys are
// listed exactly as without them, and yardsync's own keys still go.
func TestListSkipsForeignEntries(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		sim  string
		kind int
		fw   panelsim.Firmware
		per  int // foreign entries listed per junk entry (tables listed)
	}{
		{panelsim.Beward, panelsim.Beward, reconcile.PanelBeward, panelsim.Firmware{}, 1},
		{panelsim.BewardMifare, panelsim.BewardMifare, reconcile.PanelBeward, panelsim.Firmware{}, 1},
		{"beward-mifare/both-tables", panelsim.BewardMifare, reconcile.PanelBeward, panelsim.Firmware{BothTables: true}, 2},
		{panelsim.Sokol, panelsim.Sokol, reconcile.PanelSokol, panelsim.Firmware{}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, c := startPanel(t, tc.sim, tc.kind, panelsim.Options{Firmware: tc.fw}, time.Second)
			keys := makeKeys(3, 0)
			sim.SetKeys(keys)
			clean, err := c.ListKeys(ctx)
			if err != nil || c.Skipped() != 0 {
				t.Fatalf("without junk: %v, %d skipped", err, c.Skipped())
			}
			sim.SetFaults(panelsim.Faults{Junk: 2})
			var wg sync.WaitGroup
			wg.Go(func() { _ = c.Skipped() }) // read while a listing writes it
			got, err := c.ListKeys(ctx)
			wg.Wait()
			if err != nil || !slices.Equal(got, clean) {
				t.Fatalf("with junk: ListKeys = %v, %v; want %v as without", got, err, clean)
			}
			if want := 2 * tc.per; c.Skipped() != want {
				t.Errorf("Skipped = %d, want %d", c.Skipped(), want)
			}
			sim.ResetRequests()
			for _, k := range keys {
				if err := c.DeleteKey(ctx, k.Code); err != nil {
					t.Fatal(err)
				}
			}
			if len(sim.Keys()) != 0 {
				t.Errorf("panel holds %v after deleting yardsync's keys", sim.Keys())
			}
			for _, line := range requestLines(sim) {
				if strings.Contains(line, "FFFFFFFF0000") {
					t.Errorf("%s: a foreign entry was written", line)
				}
			}
			sim.SetFaults(panelsim.Faults{})
			if _, err := c.ListKeys(ctx); err != nil || c.Skipped() != 0 {
				t.Errorf("Skipped = %d (%v), want 0: it counts the last listing", c.Skipped(), err)
			}
		})
	}
}

// TestDeleteAbsent: deleting a key the panel does not hold succeeds, on
// each family: a blind delete (one request, no extra list), a key another
// system deleted since the client listed it, and a key whose add lands late.
func TestDeleteAbsent(t *testing.T) {
	ctx := context.Background()
	blind := map[string]int{panelsim.Beward: 1, panelsim.BewardMifare: 2, panelsim.Sokol: 1} // extrfid, then mifare
	for _, f := range families {
		t.Run(f.sim, func(t *testing.T) {
			sim, c := startPanel(t, f.sim, f.kind, panelsim.Options{}, time.Second)
			keys := makeKeys(2, 0)
			sim.SetKeys(keys[:1])
			if _, err := c.ListKeys(ctx); err != nil {
				t.Fatal(err)
			}
			sim.ResetRequests()
			if err := c.DeleteKey(ctx, keys[1].Code); err != nil {
				t.Errorf("blind delete: %v", err)
			}
			if n := len(sim.Requests()); n != blind[f.sim] {
				t.Errorf("blind delete sent %q, want %d request(s)", requestLines(sim), blind[f.sim])
			}
			sim.SetKeys(nil) // another system deleted keys[0] behind the client's back
			if err := c.DeleteKey(ctx, keys[0].Code); err != nil {
				t.Errorf("delete of a key gone since the list: %v", err)
			}
			if err := c.DeleteKey(ctx, keys[0].Code); err != nil {
				t.Errorf("second delete: %v", err)
			}
		})
		t.Run(f.sim+"/AddLandsLate", func(t *testing.T) {
			sim, c := startPanel(t, f.sim, f.kind, panelsim.Options{Faults: panelsim.Faults{LateApply: 100 * time.Millisecond}}, time.Second)
			k := makeKeys(1, 0)
			mustAdd(t, c, k)
			if err := c.DeleteKey(ctx, k[0].Code); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(5 * time.Second); sim.Pending() > 0; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("writes never applied")
				}
			}
			if len(sim.Keys()) != 0 {
				t.Errorf("panel holds %v: the delete sent after the add must land after it", sim.Keys())
			}
		})
	}
}
