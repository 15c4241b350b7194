package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"yardsync/internal/testdb"
	"yardsync/panels/panelsim"
	"yardsync/store"
)

// checkLine finds check's line for one probe, its columns one space apart:
// "NAME STATUS detail".
func checkLine(out, name string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` +(OK|FAIL|WARN|-) .*$`).FindString(out)
	return strings.Join(strings.Fields(m), " ")
}

// TestCheckStoreSchema: check fails on a store that was never migrated, or
// that a newer yardsync migrated, and says what to run; a migrated store
// passes with its migration.
func TestCheckStoreSchema(t *testing.T) {
	in := newInstall(t, 1)
	in.unmigrated()
	out, code := in.cli("check")
	if line := checkLine(out, "store"); code != 1 || !strings.Contains(line, "FAIL") || !strings.Contains(line, "yardsync migrate") {
		t.Fatalf("unmigrated: got %q exit %d, want the store line failing and saying to run yardsync migrate\n%s", line, code, out)
	}
	if _, code := in.cli("migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	newest := store.NewestMigration()
	out, code = in.cli("check")
	if line := checkLine(out, "store"); code != 0 || !strings.Contains(line, fmt.Sprintf("OK connected, migrated (migration %d)", newest)) {
		t.Fatalf("migrated: got %q exit %d\n%s", line, code, out)
	}
	in.storeExec(`INSERT INTO yardsync_schema_version (version_id, is_applied) VALUES ($1, true)`, newest+1)
	out, code = in.cli("check")
	line := checkLine(out, "store")
	for _, want := range []string{"FAIL", fmt.Sprintf("migration %d", newest+1), fmt.Sprintf("up to %d", newest), "run the newer yardsync"} {
		if code != 1 || !strings.Contains(line, want) {
			t.Errorf("newer: got %q exit %d, want %q", line, code, want)
		}
	}
}

// TestCheckBillingDown: the billing line fails when the billing does not
// answer (down, or the login refused) instead of naming the driver as OK,
// and the queries it could not run are not counted again.
func TestCheckBillingDown(t *testing.T) {
	for name, dsn := range map[string]string{
		"Refused":      "root@tcp(127.0.0.1:1)/abills",
		"AccessDenied": "yardsync_nobody:wrong@tcp(127.0.0.1:3306)/abills",
	} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Store.DSN = testdb.Postgres(t)
			cfg.Billing.Driver, cfg.Billing.DSN = "mysql", dsn
			cfg.Billing.Queries.UIDs = "SELECT uid FROM users WHERE phone = @phone"
			cfg.Billing.Queries.Snapshot = "SELECT uid, flat, cams_open, cams_paid FROM users"
			conf := writeBillingConfig(t, cfg)
			if _, err := runBillingCLI("-c", conf, "migrate"); err != nil {
				t.Fatal(err)
			}
			out, err := runBillingCLI("-c", conf, "check")
			line := checkLine(out, "billing")
			if exitCode(err) != 1 || !strings.HasPrefix(line, "billing FAIL driver mysql: ") {
				t.Fatalf("got %q (%v), want the billing line failing\n%s", line, err, out)
			}
			if snap := checkLine(out, "snapshot"); !strings.Contains(snap, "not run: the billing did not answer") {
				t.Errorf("snapshot: got %q, want it not run", snap)
			}
			if !strings.Contains(err.Error(), "1 problem(s)") {
				t.Errorf("got %v, want one problem: the billing line", err)
			}
		})
	}
}

// TestCheckPanelsAndSnapshot: one failing panel fails the panels line,
// which names it, and its line says what to do; a snapshot with no active
// contract is a warning, and warnings alone pass.
func TestCheckPanelsAndSnapshot(t *testing.T) {
	in := newInstall(t, 2)
	if _, code := in.cli("migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	for i, addr := range in.fleet.Addrs() {
		in.storeExec(`INSERT INTO devices (device_id, device_uuid, device_type, is_active, title, paneltype, panelip, panellogin, panelpasswd)
			VALUES ($1, gen_random_uuid(), 1, true, 'Подъезд', 2, $2, 'admin', 'pw')`, i+1, strings.Split(addr, ":")[0])
	}
	in.exec(`INSERT INTO contracts VALUES (701, '', '7', true, false)`)
	out, code := in.cli("check")
	if line := checkLine(out, "snapshot"); code != 0 || !strings.Contains(line, "WARN 1 contracts, 0 active: no active contract") {
		t.Fatalf("no active contract: got %q exit %d, want a warning and a pass\n%s", line, code, out)
	}
	in.fleet.Panel(1).SetFaults(panelsim.Faults{Unauthorized: true})
	out, code = in.cli("check")
	if line := checkLine(out, "panels"); code != 1 || !strings.Contains(line, "FAIL 1 of 2 panels answer with their key table; failing: 2") {
		t.Fatalf("a panel refusing the password: got %q exit %d\n%s", line, code, out)
	}
	if !strings.Contains(out, "what to do: The panel refuses yardsync's login: check panellogin and panelpasswd of device 2") {
		t.Fatalf("no hint under panel 2's line:\n%s", out)
	}
}
