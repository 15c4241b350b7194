// Package storetest opens a migrated store on a fresh database for tests.
package storetest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"yardsync/internal/testdb"
	"yardsync/store"
)

// MustOpenDB returns a store on a new PostgreSQL database with every
// migration applied; the database is dropped when the test ends.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	return MustOpenDSN(tb, testdb.Postgres(tb))
}

// MustOpenDSN opens and migrates the store at dsn, closing it when the test ends.
func MustOpenDSN(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	if err := db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		tb.Fatal(err)
	}
	return db
}
