package testdb

import (
	"context"
	"database/sql"
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
