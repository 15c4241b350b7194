package store_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"yardsync/reconcile"
	"yardsync/store"
	"yardsync/store/storetest"
)

func acquire(t *testing.T, db *store.DB, token string, ids []int, limit int, ttl time.Duration, write bool) map[int]reconcile.Lease {
	t.Helper()
	return acquireFor(t, db, token, 0, ids, limit, ttl, write)
}

func acquireFor(t *testing.T, db *store.DB, token string, runID int64, ids []int, limit int, ttl time.Duration, write bool) map[int]reconcile.Lease {
	t.Helper()
	got, err := db.AcquireLeases(ctx, token, runID, ids, limit, ttl, write)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestPanelLeases(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	t.Run("OK", func(t *testing.T) {
		if got := acquire(t, db, "a", []int{3, 1, 2}, 2, time.Minute, false); len(got) != 2 || !has(got, 3, 1) {
			t.Fatalf("a: got %v, want the first two asked, 3 and 1", got)
		}
		if got := acquire(t, db, "b", []int{1, 2, 3}, 10, time.Minute, false); len(got) != 1 || !has(got, 2) {
			t.Fatalf("b: got %v, want only 2: a holds 1 and 3", got)
		}
		holders, err := db.LeaseHolders(ctx, []int{1, 4})
		if err != nil || len(holders) != 1 || holders[1] == "" {
			t.Fatalf("holders: got %v %v, want panel 1 named", holders, err)
		}
		held, err := db.RenewLeases(ctx, "a", 0, time.Minute, true)
		if slices.Sort(held); err != nil || !slices.Equal(held, []int{1, 3}) {
			t.Fatalf("renew a: got %v %v", held, err)
		}
		if err := db.ReleaseLeases(ctx, "a", []int{1}, nil); err != nil {
			t.Fatal(err)
		}
		if got := acquire(t, db, "b", []int{1}, 10, time.Minute, true); !has(got, 1) {
			t.Fatalf("b after a released 1: got %v", got)
		}
	})
	t.Run("ReleaseHeldWhileThePanelMayWork", func(t *testing.T) {
		acquire(t, db, "h", []int{40, 41}, 10, time.Minute, true)
		// 40 had a request time out: it stays taken for the hold; 41 is free at once.
		if err := db.ReleaseLeases(ctx, "h", []int{40, 41}, []time.Duration{time.Minute, 0}); err != nil {
			t.Fatal(err)
		}
		got := acquire(t, db, "i", []int{40, 41}, 10, time.Minute, true)
		if has(got, 40) || !has(got, 41) {
			t.Fatalf("i: got %v, want 41 only: 40 is held while it may still work", got)
		}
		if got := acquire(t, db, "h", []int{40}, 10, time.Minute, true); !has(got, 40) {
			t.Fatalf("the holder could not take 40 again: %v", got)
		}
	})
	t.Run("ExpiredByTheDatabaseClock", func(t *testing.T) {
		acquire(t, db, "c", []int{10}, 10, -time.Second, false) // already expired when written
		if got := acquire(t, db, "d", []int{10}, 10, time.Minute, false); !has(got, 10) {
			t.Fatalf("d: got %v, want the expired lease", got)
		}
		if held, _ := db.RenewLeases(ctx, "c", 0, time.Minute, true); len(held) != 0 {
			t.Fatalf("c renewed %v after losing it", held)
		}
	})
	t.Run("WriteCounter", func(t *testing.T) {
		read := acquire(t, db, "e", []int{20}, 10, time.Minute, false)[20].Writes
		if err := db.ReleaseLeases(ctx, "e", []int{20}, nil); err != nil {
			t.Fatal(err)
		}
		if got := acquire(t, db, "f", []int{20}, 10, time.Minute, true)[20].Writes; got != read+1 {
			t.Fatalf("a write session: counter %d after %d, want one more", got, read)
		}
		if err := db.ReleaseLeases(ctx, "f", []int{20}, nil); err != nil {
			t.Fatal(err)
		}
		if got := acquire(t, db, "e", []int{20}, 10, time.Minute, true)[20].Writes; got != read+2 {
			t.Fatalf("e writing after f wrote: counter %d, want %d: e must see its read is stale", got, read+2)
		}
	})
	t.Run("NewerWriter", func(t *testing.T) {
		start := func(uids ...int64) int64 {
			t.Helper()
			time.Sleep(2 * time.Millisecond) // started_at is now() of each run's own transaction
			id, err := db.StartRun(ctx, 0, "cli", uids)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		older, batch, full := start(), start(7, 8), start()
		write := func(token string, run int64, write bool) reconcile.Lease {
			t.Helper()
			got := acquireFor(t, db, token, run, []int{30}, 10, time.Minute, write)[30]
			if err := db.ReleaseLeases(ctx, token, []int{30}, nil); err != nil {
				t.Fatal(err)
			}
			return got
		}
		if write("old", older, true).Newer {
			t.Fatal("the first writer was told a newer run wrote")
		}
		if write("batch", batch, true).Newer || write("old", older, true).Newer {
			t.Fatal("a newer run of contracts made the panel newer: only its codes are, see NewerRunUIDs")
		}
		if write("full", full, true).Newer {
			t.Fatal("a newer full run writing after older ones was told a newer run wrote")
		}
		if write("old", older, false).Newer {
			t.Fatal("a read lease reported a newer writer: only writes are judged")
		}
		if !write("old", older, true).Newer || !write("batch", batch, true).Newer {
			t.Fatal("older runs writing after a newer full run were not told")
		}
		uids, err := db.NewerRunUIDs(ctx, older)
		if err != nil || !slices.Equal(uids, []int64{7, 8}) {
			t.Fatalf("newer runs' contracts: got %v %v, want [7 8]", uids, err)
		}
		if uids, err := db.NewerRunUIDs(ctx, batch); err != nil || len(uids) != 0 {
			t.Fatalf("newer than the batch: got %v %v, want none (only a full run started later)", uids, err)
		}
	})
}

func has(m map[int]reconcile.Lease, ids ...int) bool {
	for _, id := range ids {
		if _, ok := m[id]; !ok {
			return false
		}
	}
	return true
}

// A run's record is closed as interrupted only once its heartbeat lapsed,
// and a closed record is never overwritten by a late finish.
func TestRunRecordsOfOverlappingRuns(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	live, err := db.StartRun(ctx, 0, "cli", nil)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := db.StartRun(ctx, 0, "cli", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RenewLeases(ctx, "live", live, time.Minute, true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RenewLeases(ctx, "dead", dead, -time.Second, true); err != nil { // its last heartbeat has lapsed
		t.Fatal(err)
	}
	if err := db.CloseInterrupted(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Run(ctx, live); got.Status != "running" {
		t.Fatalf("live run: got %q, want it left running", got.Status)
	}
	if got, _ := db.Run(ctx, dead); got.Status != reconcile.StatusFailed {
		t.Fatalf("dead run: got %q, want failed", got.Status)
	}
	err = db.FinishRun(ctx, reconcile.Summary{RunID: dead, Status: reconcile.StatusOK}, "", nil)
	if err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("late finish of a closed run: got %v, want an error", err)
	}
	if got, _ := db.Run(ctx, dead); got.Status != reconcile.StatusFailed {
		t.Fatalf("dead run after a late finish: got %q, want failed kept", got.Status)
	}
	if err := db.FinishRun(ctx, reconcile.Summary{RunID: live, Status: reconcile.StatusOK}, "", nil); err != nil {
		t.Fatal(err)
	}
}

// The run lock notices when its session is terminated.
func TestRunLockCheck(t *testing.T) {
	t.Parallel()
	dsn := storetest.MigratedDSN(t)
	db := storetest.MustOpenDSN(t, dsn)
	lock, err := db.RunLock(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if err := lock.Check(ctx); err != nil {
		t.Fatalf("held lock: %v", err)
	}
	if _, err := db.RunLock(ctx, 0); !errors.Is(err, reconcile.ErrBusy) {
		t.Fatalf("second lock: got %v, want busy", err)
	}
	var killed int // the timeout makes pg_terminate_backend wait until the session is gone
	err = db.Pool().QueryRow(ctx, `
		SELECT count(pg_terminate_backend(pid, 60000)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("killed %d (%v)", killed, err)
	}
	if err := lock.Check(ctx); err == nil {
		t.Fatal("a lock whose session was terminated still checks as held")
	}
	again, err := db.RunLock(ctx, 0)
	if err != nil {
		t.Fatalf("after the holder's session died: %v", err)
	}
	again.Release()
}
