package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestServeSyncWaitLeavesSlowPanelPending is the billing's revocation of a
// contract on two panels, one of which holds its writes longer than
// api.sync_wait: sync/ with wait answers, over HTTP, with the healthy
// panel's deletion done and the slow panel pending; the run goes on after
// the answer and its record ends ok once the slow panel is done.
func TestServeSyncWaitLeavesSlowPanelPending(t *testing.T) {
	// Long panel timeouts: the held writes are released by the test, not
	// given up by the client. sync_wait leaves the healthy panel's session
	// (a few local requests and statements) ample time.
	in := newInstallConfig(t, 2, "  sync_wait: 1s\n", "  panel_timeout: 10s\n  retries: 1\n")
	in.exec(`INSERT INTO contracts VALUES (1001, '89101234567', '17', true, true)`)
	if _, code := in.cli("migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	// Written straight into the store, so no API change schedules a run of its own.
	for i, addr := range in.fleet.Addrs() {
		in.storeExec(`INSERT INTO devices (device_id, device_uuid, device_type, is_active, paneltype, panelip, panellogin, panelpasswd)
			VALUES ($1, $2, 1, true, 2, $3, 'admin', 'pw')`, i+1, fmt.Sprintf("00000000-0000-4000-8000-%012d", 1001+i), strings.Split(addr, ":")[0])
	}
	in.storeExec(`INSERT INTO rights VALUES (1001, '{1,2}')`)
	in.storeExec(`INSERT INTO keys VALUES (decode('000000CC001001', 'hex'), 1001, 'sync_wait')`)
	stop := in.serve()
	defer stop()
	healthy, slow := in.fleet.Panel(0), in.fleet.Panel(1)
	if code := in.post("sync", `{"uid": 1001, "wait": true}`, nil); code != 200 {
		t.Fatalf("first sync: got %d", code)
	}
	eventually(t, "the key on both panels and no run under way", func() bool {
		return len(healthy.Keys()) == 1 && len(slow.Keys()) == 1 && in.runsUnderWay() == 0
	})

	in.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 1001`)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	slow.SetHook(func(ctx context.Context, r panelsim.Request) {
		if r.Write {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
	})
	var sum reconcile.SyncAnswer
	if code := in.post("sync", `{"uid": 1001, "wait": true}`, &sum); code != 200 {
		t.Fatalf("sync/ with wait: got %d %+v", code, sum)
	}
	if sum.Status != "running" || !slices.Equal(sum.Pending, []int{2}) || sum.Deleted != 1 || sum.FailedPanels != 0 {
		t.Fatalf("sync/ with wait: got %+v, want running, panel 2 pending, the healthy panel's one deletion", sum)
	}
	if len(healthy.Keys()) != 0 || len(slow.Keys()) != 1 {
		t.Fatalf("at the answer the healthy panel holds %v and the slow one %v, want none and the key", healthy.Keys(), slow.Keys())
	}
	if status, _ := in.runRecord(sum.RunID); status != "running" {
		t.Fatalf("run %d recorded %q at the answer, want running", sum.RunID, status)
	}

	free()
	eventually(t, "the run ends after the answer", func() bool { status, _ := in.runRecord(sum.RunID); return status != "running" })
	if status, deleted := in.runRecord(sum.RunID); status != "ok" || deleted != 2 || len(slow.Keys()) != 0 {
		t.Fatalf("run %d recorded %q with %d deleted, slow panel holds %v; want ok, 2 deleted, the key gone", sum.RunID, status, deleted, slow.Keys())
	}
}

// runsUnderWay counts the runs recorded as running.
func (in *install) runsUnderWay() int {
	in.t.Helper()
	var n int
	in.storeQuery(`SELECT count(*) FROM yardsync_runs WHERE status = 'running'`, []any{&n})
	return n
}

// runRecord reads a run's status and deletions from yardsync_runs.
func (in *install) runRecord(id int64) (status string, deleted int) {
	in.t.Helper()
	in.storeQuery(`SELECT status, deleted FROM yardsync_runs WHERE id = $1`, []any{&status, &deleted}, id)
	return status, deleted
}

func (in *install) storeQuery(sql string, dest []any, args ...any) {
	in.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, in.storeDSN)
	if err != nil {
		in.t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		in.t.Fatal(err)
	}
}
