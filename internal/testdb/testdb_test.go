package testdb

import (
	"context"
	"database/sql"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestPostgres(t *testing.T) {
	dsn := Postgres(t)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var name string
	if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name == "postgres" || name == "" {
		t.Fatalf("got database %q, want a fresh one", name)
	}
}

func TestMySQL(t *testing.T) {
	dsn := MySQL(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name == "test" || name == "" {
		t.Fatalf("got database %q, want a fresh one", name)
	}
}

func TestLoadSmartYard(t *testing.T) {
	dsn := Postgres(t)
	LoadSmartYard(t, dsn)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM public.types").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("got %d types, want 3 from the dump", n)
	}
}

// TestPostgresFrom: binaries building one template at once build it once
// (the advisory lock), and each copy holds what the build put there.
func TestPostgresFrom(t *testing.T) {
	ctx := context.Background()
	name := uniqueName("yardsync_tpl_test")
	t.Cleanup(func() { dropPostgres(t, PostgresAdminDSN(), name) })
	var builds atomic.Int32
	build := func(dsn string) error {
		builds.Add(1)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `CREATE TABLE built (n int); INSERT INTO built VALUES (42)`)
		return err
	}
	errs := make(chan error, 3)
	for range 3 { // as three test binaries would, past this one's sync.Once
		go func() { errs <- ensureTemplate(name, build) }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := builds.Load(); n != 1 {
		t.Fatalf("built %d times, want once", n)
	}
	for range 2 {
		conn, err := pgx.Connect(ctx, PostgresFrom(t, name, build))
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = conn.QueryRow(ctx, `SELECT n FROM built`).Scan(&n)
		conn.Close(ctx)
		if err != nil || n != 42 {
			t.Fatalf("the copy holds %d, %v; want the template's 42", n, err)
		}
	}
	if n := builds.Load(); n != 1 {
		t.Fatalf("built %d times, want once", n)
	}
}
