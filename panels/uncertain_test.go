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

// TestSokolReplaceKeysClearLost: a clear whose answer is lost is still
// followed by the merge of the whole list; the error names the clear so the
// caller retries. A retry lists the store first and finds it right: it
// clears nothing again, so it never empties a panel that holds the list.
func TestSokolReplaceKeysClearLost(t *testing.T) {
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{}, time.Second)
	sim.SetKeys(makeKeys(5, 0))
	sim.SetFaults(panelsim.Faults{LoseAnswer: panelsim.WriteClear})
	want := makeKeys(3, 100)
	err := c.ReplaceKeys(context.Background(), want)
	checkErr(t, err, reconcile.ErrTransient, c, "DELETE /key/store/clear")
	if got := requestLines(sim); len(got) < 2 || !strings.HasPrefix(got[len(got)-1], "PUT /key/store/merge?") {
		t.Errorf("requests %q, want the clear, then the merge", got)
	}
	if !slices.Equal(sim.Keys(), want) {
		t.Errorf("store %v, want %v", sim.Keys(), want)
	}
	sim.ResetRequests()
	if err := c.ReplaceKeys(context.Background(), want); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := requestLines(sim); len(got) != 1 || got[0] != "GET /key/store?" {
		t.Errorf("retry: requests %q, want one listing and no write", got)
	}
}

// TestSokolReplaceKeysSlowClear: a clear that outlasts the request timeout
// is still being worked on by the panel; the merge waits it out, so the
// panel never has two requests at once, and ends holding the list.
func TestSokolReplaceKeysSlowClear(t *testing.T) {
	const timeout = 200 * time.Millisecond
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{}, timeout)
	sim.SetKeys(makeKeys(5, 0))
	sim.SetFaults(panelsim.Faults{WriteDelay: 6 * timeout / 5}) // done 0.8 timeout before the merge may go
	want := makeKeys(3, 100)
	err := c.ReplaceKeys(context.Background(), want)
	checkErr(t, err, reconcile.ErrTransient, c, "DELETE /key/store/clear: transient: timeout")
	for deadline := time.Now().Add(5 * time.Second); sim.Pending() > 0 || !slices.Equal(sim.Keys(), want); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("store %v, want %v: the merge follows the slow clear", sim.Keys(), want)
		}
	}
	if got := sim.MaxInFlight(); got != 1 {
		t.Errorf("the panel answered %d requests at once: the merge went while it worked on the clear", got)
	}
}

// TestSokolReplaceKeysKeepsForeignEntries: a store holding entries yardsync
// cannot read (no uuid) is never cleared: a clear would take them. The
// driver refuses with reconcile.ErrNoReplace, and the caller writes key by key.
func TestSokolReplaceKeysKeepsForeignEntries(t *testing.T) {
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{}, time.Second)
	sim.SetKeys(makeKeys(5, 0))
	sim.SetFaults(panelsim.Faults{Junk: 1})
	if _, err := c.ListKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := c.ReplaceKeys(context.Background(), makeKeys(3, 0))
	if !errors.Is(err, reconcile.ErrNoReplace) {
		t.Fatalf("error %v, want reconcile.ErrNoReplace", err)
	}
	if n := len(writes(sim)); n != 0 || sim.Faults().Junk != 1 {
		t.Errorf("%d writes, foreign entries %d: the store must be left as it is", n, sim.Faults().Junk)
	}
}

// TestSokolReplaceKeysContextEnds: a caller that gives up while a slow
// panel works on the clear still gets the merge sent, under a fresh
// deadline, and the panel ends holding the list; a caller already gone
// before the clear sends nothing.
func TestSokolReplaceKeysContextEnds(t *testing.T) {
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{}, 500*time.Millisecond)
	sim.SetKeys(makeKeys(5, 0))
	if _, err := c.ListKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	sim.ResetRequests()
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

// TestBewardWriteSentOnce: a Beward write is a GET, which Go's HTTP client
// would send again on its own when the answer is lost on a reused
// connection: the panel then got each write twice, the second at once. A
// write reaches the panel once per try; the caller's retry, which waits out
// the panel's busy time, decides the rest.
func TestBewardWriteSentOnce(t *testing.T) {
	ctx := context.Background()
	sim, c := startPanel(t, panelsim.Beward, reconcile.PanelBeward, panelsim.Options{}, time.Second)
	if _, err := c.ListKeys(ctx); err != nil { // the connection is now kept alive and reused
		t.Fatal(err)
	}
	sim.SetFaults(panelsim.Faults{LoseAnswer: panelsim.WriteAdd | panelsim.WriteDelete})
	k := makeKeys(1, 0)
	sim.ResetRequests()
	checkErr(t, c.AddKeys(ctx, k), reconcile.ErrUnanswered, c, "connection reset")
	if got := writes(sim); len(got) != 1 {
		t.Errorf("one add sent as %q", got)
	}
	sim.ResetRequests()
	checkErr(t, c.DeleteKey(ctx, k[0].Code), reconcile.ErrUnanswered, c, "connection reset")
	if got := writes(sim); len(got) != 1 {
		t.Errorf("one delete sent as %q", got)
	}
	// Requests at once are the reconciler's to prevent (a request left
	// unanswered keeps its panel busy for one panel_timeout, see the fault
	// matrix): a driver alone sends the next request as soon as the reset
	// arrives, while the emulator may still be unwinding the first.
}
