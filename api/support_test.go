package api

import (
	"testing"
	"time"

	"yardsync/reconcile"
)

func TestSupportCalls(t *testing.T) {
	s := newServer(t)
	ctx := t.Context()
	if _, err := s.db.Pool().Exec(ctx, `INSERT INTO devices (device_id, device_uuid, device_type, is_active, title, paneltype, panelip)
		VALUES (1, '00000000-0000-4000-8000-000000000001', 1, true, 'Подъезд 1', 1, '10.0.0.1')`); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.db.RecordChanges(ctx, []reconcile.Change{
		{At: now.Add(-48 * time.Hour), RunID: 1, DeviceID: 1, Op: "add", Code: "00000A1B2C3D4E", Flat: 8, UID: 5, Result: "ok"},
		{At: now.Add(-time.Minute), RunID: 2, DeviceID: 1, Op: "delete", Code: "00000A1B2C3D4E", Flat: 8, UID: 5, Result: "ok"},
	}); err != nil {
		t.Fatal(err)
	}
	t.Run("Log", func(t *testing.T) {
		out := s.must(200, "log", `{"uid": "5", "key": "0a1b2c3d4e", "since": "24h", "device_id": "None"}`)
		changes, _ := out["changes"].([]any)
		if len(changes) != 1 || changes[0].(map[string]any)["op"] != "delete" {
			t.Fatalf("got %v, want the delete of the last day", out)
		}
		if out := s.must(200, "log", ``); len(out["changes"].([]any)) != 2 {
			t.Fatalf("empty body: got %v, want every entry", out)
		}
	})
	t.Run("ErrLog", func(t *testing.T) {
		for _, body := range []string{`{"since": "yesterday"}`, `{"key": "xyz"}`, `{"uid": -1}`, `{"limit": 0}`, `[]`} {
			s.must(400, "log", body)
		}
	})
	t.Run("Panels", func(t *testing.T) {
		out := s.must(200, "panels", `{"failing": "true"}`)
		list, _ := out["panels"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["last_contact"] != nil || list[0].(map[string]any)["skipped"] != 0.0 {
			t.Fatalf("got %v, want the never-reached panel, no line skipped", out)
		}
	})
	t.Run("ErrExplainWithoutBilling", func(t *testing.T) {
		s.must(503, "explain", `{"uid": 5}`)
	})
}
