package reconcile_test

import (
	"log/slog"
	"strings"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// Every panel write lands in the change log with its run, contract, flat
// and outcome as the read-back saw it.
func TestChangeLogOfRuns(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "beward", 2)
	w.contract(501, "5", true, true, "0000000000CC01", 0, 1)
	w.contract(502, "6", true, true, "0000000000CC02", 0)
	first := w.run(reconcile.Request{})
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 502`)
	second := w.run(reconcile.Request{UIDs: []int64{502}, Named: true})
	w.fleet.Panel(1).SetFaults(panelsim.Faults{DropAdds: true})
	w.contract(503, "7", true, true, "0000000000CC03", 1)
	third := w.run(reconcile.Request{UIDs: []int64{503}, Named: true})

	log := func(f reconcile.ChangeFilter) []reconcile.Change {
		t.Helper()
		got, err := w.db.Changes(bg, f)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := log(reconcile.ChangeFilter{}); len(got) != 5 {
		t.Fatalf("%d entries, want 3 adds, 1 delete, 1 failed add: %+v", len(got), got)
	}
	adds := log(reconcile.ChangeFilter{UID: 501})
	if len(adds) != 2 || adds[0].RunID != first.RunID || adds[0].Op != "add" || adds[0].Flat != 5 || adds[0].Result != "ok" {
		t.Fatalf("501's adds: %+v", adds)
	}
	del := log(reconcile.ChangeFilter{UID: 502, DeviceID: w.panels[0]})
	if len(del) != 2 || del[0].Op != "delete" || del[0].RunID != second.RunID || del[0].Result != "ok" || del[0].Flat != 6 || del[0].Code != "0000000000CC02" {
		t.Fatalf("502's revocation: %+v", del)
	}
	failed := log(reconcile.ChangeFilter{Code: "0000000000CC03"})
	if len(failed) != 1 || failed[0].RunID != third.RunID || failed[0].Result != "failed" || failed[0].Error == "" || failed[0].UID != 503 {
		t.Fatalf("the add the panel did not keep: %+v", failed)
	}
}

// Failed, partial and guarded runs log at ERROR or WARN, so alerting on
// warnings sees every run that did not do all it should.
func TestRunLogLevels(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 2)
	var buf lockedBuffer
	w.runner.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	w.contract(501, "5", true, true, "0000000000DD01", 0, 1)
	w.run(reconcile.Request{})
	w.fleet.Panel(1).SetFaults(panelsim.Faults{ErrorRate: 1})
	w.run(reconcile.Request{})
	w.fleet.Panel(0).SetFaults(panelsim.Faults{ErrorRate: 1})
	w.run(reconcile.Request{})
	out := buf.String()
	for _, want := range []string{`level=INFO msg="run finished" run_id=1`, `level=WARN msg="run finished" run_id=2`, `level=ERROR msg="run finished" run_id=3`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
