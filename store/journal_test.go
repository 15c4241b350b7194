package store_test

import (
	"testing"
	"time"

	"yardsync/reconcile"
	"yardsync/store/storetest"
)

func TestChangeLog(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	changes := []reconcile.Change{
		{At: t0, RunID: 1, DeviceID: 7, Op: reconcile.OpAdd, Code: "0000000A1B2C3D", Flat: 12, UID: 501, Result: reconcile.ResultOK},
		{At: t0.Add(time.Minute), RunID: 2, DeviceID: 8, Op: reconcile.OpAdd, Code: "0000000A1B2C3D", Flat: 12, UID: 501, Result: reconcile.ResultFailed, Error: "panel refused"},
		{At: t0.Add(2 * time.Minute), RunID: 2, DeviceID: 7, Op: reconcile.OpDelete, Code: "00000000000042", Flat: 3, UID: 502, Result: reconcile.ResultOK},
	}
	if err := db.RecordChanges(ctx, changes); err != nil {
		t.Fatal(err)
	}
	count := func(f reconcile.ChangeFilter) int {
		t.Helper()
		got, err := db.Changes(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	t.Run("Filters", func(t *testing.T) {
		cases := map[string]struct {
			f    reconcile.ChangeFilter
			want int
		}{
			"all":    {reconcile.ChangeFilter{}, 3},
			"uid":    {reconcile.ChangeFilter{UID: 501}, 2},
			"panel":  {reconcile.ChangeFilter{DeviceID: 7}, 2},
			"key":    {reconcile.ChangeFilter{Code: "00000000000042"}, 1},
			"since":  {reconcile.ChangeFilter{Since: t0.Add(30 * time.Second)}, 2},
			"limit":  {reconcile.ChangeFilter{Limit: 1}, 1},
			"nobody": {reconcile.ChangeFilter{UID: 999}, 0},
		}
		for name, c := range cases {
			if got := count(c.f); got != c.want {
				t.Errorf("%s: got %d entries, want %d", name, got, c.want)
			}
		}
	})
	t.Run("NewestFirstAsWritten", func(t *testing.T) {
		got, err := db.Changes(ctx, reconcile.ChangeFilter{UID: 501})
		if err != nil {
			t.Fatal(err)
		}
		want := changes[1]
		if !got[0].At.Equal(want.At) || got[0].DeviceID != 8 || got[0].Result != "failed" || got[0].Error != "panel refused" || got[0].Flat != 12 {
			t.Fatalf("got %+v, want %+v first", got[0], want)
		}
	})
	t.Run("Prune", func(t *testing.T) {
		n, err := db.PruneChanges(ctx, t0.Add(90*time.Second))
		if err != nil || n != 2 {
			t.Fatalf("pruned %d, %v; want 2", n, err)
		}
		if got := count(reconcile.ChangeFilter{}); got != 1 {
			t.Fatalf("%d entries left, want 1", got)
		}
	})
}

func TestPanelStatus(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	_, err := db.Pool().Exec(ctx, `
		INSERT INTO devices (device_id, device_uuid, device_type, is_active, title, paneltype, panelip) VALUES
		 (1, '00000000-0000-4000-8000-000000000001', 1, true, 'Подъезд 1', 1, '10.0.0.1'),
		 (2, '00000000-0000-4000-8000-000000000002', 1, true, 'Подъезд 2', 2, '10.0.0.2'),
		 (3, '00000000-0000-4000-8000-000000000003', 1, true, 'new', 2, '10.0.0.3'),
		 (4, '00000000-0000-4000-8000-000000000004', 3, true, 'lock', NULL, NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ClaimKeys(ctx, []reconcile.OwnedKey{{DeviceID: 1, Code: "0000000A1B2C3D", Flat: 1, UID: 5}}, true); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	step := func(contacts ...reconcile.PanelContact) {
		t.Helper()
		if err := db.RecordPanelContacts(ctx, contacts); err != nil {
			t.Fatal(err)
		}
	}
	step(reconcile.PanelContact{DeviceID: 1, At: t0, OK: true, Keys: 40, Probe: "rfid_cgi"},
		reconcile.PanelContact{DeviceID: 2, At: t0, OK: true, Keys: 12})
	step(reconcile.PanelContact{DeviceID: 2, At: t0.Add(time.Minute), Error: "connection refused", Keys: -1})
	all, err := db.PanelStatuses(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].DeviceID != 2 || all[1].DeviceID != 3 || all[2].DeviceID != 1 {
		t.Fatalf("got %+v, want panels 2 (failing), 3 (never reached), 1 (ok); not the lock", all)
	}
	p2, p1 := all[0], all[2]
	if p2.LastError != "connection refused" || !p2.LastOK.Equal(t0) || !p2.LastContact.Equal(t0.Add(time.Minute)) || *p2.Keys != 12 || p2.Family != "sokol" {
		t.Errorf("failing panel: got %+v, want the error, the last good time and key count kept", p2)
	}
	if p1.Failing() || p1.ManagedKeys != 1 || *p1.Keys != 40 || p1.Probe != "rfid_cgi" || p1.IP != "10.0.0.1" || p1.Title != "Подъезд 1" {
		t.Errorf("ok panel: got %+v", p1)
	}
	failing, err := db.PanelStatuses(ctx, true)
	if err != nil || len(failing) != 2 {
		t.Fatalf("--failing: got %+v, %v; want panels 2 and 3", failing, err)
	}
}

// TestPanelWriteStatus: a failed write session's error makes a panel
// failing until a write outcome without one replaces it; contacts, good or
// bad, neither hide it nor clear it. Skipped entries are kept like keys.
func TestPanelWriteStatus(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	_, err := db.Pool().Exec(ctx, `
		INSERT INTO devices (device_id, device_uuid, device_type, is_active, title, paneltype, panelip) VALUES
		 (1, '00000000-0000-4000-8000-000000000001', 1, true, 'Подъезд 1', 1, '10.0.0.1')`)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	contact := func(c reconcile.PanelContact) {
		t.Helper()
		c.DeviceID = 1
		if err := db.RecordPanelContacts(ctx, []reconcile.PanelContact{c}); err != nil {
			t.Fatal(err)
		}
	}
	write := func(errText string) {
		t.Helper()
		if err := db.RecordPanelWrites(ctx, []reconcile.PanelWrite{{DeviceID: 1, Error: errText}}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step, wantErr string, wantKeys, wantSkipped int) {
		t.Helper()
		all, err := db.PanelStatuses(ctx, false)
		if err != nil || len(all) != 1 {
			t.Fatalf("%s: got %+v, %v", step, all, err)
		}
		p := all[0]
		if p.LastError != wantErr || p.Failing() != (wantErr != "") || p.Keys == nil || *p.Keys != wantKeys || p.Skipped != wantSkipped {
			t.Fatalf("%s: got error %q, failing %v, keys %v, skipped %d; want %q, %d keys, %d skipped",
				step, p.LastError, p.Failing(), p.Keys, p.Skipped, wantErr, wantKeys, wantSkipped)
		}
		failing, err := db.PanelStatuses(ctx, true)
		if err != nil || len(failing) != map[bool]int{true: 1, false: 0}[wantErr != ""] {
			t.Fatalf("%s: --failing got %+v, %v", step, failing, err)
		}
	}
	contact(reconcile.PanelContact{At: t0, OK: true, Keys: 4, Skipped: 3})
	check("listed", "", 4, 3)
	write("status 401: bad credentials")
	check("write refused", "status 401: bad credentials", 4, 3)
	contact(reconcile.PanelContact{At: t0.Add(time.Minute), OK: true, Keys: 5, Skipped: -1})
	check("a later good read", "status 401: bad credentials", 5, 3)
	contact(reconcile.PanelContact{At: t0.Add(2 * time.Minute), Error: "timeout", Keys: -1, Skipped: -1})
	check("unreachable", "timeout", 5, 3)
	contact(reconcile.PanelContact{At: t0.Add(3 * time.Minute), OK: true, Keys: 5, Skipped: 0})
	check("back", "status 401: bad credentials", 5, 0)
	write("")
	check("a session's writes seen", "", 5, 0)
}
