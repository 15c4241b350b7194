package reconcile_test

import (
	"strings"
	"testing"
	"time"

	"yardsync/reconcile"
	"yardsync/store"
	"yardsync/store/storetest"
)

// TestStuckStoreFailsTheRun: a run's store step that gets no answer (here a
// lock another session holds, with no statement timeout on the server to
// end it) fails the run within Options.StoreTimeout, saying so, although
// the run's own context has no deadline; the next run goes through.
func TestStuckStoreFailsTheRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 1)
	w.contract(501, "5", true, true, "0000000000EF01", 0)
	db, err := store.OpenConfig(bg, store.Config{DSN: w.dsn}) // no statement_timeout: only the run's bound ends the wait
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const bound = 500 * time.Millisecond
	w.runner.Store, w.runner.Opts.StoreTimeout = db, bound
	release := storetest.LockDevices(t, w.dsn)

	began := time.Now()
	res := w.run(reconcile.Request{})
	if took := time.Since(began); took > bound+3*time.Second {
		t.Errorf("the stuck run took %s, want about its bound %s", took, bound)
	}
	if res.Status != reconcile.StatusFailed || !strings.Contains(res.Error, "the store did not answer within 500ms") || w.keys(0) != "" {
		t.Fatalf("got %+v, panel %q: want a failed run naming the store's bound, nothing written", res.Summary, w.keys(0))
	}
	release()
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || w.keys(0) == "" {
		t.Fatalf("after the lock is gone: %+v, panel %q: want the run through", res.Summary, w.keys(0))
	}
}
