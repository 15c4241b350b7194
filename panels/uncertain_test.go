package panels_test

import (
	"context"
	"errors"
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

// TestSokolReplaceKeysClearLost: a clear whose answer is lost on every try
// is still followed by the merge of the whole list, every time; the error
// names the clear so the caller retries, and the store ends holding the list.
func TestSokolReplaceKeysClearLost(t *testing.T) {
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{}, time.Second)
	sim.SetKeys(makeKeys(5, 0))
	sim.SetFaults(panelsim.Faults{LoseAnswer: panelsim.WriteClear})
	want := makeKeys(3, 100)
	for try := range 3 {
		sim.ResetRequests()
		err := c.ReplaceKeys(context.Background(), want)
		checkErr(t, err, reconcile.ErrTransient, c, "DELETE /key/store/clear")
		if got := requestLines(sim); len(got) < 2 || !strings.HasPrefix(got[len(got)-1], "PUT /key/store/merge?") {
			t.Errorf("try %d: requests %q, want the clear, then the merge", try, got)
		}
		if !slices.Equal(sim.Keys(), want) {
			t.Errorf("try %d: store %v, want %v", try, sim.Keys(), want)
		}
	}
}

// TestSokolReplaceKeysContextEnds: a caller that gives up while a slow
// panel works on the clear still gets the merge sent, under a fresh
// deadline, and the panel ends holding the list; a caller already gone
// before the clear sends nothing.
func TestSokolReplaceKeysContextEnds(t *testing.T) {
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{}, 3*time.Second)
	sim.SetKeys(makeKeys(5, 0))
	sim.SetFaults(panelsim.Faults{WriteDelay: 200 * time.Millisecond})
	want := makeKeys(3, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.ReplaceKeys(ctx, want)
	checkErr(t, err, reconcile.ErrTransient, c, "DELETE /key/store/clear: transient: timeout")
	if got := requestLines(sim); len(got) != 2 || !strings.HasPrefix(got[1], "PUT /key/store/merge?") {
		t.Errorf("requests %q, want the clear, then the merge", got)
	}
	if !slices.Equal(sim.Keys(), want) {
		t.Errorf("store %v, want %v: the merge follows the clear", sim.Keys(), want)
	}
	sim.ResetRequests()
	err = c.ReplaceKeys(ctx, makeKeys(2, 200))
	checkErr(t, err, reconcile.ErrTransient, c, "timeout")
	if n := len(sim.Requests()); n != 0 || !slices.Equal(sim.Keys(), want) {
		t.Errorf("%d requests, store %v: a session already over sends nothing", n, sim.Keys())
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v: want it to wrap context.DeadlineExceeded", err)
	}
}
