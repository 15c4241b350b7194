package main

import (
	"os"
	"strings"
	"testing"
	"time"
	"yardsync/store/storetest"
)

// TestStuckStoreFailsTheRun: a run whose store calls are blocked (another
// session holds a lock on devices) fails within store.statement_timeout,
// naming it, and records that it failed; once the lock is gone the next
// run goes through.
func TestStuckStoreFailsTheRun(t *testing.T) {
	in := panelsInstall(t, 1)
	text, err := os.ReadFile(in.config)
	if err != nil {
		t.Fatal(err)
	}
	in.config = writeConfig(t, strings.Replace(string(text), "store:\n", "store:\n  statement_timeout: 1s\n", 1))
	release := storetest.LockDevices(t, in.storeDSN)

	began := time.Now()
	out, code := in.cli("reconcile")
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("the stuck run ended after %s, want about its 1 s statement timeout", took)
	}
	if code != 1 || !strings.Contains(out, "read store, nothing changed") || !strings.Contains(out, "statement timeout") {
		t.Fatalf("got %q exit %d, want a failed run naming the statement timeout", out, code)
	}
	release()
	var failed int
	in.storeQuery(`SELECT count(*) FROM yardsync_runs WHERE status = 'failed' AND error LIKE '%statement timeout%'`, []any{&failed})
	if failed != 1 {
		t.Errorf("%d failed runs recorded with the timeout, want 1", failed)
	}
	if out, code := in.cli("reconcile"); code != 0 {
		t.Fatalf("after the lock is gone: %q exit %d, want the run through", out, code)
	}
}
