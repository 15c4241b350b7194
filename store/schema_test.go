package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"yardsync/internal/testdb"
	"yardsync/reconcile"
	"yardsync/store"
	"yardsync/store/storetest"
)

// A database of rosteleset's SmartYard-Server is refused before anything is
// created beside its tables.
func TestMigrateRefusesSmartYardServer(t *testing.T) {
	t.Parallel()
	dsn := testdb.Postgres(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE houses_domophones (house_domophone_id serial PRIMARY KEY, url text);
		CREATE TABLE houses_rfids (house_rfid_id serial PRIMARY KEY, rfid text)`); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Migrate(ctx, quiet())
	if !errors.Is(err, reconcile.ErrInvalid) || !strings.Contains(err.Error(), "houses_domophones, houses_rfids") {
		t.Fatalf("got %v, want a refusal naming SmartYard-Server's tables", err)
	}
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 2 {
		t.Fatalf("%d tables after the refused migrate, want the 2 that were there", tables)
	}
}

// A database migrated before a lower-numbered migration landed still gets it.
func TestMigrateOutOfOrder(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	if _, err := db.Pool().Exec(ctx, `DROP TABLE yardsync_api_tokens;
		DELETE FROM yardsync_schema_version WHERE version_id = 6`); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, quiet()); err != nil {
		t.Fatalf("migrate with 0006 missing below applied ones: %v", err)
	}
	var n int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM yardsync_api_tokens`).Scan(&n); err != nil {
		t.Fatalf("0006 not applied: %v", err)
	}
}
