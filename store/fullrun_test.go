package store_test

import (
	"testing"
	"time"

	"yardsync/reconcile"
	"yardsync/store/storetest"
)

// TestLastFullRunOK: only a full run that ended ok or partial counts; a run
// of one panel, of contracts, a guarded or a failed run do not.
func TestLastFullRunOK(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	run := func(uids []int64, status string, report any) {
		t.Helper()
		id, err := db.StartRun(ctx, 0, "cron", uids)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishRun(ctx, reconcile.Summary{RunID: id, Status: status}, "", report); err != nil {
			t.Fatal(err)
		}
	}
	last := func() time.Time {
		t.Helper()
		at, err := db.LastFullRunOK(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	if at := last(); !at.IsZero() {
		t.Fatalf("no run yet: got %v, want the zero time", at)
	}
	run(nil, "partial", map[string]any{"panel": 0})
	full := last()
	if time.Since(full) > time.Minute {
		t.Fatalf("after a partial full run: got %v", full)
	}
	run(nil, "ok", map[string]any{"panel": 3})
	run([]int64{7}, "ok", map[string]any{})
	run(nil, "guarded", nil)
	run(nil, "failed", nil)
	if at := last(); !at.Equal(full) {
		t.Fatalf("got %v, want the full run's %v: panel, contract, guarded and failed runs do not count", at, full)
	}
}
