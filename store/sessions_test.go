package store_test

import (
	"testing"
	"time"

	"yardsync/store/storetest"
)

// Status page sessions: found until they expire by the store's clock, gone
// after a delete, and expired ones are dropped when a new one is saved.
func TestUISessions(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	live, old := []byte("live-session-hash"), []byte("old-session-hash")
	if _, err := db.SaveSession(ctx, old, "support", "csrf-old", -time.Second); err != nil { // expired when saved
		t.Fatal(err)
	}
	expires, err := db.SaveSession(ctx, live, "support", "csrf-live", time.Hour)
	if err != nil || time.Until(expires) < 59*time.Minute {
		t.Fatalf("save: expires %v, %v", expires, err)
	}
	user, csrf, _, ok, err := db.FindSession(ctx, live)
	if err != nil || !ok || user != "support" || csrf != "csrf-live" {
		t.Fatalf("find live: %q %q %v %v", user, csrf, ok, err)
	}
	if _, _, _, ok, err := db.FindSession(ctx, old); err != nil || ok {
		t.Fatalf("find expired: ok %v %v, want not found", ok, err)
	}
	var rows int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM yardsync_ui_sessions`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("rows after saving beside an expired one: %d %v, want the expired one dropped", rows, err)
	}
	if err := db.DeleteSession(ctx, live); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok, err := db.FindSession(ctx, live); err != nil || ok {
		t.Fatalf("find after delete: ok %v %v", ok, err)
	}
}
