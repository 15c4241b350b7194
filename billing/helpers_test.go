package billing_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"yardsync/billing"
	"yardsync/internal/testdb"
)

// fixture is a path under the module's testdata/billing.
func fixture(name string) string { return filepath.Join("..", "testdata", "billing", name) }

// fixtureQueries reads billing.queries from one of the fixture configs, so
// the configs shipped in testdata are the ones tested.
func fixtureQueries(tb testing.TB, name string) billing.Queries {
	tb.Helper()
	raw, err := os.ReadFile(fixture(name))
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Billing struct {
			Queries struct {
				UIDs     string `yaml:"uids"`
				Cams     string `yaml:"cams"`
				Contract string `yaml:"contract"`
				Snapshot string `yaml:"snapshot"`
				Changes  string `yaml:"changes"`
			} `yaml:"queries"`
		} `yaml:"billing"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	q := doc.Billing.Queries
	return billing.Queries{UIDs: q.UIDs, Cams: q.Cams, Contract: q.Contract, Snapshot: q.Snapshot, Changes: q.Changes}
}

// postgresBilling is a fresh PostgreSQL database holding the fixture billing.
func postgresBilling(tb testing.TB) string {
	tb.Helper()
	dsn := testdb.Postgres(tb)
	execPostgres(tb, dsn, readFixture(tb, "postgres.sql"))
	return dsn
}

func execPostgres(tb testing.TB, dsn, sql string) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("exec: %v", err)
	}
}

// mysqlBilling is a fresh MariaDB database holding the fixture billing.
func mysqlBilling(tb testing.TB) string {
	tb.Helper()
	dsn := testdb.MySQL(tb)
	execMySQL(tb, dsn, readFixture(tb, "mysql.sql"))
	return dsn
}

func execMySQL(tb testing.TB, dsn, query string) {
	tb.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MultiStatements = true
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		tb.Fatalf("exec: %v", err)
	}
}

func readFixture(tb testing.TB, name string) string {
	tb.Helper()
	raw, err := os.ReadFile(fixture(name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(raw)
}

// open opens a client and closes it when the test ends.
func open(tb testing.TB, cfg billing.Config) *billing.Client {
	tb.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.PhonePrefix == "" {
		cfg.PhonePrefix = "8"
	}
	c, err := billing.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(c.Close)
	return c
}
