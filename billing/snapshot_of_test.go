package billing

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"yardsync/internal/testdb"
)

func TestSnapshotOf(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := testdb.Postgres(t)
	conn, err := pgx.Connect(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	my := testdb.MySQL(t)
	db, err := sql.Open("mysql", my)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{
		`CREATE TABLE c (id int, flat varchar(8), open_ int, paid int)`,
		`INSERT INTO c VALUES (1, '10', 1, 1), (2, '20', 1, 0), (3, '30', 0, 0)`,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	snapshot := "SELECT id AS uid, flat, open_ AS cams_open, paid AS cams_paid FROM c ORDER BY id;"
	for _, cfg := range []Config{
		{Driver: "postgres", DSN: pg, Queries: Queries{Snapshot: snapshot}},
		{Driver: "mysql", DSN: my, Queries: Queries{Snapshot: snapshot}},
		// a snapshot whose uid column cannot be named from outside: read whole and filtered
		{Driver: "postgres", DSN: pg, Queries: Queries{Snapshot: `SELECT id AS "UID", flat, open_ AS cams_open, paid AS cams_paid FROM c`}},
	} {
		cfg.Timeout = 5 * time.Second
		c, err := Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.SnapshotOf(ctx, []int64{2, 3, 99})
		c.Close()
		if err != nil {
			t.Fatalf("%s: %v", cfg.Driver, err)
		}
		if len(got) != 2 || got[0].UID != 2 || got[0].Flat != "20" || !got[0].CamsOpen || got[0].CamsPaid || got[1].UID != 3 {
			t.Fatalf("%s %q: got %+v", cfg.Driver, cfg.Queries.Snapshot, got)
		}
	}
}
