// Package testdb gives each test its own database on the machine's real
// PostgreSQL and MariaDB servers, and drops it when the test ends. A server
// that cannot be reached fails the test: it never skips.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

// PostgresAdminDSN is the server tests create databases on; YARDSYNC_TEST_PG overrides it.
func PostgresAdminDSN() string {
	if v := os.Getenv("YARDSYNC_TEST_PG"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// MySQLAdminDSN is the MariaDB server tests create databases on; YARDSYNC_TEST_MYSQL overrides it.
func MySQLAdminDSN() string {
	if v := os.Getenv("YARDSYNC_TEST_MYSQL"); v != "" {
		return v
	}
	return "root@tcp(127.0.0.1:3306)/"
}

func uniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// Postgres creates a fresh PostgreSQL database and returns a DSN for it.
func Postgres(tb testing.TB) string {
	tb.Helper()
	return createPostgres(tb, "")
}

// createPostgres creates a database with the CREATE DATABASE options opts
// (e.g. its template), dropped when the test ends, and returns a DSN for it.
func createPostgres(tb testing.TB, opts string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := PostgresAdminDSN()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("testdb: PostgreSQL at %s is required: %v", admin, err)
	}
	defer conn.Close(ctx)
	name := uniqueName("yardsync_test")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" "+opts); err != nil {
		tb.Fatalf("testdb: create database: %v", err)
	}
	tb.Cleanup(func() { dropPostgres(tb, admin, name) })
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("testdb: parse %s: %v", admin, err)
	}
	u.Path = "/" + name
	return u.String()
}

func dropPostgres(tb testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Errorf("testdb: drop %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		tb.Errorf("testdb: drop %s: %v", name, err)
	}
}

// MySQL creates a fresh MariaDB database and returns a go-sql-driver DSN for it.
func MySQL(tb testing.TB) string {
	tb.Helper()
	admin := MySQLAdminDSN()
	db, err := sql.Open("mysql", admin)
	if err != nil {
		tb.Fatalf("testdb: MariaDB at %s: %v", admin, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := uniqueName("yardsync_test")
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		tb.Fatalf("testdb: MariaDB at %s is required: %v", admin, err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("mysql", admin)
		if err != nil {
			tb.Errorf("testdb: drop %s: %v", name, err)
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			tb.Errorf("testdb: drop %s: %v", name, err)
		}
	})
	cfg, err := mysql.ParseDSN(admin)
	if err != nil {
		tb.Fatalf("testdb: parse %s: %v", admin, err)
	}
	cfg.DBName = name
	return cfg.FormatDSN()
}
