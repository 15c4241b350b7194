package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"yardsync/store"
	"yardsync/store/storetest"
)

// TestStatementTimeout: a store call blocked by another session's lock
// ends with PostgreSQL's statement timeout error, even on a context with no
// deadline (as a daemon's run has), and the next call works once the lock
// is gone.
func TestStatementTimeout(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.MigratedDSN(t)
	const timeout = 500 * time.Millisecond
	db, err := store.OpenConfig(ctx, store.Config{DSN: dsn, StatementTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	release := storetest.LockDevices(t, dsn)

	began := time.Now()
	_, err = db.Devices(ctx)
	took := time.Since(began)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || !strings.Contains(err.Error(), "statement timeout") {
		t.Fatalf("got %v, want the statement timeout's error", err)
	}
	if took < timeout || took > timeout+2*time.Second {
		t.Errorf("the blocked call ended after %s, want its statement timeout %s", took, timeout)
	}

	release()
	if _, err := db.Devices(ctx); err != nil {
		t.Fatalf("after the lock is gone: %v", err)
	}
	// The default reaches the sessions too.
	def, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	var got string
	if err := def.Pool().QueryRow(ctx, `SHOW statement_timeout`).Scan(&got); err != nil || got != "30s" {
		t.Errorf("statement_timeout = %q, %v; want 30s", got, err)
	}
}
