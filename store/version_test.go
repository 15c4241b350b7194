package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"yardsync/internal/testdb"
	"yardsync/store"
	"yardsync/store/storetest"
)

// TestSchemaState: a store never migrated, one behind, one current and one
// migrated by a newer yardsync, each as Schema reads it without writing.
func TestSchemaState(t *testing.T) {
	t.Parallel()
	newest := store.NewestMigration()
	t.Run("NeverMigrated", func(t *testing.T) {
		db, err := store.Open(ctx, testdb.Postgres(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		st, err := db.Schema(ctx)
		if err != nil || st.Applied != 0 || st.Newest != newest || len(st.Pending) == 0 {
			t.Fatalf("got %+v, %v: want nothing applied and every migration pending", st, err)
		}
		if err := st.Err(); err == nil || !strings.Contains(err.Error(), "yardsync migrate") {
			t.Fatalf("got %v, want an error saying to run yardsync migrate", err)
		}
		var n int
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d tables after reading the schema state (%v), want none: check writes nothing", n, err)
		}
	})
	t.Run("Behind", func(t *testing.T) {
		db := storetest.MustOpenDB(t)
		if _, err := db.Pool().Exec(ctx, `DELETE FROM yardsync_schema_version WHERE version_id = $1`, newest); err != nil {
			t.Fatal(err)
		}
		st, err := db.Schema(ctx)
		if err != nil || len(st.Pending) != 1 || st.Pending[0] != newest {
			t.Fatalf("got %+v, %v: want migration %d pending", st, err, newest)
		}
		if err := st.Err(); err == nil || !strings.Contains(err.Error(), "yardsync migrate") {
			t.Fatalf("got %v, want an error saying to run yardsync migrate", err)
		}
	})
	t.Run("Current", func(t *testing.T) {
		st, err := storetest.MustOpenDB(t).Schema(ctx)
		if err != nil || st.Applied != newest || len(st.Pending) != 0 || st.Err() != nil {
			t.Fatalf("got %+v, %v, %v: want up to date", st, err, st.Err())
		}
	})
	t.Run("ErrNewer", func(t *testing.T) {
		db := storetest.MustOpenDB(t)
		if _, err := db.Pool().Exec(ctx, `INSERT INTO yardsync_schema_version (version_id, is_applied) VALUES ($1, true)`, newest+1); err != nil {
			t.Fatal(err)
		}
		st, err := db.Schema(ctx)
		if err != nil || st.Applied != newest+1 {
			t.Fatalf("got %+v, %v", st, err)
		}
		both := []string{fmt.Sprint(newest + 1), fmt.Sprint(newest), "newer yardsync"}
		for name, err := range map[string]error{"Err": st.Err(), "Migrate": db.Migrate(ctx, quiet())} {
			if !errors.Is(err, store.ErrSchemaNewer) {
				t.Fatalf("%s: got %v, want ErrSchemaNewer", name, err)
			}
			for _, want := range both {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s: %q lacks %q", name, err, want)
				}
			}
		}
	})
}
