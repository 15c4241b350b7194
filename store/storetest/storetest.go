// Package storetest opens a migrated store on a fresh database for tests.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"yardsync/internal/testdb"
	"yardsync/store"
)

// MustOpenDB returns a store on a new PostgreSQL database with every
// migration applied; the database is dropped when the test ends.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	return open(tb, MigratedDSN(tb))
}

// MigratedDSN creates a new PostgreSQL database with every migration
// applied and returns a DSN for it; the database is dropped when the test
// ends. It is a copy of a template migrated once (see testdb.PostgresFrom),
// named after the migrations it holds, so a test pays for a copy, not for
// the migrations.
func MigratedDSN(tb testing.TB) string {
	tb.Helper()
	return testdb.PostgresFrom(tb, templateName(tb), func(dsn string) error {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		return db.Migrate(context.Background(), discard)
	})
}

// MustOpenDSN opens and migrates the store at dsn, closing it when the test ends.
func MustOpenDSN(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db := open(tb, dsn)
	if err := db.Migrate(context.Background(), discard); err != nil {
		tb.Fatal(err)
	}
	return db
}

// open opens the store at dsn, closing it when the test ends.
func open(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return db
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// templateName names the migrated template after a hash of the migration
// files, so a changed or added migration gets a template of its own.
func templateName(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	paths, err := filepath.Glob(filepath.Join(filepath.Dir(file), "..", "migrations", "*.sql"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("storetest: no migrations found beside %s: %v", file, err)
	}
	h := sha256.New()
	for _, p := range paths { // Glob sorts
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		h.Write([]byte(filepath.Base(p) + "\x00"))
		h.Write(data)
	}
	return "yardsync_tpl_" + hex.EncodeToString(h.Sum(nil))[:16]
}

// LockDevices holds an ACCESS EXCLUSIVE lock on the devices table of the
// database at dsn, from another session, as a stuck migration or an
// operator's open transaction would: every store read of devices waits.
// release rolls the lock back; the test's end does too.
func LockDevices(tb testing.TB, dsn string) (release func()) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		conn.Close(ctx)
		tb.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE devices IN ACCESS EXCLUSIVE MODE`); err != nil {
		conn.Close(ctx)
		tb.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if err := tx.Rollback(ctx); err != nil {
				tb.Error(err)
			}
			conn.Close(ctx)
		})
	}
	tb.Cleanup(release)
	return release
}
