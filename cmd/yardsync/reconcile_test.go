package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"yardsync/reconcile"
)

// panelsInstall is an installation whose store holds its fleet's panels
// as devices 1, 2, ...: Sokol, password pw.
func panelsInstall(t *testing.T, n int) *install {
	t.Helper()
	in := newInstall(t, n)
	if _, code := in.cli("migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	for i, addr := range in.fleet.Addrs() {
		in.storeExec(`INSERT INTO devices (device_id, device_uuid, device_type, is_active, title, paneltype, panelip, panellogin, panelpasswd)
			VALUES ($1, gen_random_uuid(), 1, true, $3, 2, $2, 'admin', 'pw')`, i+1, strings.Split(addr, ":")[0], fmt.Sprintf("Подъезд %d", i+1))
	}
	return in
}

// TestReconcilePanelDryRun: a dry run of one panel plans that panel only,
// says so, and reports only the contracts that reach it.
func TestReconcilePanelDryRun(t *testing.T) {
	in := panelsInstall(t, 2)
	in.exec(`INSERT INTO contracts VALUES (701, '', '7', true, true), (702, '', '8', true, true), (703, '', '7а', true, true)`)
	in.storeExec(`INSERT INTO rights VALUES (701, '{1}'), (702, '{2}'), (703, '{2}')`)
	in.storeExec(`INSERT INTO keys VALUES (decode('00000000AF0701', 'hex'), 701, ''), (decode('00000000AF0702', 'hex'), 702, ''),
		(decode('00000000AF0703', 'hex'), 703, '')`)
	out, code := in.cli("reconcile", "--panel", "1", "--dry-run")
	if code != 0 || !strings.Contains(out, "00000000AF0701") || !strings.Contains(out, "panel 1, prune owned") {
		t.Fatalf("got %q exit %d, want panel 1's plan, named as such", out, code)
	}
	for _, not := range []string{"panel 2", "00000000AF0702", "uid 703", "full run", "device 2"} {
		if strings.Contains(out, not) {
			t.Errorf("panel 1's dry run shows %q:\n%s", not, out)
		}
	}
	out, code = in.cli("reconcile", "--panel", "1", "--dry-run", "--json")
	var plan reconcile.Plan
	if err := json.Unmarshal([]byte(out), &plan); code != 0 || err != nil {
		t.Fatalf("got %q exit %d: %v", out, code, err)
	}
	if plan.Panel != 1 || len(plan.Panels) != 1 || plan.Panels[0].Device.ID != 1 || len(plan.BadFlats) != 0 || len(plan.Access) != 1 {
		t.Fatalf("got %s, want panel 1's plan only", out)
	}
	out, _ = in.cli("reconcile", "--panel", "2", "--dry-run")
	if !strings.Contains(out, `bad flat  uid 703`) || !strings.Contains(out, "00000000AF0702") {
		t.Fatalf("panel 2's dry run: got %q, want its key and its contract's bad flat", out)
	}
}

// TestReconcileUnknownPanel: --panel naming no active panel is a usage
// error (exit 3) that records no run, with or without --dry-run.
func TestReconcileUnknownPanel(t *testing.T) {
	in := panelsInstall(t, 1)
	in.storeExec(`INSERT INTO devices (device_id, device_uuid, device_type, is_active, title) VALUES (5, gen_random_uuid(), 3, true, 'Ворота')`)
	for _, args := range [][]string{{"--panel", "99"}, {"--panel", "99", "--dry-run"}, {"--panel", "5"}} {
		err := Run(context.Background(), append([]string{"yardsync", "--config", in.config, "reconcile"}, args...), io.Discard, io.Discard)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "not an active panel") || !strings.Contains(err.Error(), "yardsync panels") {
			t.Errorf("%v: got %v, want exit 3 saying it is no active panel", args, err)
		}
	}
	var runs int
	in.storeQuery(`SELECT count(*) FROM yardsync_runs`, []any{&runs})
	if runs != 0 {
		t.Fatalf("%d runs recorded, want none", runs)
	}
}
