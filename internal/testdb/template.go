package testdb

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// built holds the templates this test binary knows exist.
var built sync.Map // name -> *sync.Once-guarded error

type buildOnce struct {
	once sync.Once
	err  error
}

// PostgresFrom creates a fresh PostgreSQL database as a copy of the template
// database name (CREATE DATABASE ... TEMPLATE) and returns a DSN for it; it
// is dropped when the test ends, as Postgres's are. The template is built
// once, by build on the DSN of an empty database, by whichever test binary
// needs it first: under an advisory lock, so binaries running at once
// build it once, and under a temporary name renamed when build is done, so a
// binary killed midway leaves no half-built template. A template stays on
// the server and serves the next test runs: name it after what it holds
// (e.g. a hash of the migrations), and drop it whenever no test runs.
func PostgresFrom(tb testing.TB, name string, build func(dsn string) error) string {
	tb.Helper()
	v, _ := built.LoadOrStore(name, &buildOnce{})
	b := v.(*buildOnce)
	b.once.Do(func() { b.err = ensureTemplate(name, build) })
	if b.err != nil {
		tb.Fatalf("testdb: template %s: %v", name, b.err)
	}
	return createPostgres(tb, "TEMPLATE "+name)
}

// ensureTemplate builds the template name unless it exists.
func ensureTemplate(name string, build func(dsn string) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin := PostgresAdminDSN()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("PostgreSQL at %s is required: %w", admin, err)
	}
	defer conn.Close(ctx)
	// The lock is the session's: it goes with the connection if this
	// binary dies.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, "yardsync test template "+name); err != nil {
		return err
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil || exists {
		return err
	}
	tmp := name + "_build"
	// A build a killed binary left: nobody else builds under the lock.
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+tmp+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+tmp); err != nil {
		return err
	}
	u, err := url.Parse(admin)
	if err != nil {
		return err
	}
	u.Path = "/" + tmp
	if err := build(u.String()); err != nil {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+tmp+" WITH (FORCE)")
		return err
	}
	// build closed its sessions; the server may still be ending them, which
	// the rename waits for (up to 5 s). No session may open on the template
	// after: one would change it, or make a copy fail while it is there.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+tmp+" RENAME TO "+name); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS false")
	return err
}
