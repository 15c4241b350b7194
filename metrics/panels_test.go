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
