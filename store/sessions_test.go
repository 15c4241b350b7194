package store_test

import (
	"fmt"
	"testing"
	"time"

	"yardsync/store"
	"yardsync/store/storetest"
)

// Status page sessions: found until they expire by the store's clock, gone
// after a delete, and expired ones are dropped when a new one is saved.
func TestUISessions(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	live, old := []byte("live-session-hash"), []byte("old-session-hash")
	if _, err := db.SaveSession(ctx, old, store.Session{Username: "support", CSRF: "csrf-old"}, -time.Second); err != nil { // expired when saved
		t.Fatal(err)
	}
	expires, err := db.SaveSession(ctx, live, store.Session{Username: "support", Cred: "c1", CSRF: "csrf-live"}, time.Hour)
	if err != nil || time.Until(expires) < 59*time.Minute {
		t.Fatalf("save: expires %v, %v", expires, err)
	}
	s, ok, err := db.FindSession(ctx, live)
	if err != nil || !ok || s.Username != "support" || s.Cred != "c1" || s.CSRF != "csrf-live" || !s.Expires.Equal(expires) {
		t.Fatalf("find live: %+v %v %v", s, ok, err)
	}
	if _, ok, err := db.FindSession(ctx, old); err != nil || ok {
		t.Fatalf("find expired: ok %v %v, want not found", ok, err)
	}
	var rows int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM yardsync_ui_sessions`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("rows after saving beside an expired one: %d %v, want the expired one dropped", rows, err)
	}
	if err := db.DeleteSession(ctx, live); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.FindSession(ctx, live); err != nil || ok {
		t.Fatalf("find after delete: ok %v %v", ok, err)
	}
}

// RevokeUser ends every token and session of one user, and no one else's.
func TestRevokeUser(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	for i, user := range []string{"support", "support", "axbills"} {
		owner := store.TokenOwner{Username: user, Cred: "c"}
		if _, err := db.SaveToken(ctx, tokenHash(fmt.Sprint("tok", i)), owner, time.Hour, 5); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveSession(ctx, tokenHash(fmt.Sprint("ses", i)), store.Session{Username: user, Cred: "c", CSRF: "x"}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.RevokeUser(ctx, "support")
	if err != nil || got != (store.Revoked{Tokens: 2, Sessions: 2}) {
		t.Fatalf("revoke support: %+v %v, want 2 tokens and 2 sessions", got, err)
	}
	for i, want := range []bool{false, false, true} {
		_, tok, err1 := db.FindToken(ctx, tokenHash(fmt.Sprint("tok", i)))
		_, ses, err2 := db.FindSession(ctx, tokenHash(fmt.Sprint("ses", i)))
		if tok != want || ses != want || err1 != nil || err2 != nil {
			t.Errorf("login %d after revoking support: token %v session %v (%v %v), want %v", i, tok, ses, err1, err2, want)
		}
	}
	if got, err := db.RevokeUser(ctx, "nobody"); err != nil || got != (store.Revoked{}) {
		t.Fatalf("revoke an unknown user: %+v %v, want nothing", got, err)
	}
}

// 0017 on a store whose sessions predate it: they stay readable, with an
// empty cred that matches no user, so they log in again once.
func TestMigrateSessionCred(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	if _, err := db.Pool().Exec(ctx, `DROP INDEX yardsync_ui_sessions_user; ALTER TABLE yardsync_ui_sessions DROP COLUMN cred;
		DELETE FROM yardsync_schema_version WHERE version_id = 17;
		INSERT INTO yardsync_ui_sessions (id_hash, username, csrf, expires_at) VALUES ('\x01', 'support', 'x', now() + interval '1 hour')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, quiet()); err != nil {
		t.Fatalf("migrate with a session from before 0017: %v", err)
	}
	s, ok, err := db.FindSession(ctx, []byte{1})
	if err != nil || !ok || s.Username != "support" || s.Cred != "" {
		t.Fatalf("old session after 0017: %+v %v %v, want found with an empty cred", s, ok, err)
	}
}
