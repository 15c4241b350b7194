package metrics_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"yardsync/metrics"
	"yardsync/reconcile"
	"yardsync/store/storetest"
)

// TestPanelUpWrites: yardsync_panel_up, read from the store's panel status,
// is 0 for a panel whose writes failed although it answers reads, also
// after a later good read, and 1 again once a write outcome clears it.
func TestPanelUpWrites(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	if _, err := db.Pool().Exec(ctx, `INSERT INTO devices (device_id, device_uuid, device_type, is_active, paneltype, panelip)
		VALUES (4, '00000000-0000-4000-8000-000000000004', 1, true, 2, '10.0.0.4')`); err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.Panels(db.PanelStatuses)
	up := func(step, want string) {
		t.Helper()
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if line := `yardsync_panel_up{device_id="4"} ` + want; !strings.Contains(rec.Body.String(), line) {
			t.Fatalf("%s: /metrics lacks %s", step, line)
		}
	}
	read := func() {
		t.Helper()
		if err := db.RecordPanelContacts(ctx, []reconcile.PanelContact{{DeviceID: 4, At: time.Now(), OK: true, Keys: 1, Skipped: -1}}); err != nil {
			t.Fatal(err)
		}
	}
	write := func(errText string) {
		t.Helper()
		if err := db.RecordPanelWrites(ctx, []reconcile.PanelWrite{{DeviceID: 4, Error: errText}}); err != nil {
			t.Fatal(err)
		}
	}
	up("never reached", "0")
	read()
	up("read", "1")
	write("status 401: bad credentials")
	up("writes refused", "0")
	read()
	up("read after the refused write", "0")
	write("")
	up("writes seen", "1")
}

// TestPanelsNotKeepingWrites: yardsync_panels_not_keeping_writes counts the
// panels whose last write session was not kept, and no other failing panel.
func TestPanelsNotKeepingWrites(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	if _, err := db.Pool().Exec(ctx, `INSERT INTO devices (device_id, device_uuid, device_type, is_active, paneltype, panelip)
		VALUES (4, '00000000-0000-4000-8000-000000000004', 1, true, 2, '10.0.0.4'),
		       (5, '00000000-0000-4000-8000-000000000005', 1, true, 2, '10.0.0.5')`); err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.Panels(db.PanelStatuses)
	want := func(step, n string) {
		t.Helper()
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if line := "\nyardsync_panels_not_keeping_writes " + n + "\n"; !strings.Contains(rec.Body.String(), line) {
			t.Fatalf("%s: /metrics lacks %q", step, line)
		}
	}
	want("never reached", "0")
	if err := db.RecordPanelWrites(ctx, []reconcile.PanelWrite{{DeviceID: 4, Error: "1 of the session's writes not seen on the panel after it: add 0000000000AB01 flat 7"},
		{DeviceID: 5, Error: "status 401: bad credentials"}}); err != nil {
		t.Fatal(err)
	}
	want("panel 4 not keeping its writes, panel 5 refusing them", "1")
}
