package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
	"yardsync/store"
)

func TestLogAndPanelsCommands(t *testing.T) {
	in := newInstall(t, 1)
	if _, code := in.cli("migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, in.storeDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	in.storeExec(`INSERT INTO devices (device_id, device_uuid, device_type, is_active, title, paneltype, panelip) VALUES
		(1, '00000000-0000-4000-8000-000000000001', 1, true, 'Подъезд 1', 1, '10.0.0.1'),
		(2, '00000000-0000-4000-8000-000000000002', 1, true, 'Подъезд 2', 2, '10.0.0.2')`)
	now := time.Now()
	if err := db.RecordChanges(ctx, []reconcile.Change{
		{At: now.Add(-48 * time.Hour), RunID: 1, DeviceID: 1, Op: "add", Code: "0000000A1B2C3D", Flat: 12, UID: 501, Result: "ok"},
		{At: now.Add(-time.Hour), RunID: 2, DeviceID: 2, Op: "delete", Code: "0000000A1B2C3D", Flat: 12, UID: 501, Result: "failed", Error: "timeout"},
		{At: now.Add(-time.Minute), RunID: 3, DeviceID: 1, Op: "add", Code: "00000000000042", Flat: 3, UID: 502, Result: "ok"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordPanelContacts(ctx, []reconcile.PanelContact{{DeviceID: 1, At: now, OK: true, Keys: 2, Skipped: 3},
		{DeviceID: 2, At: now, Error: "connection refused", Keys: -1, Skipped: -1}}); err != nil {
		t.Fatal(err)
	}
	t.Run("LogJSON", func(t *testing.T) {
		out, code := in.cli("log", "--uid", "501", "--key", "0a:1b:2c:3d", "--since", "24h", "--json")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var got map[string]any
		if code != 0 || len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &got) != nil {
			t.Fatalf("got %q exit %d, want one line", out, code)
		}
		for k, want := range map[string]any{"run_id": 2.0, "device_id": 2.0, "op": "delete", "code": "0000000A1B2C3D",
			"flat": 12.0, "uid": 501.0, "result": "failed", "error": "timeout"} {
			if got[k] != want {
				t.Errorf("%s: got %v, want %v", k, got[k], want)
			}
		}
		if _, ok := got["at"]; !ok {
			t.Error("no at")
		}
	})
	t.Run("LogText", func(t *testing.T) {
		out, code := in.cli("log", "--panel", "1")
		if code != 0 || !strings.Contains(out, "00000000000042") || !strings.Contains(out, "0000000A1B2C3D") || strings.Contains(out, "timeout") {
			t.Fatalf("got %q exit %d, want panel 1's two writes", out, code)
		}
	})
	t.Run("ErrLogKey", func(t *testing.T) {
		if out, code := in.cli("log", "--key", "xyz"); code != 1 || !strings.Contains(out, "--key") {
			t.Fatalf("got %q exit %d", out, code)
		}
	})
	t.Run("PanelsFailingJSON", func(t *testing.T) {
		out, code := in.cli("panels", "--failing", "--json")
		var got map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("got %q exit %d, want one line", out, code)
		}
		for _, k := range []string{"device_id", "title", "family", "ip", "last_contact", "last_ok", "last_error", "keys", "managed_keys", "skipped"} {
			if _, ok := got[k]; !ok {
				t.Errorf("panels --json lacks %q: %s", k, out)
			}
		}
		if got["device_id"] != 2.0 || got["last_error"] != "connection refused" || got["last_ok"] != nil {
			t.Fatalf("got %s, want panel 2 failing and never ok", out)
		}
	})
	t.Run("PanelsText", func(t *testing.T) {
		out, code := in.cli("panels")
		if code != 0 || strings.Index(out, "FAILING") > strings.Index(out, "Подъезд 1") || !strings.Contains(out, "connection refused") {
			t.Fatalf("got %q exit %d, want the failing panel first", out, code)
		}
		// panel 1: 2 keys listed, none managed, 3 lines skipped, no error
		if !strings.Contains(out, "MANAGED  SKIPPED  LAST ERROR") || !regexp.MustCompile(`(?m)^1 .*  2 +0 +3 *$`).MatchString(out) {
			t.Fatalf("got %q, want a SKIPPED column with panel 1's 3", out)
		}
	})
	t.Run("PanelsSkippedJSON", func(t *testing.T) {
		out, _ := in.cli("panels", "--json")
		var skipped []float64
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var got map[string]any
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatalf("got %q: %v", out, err)
			}
			skipped = append(skipped, got["skipped"].(float64))
		}
		if len(skipped) != 2 || skipped[0] != 0 || skipped[1] != 3 {
			t.Fatalf("skipped %v, want 0 for panel 2 (never listed) and 3 for panel 1", skipped)
		}
	})
}

func TestExplainCommand(t *testing.T) {
	in := newInstall(t, 1)
	if _, code := in.cli("migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	ip := strings.Split(in.fleet.Addrs()[0], ":")[0]
	in.storeExec(`INSERT INTO devices (device_id, device_uuid, device_type, is_active, title, paneltype, panelip, panellogin, panelpasswd)
		VALUES (1, '00000000-0000-4000-8000-000000000001', 1, true, 'Подъезд 1', 2, $1, 'admin', 'pw')`, ip)
	in.storeExec(`INSERT INTO rights VALUES (701, '{1}')`)
	in.storeExec(`INSERT INTO keys VALUES (decode('0a1b2c3d4e', 'hex'), 701, 'брелок')`)
	in.exec(`INSERT INTO contracts VALUES (701, '', '9', true, false)`)
	t.Run("JSON", func(t *testing.T) {
		out, code := in.cli("explain", "--uid", "701", "--json")
		var ex reconcile.Explanation
		if code != 0 || json.Unmarshal([]byte(out), &ex) != nil {
			t.Fatalf("got %q exit %d", out, code)
		}
		if ex.Active || !ex.Billing.Found || ex.Billing.CamsPaid || len(ex.Panels) != 1 || ex.Panels[0].Via != "right" {
			t.Fatalf("got %+v", ex)
		}
		k := ex.Panels[0].Keys[0]
		if k.Code != "00000A1B2C3D4E" || k.Wanted || k.OnPanel == nil || *k.OnPanel || k.Owned {
			t.Fatalf("key %+v, want unwanted, read live as absent, not owned", k)
		}
	})
	t.Run("Text", func(t *testing.T) {
		out, code := in.cli("explain", "--uid", "701")
		for _, want := range []string{"contract 701: NO ACCESS", "has not paid", "00000A1B2C3D4E", "Подъезд 1", "right"} {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("got %q exit %d, want %q in it", out, code, want)
			}
		}
	})
	t.Run("CheckProbesPanels", func(t *testing.T) {
		out, code := in.cli("check")
		if code != 0 || !strings.Contains(out, "panel 1") || !strings.Contains(out, "1 of 1 panels answer") {
			t.Fatalf("got %q exit %d, want panel 1 probed and the summary", out, code)
		}
		in.fleet.Panel(0).SetFaults(panelsim.Faults{Unauthorized: true})
		defer in.fleet.Panel(0).SetFaults(panelsim.Faults{})
		out, code = in.cli("check")
		if code != 1 || !strings.Contains(out, "0 of 1 panels answer") || !strings.Contains(out, "FAIL") {
			t.Fatalf("a panel refusing the password: got %q exit %d", out, code)
		}
	})
	t.Run("ReconcilePanel", func(t *testing.T) {
		out, code := in.cli("reconcile", "--panel", "1", "--json")
		if code != 0 || !strings.Contains(out, `"panels":1`) {
			t.Fatalf("got %q exit %d", out, code)
		}
		if out, code := in.cli("reconcile", "--panel", "9", "--json"); code != exitUsage {
			t.Fatalf("an unknown panel: got %q exit %d, want the usage error's 3", out, code)
		}
	})
	t.Run("API", func(t *testing.T) {
		stop := in.serve()
		defer stop()
		var ex reconcile.Explanation
		if code := in.post("explain", `{"uid": "701"}`, &ex); code != 200 || ex.UID != 701 || len(ex.Panels) != 1 {
			t.Fatalf("explain/: got %d %+v", code, ex)
		}
		var sum reconcile.Summary
		if code := in.post("sync", `{"device_id": "1", "wait": true}`, &sum); code != 200 || sum.Status != "ok" || sum.Panels != 1 {
			t.Fatalf("sync/ device_id: got %d %+v", code, sum)
		}
		if code := in.post("sync", `{"device_id": 77, "wait": true}`, nil); code != 404 {
			t.Fatalf("sync/ of an unknown device: got %d, want 404", code)
		}
	})
}
