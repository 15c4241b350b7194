package billing_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"yardsync/billing"
	"yardsync/internal/testdb"
	"yardsync/reconcile"
)

// uidsOf lists the uids of change rows, ascending, each once.
func uidsOf(rows []reconcile.ChangeRow) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, r.UID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// The change-log queries of the fixture configs, run against their
// billings: ABillS's payments, fees and admin actions on MariaDB, and a
// trigger-fed log on PostgreSQL.
func TestChangesFixtures(t *testing.T) {
	ctx := context.Background()
	t.Run("MySQL", func(t *testing.T) {
		t.Parallel()
		dsn := mysqlBilling(t)
		c := open(t, billing.Config{Driver: "mysql", DSN: dsn, Queries: fixtureQueries(t, "mysql.yaml")})
		if !c.HasChanges() {
			t.Fatal("mysql.yaml has a changes query, HasChanges says no")
		}
		got, err := c.Changes(ctx, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || !slices.Equal(uidsOf(got), []int64{1, 2}) {
			t.Fatalf("since 2025-03-01: got %v, %v, want uids [1 2]", got, err)
		}
		execMySQL(t, dsn, `INSERT INTO payments (date, sum, uid) VALUES (NOW(), 100, 5)`)
		got, err = c.Changes(ctx, time.Now().Add(-time.Minute))
		if err != nil || !slices.Equal(uidsOf(got), []int64{5}) {
			t.Fatalf("a payment now: got %v, %v, want uid [5]", got, err)
		}
	})
	t.Run("Postgres", func(t *testing.T) {
		t.Parallel()
		dsn := postgresBilling(t)
		c := open(t, billing.Config{Driver: "postgres", DSN: dsn, Queries: fixtureQueries(t, "postgres.yaml")})
		since := time.Now().Add(-time.Minute)
		execPostgres(t, dsn, `UPDATE services SET blocked = true WHERE abonent_id = 1005 AND kind = 'domofon'`)
		got, err := c.Changes(ctx, since)
		if err != nil || !slices.Equal(uidsOf(got), []int64{1005}) {
			t.Fatalf("a blocked service: got %v, %v, want uid [1005]", got, err)
		}
		if got, err := c.Changes(ctx, time.Now().Add(time.Hour)); err != nil || len(got) != 0 {
			t.Fatalf("nothing after an hour from now: got %v, %v", got, err)
		}
	})
}

// The change log may return more columns after uid: the change's time, a
// payment id. Each distinct row comes back once; two changes of one
// contract are two rows; the same row read again is equal to itself.
func TestChangesRows(t *testing.T) {
	ctx := context.Background()
	since := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const query = `SELECT uid, changed_at, payment_id, amount, note FROM log WHERE changed_at > @since`
	check := func(t *testing.T, c *billing.Client) {
		t.Helper()
		got, err := c.Changes(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || !slices.Equal(uidsOf(got), []int64{1, 2}) || got[0].UID != 1 || got[1].UID != 1 {
			t.Fatalf("got %v, want two rows of uid 1 (one duplicate dropped) and one of uid 2", got)
		}
		if got[0].Rest == got[1].Rest || got[0].Rest == "" || got[2].Rest == "" {
			t.Fatalf("got %+v, want the other columns of each row, distinct per row", got)
		}
		again, err := c.Changes(ctx, since)
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("read again: got %+v, %v, want %+v", again, err, got)
		}
	}
	t.Run("Postgres", func(t *testing.T) {
		t.Parallel()
		dsn := testdb.Postgres(t)
		execPostgres(t, dsn, `
			CREATE TABLE log (uid int, changed_at timestamptz, payment_id bigint, amount numeric(10,2), note text);
			INSERT INTO log VALUES (1, '2026-03-02 09:00:01+00', 10, 5.5, 'a,b'), (1, '2026-03-02 09:00:02+00', 10, 5.5, 'a,b'),
				(1, '2026-03-02 09:00:01+00', 10, 5.5, 'a,b'), (2, '2026-03-02 09:00:01+00', NULL, NULL, NULL),
				(3, '2026-03-02 08:59:00+00', 11, 1, '')`)
		check(t, open(t, billing.Config{Driver: "postgres", DSN: dsn, Queries: billing.Queries{Changes: query}}))
	})
	t.Run("MySQL", func(t *testing.T) {
		t.Parallel()
		dsn := testdb.MySQL(t)
		execMySQL(t, dsn, `
			CREATE TABLE log (uid INT, changed_at DATETIME(6), payment_id BIGINT, amount DECIMAL(10,2), note VARCHAR(20));
			INSERT INTO log VALUES (1, '2026-03-02 09:00:01', 10, 5.5, 'a,b'), (1, '2026-03-02 09:00:01.5', 10, 5.5, 'a,b'),
				(1, '2026-03-02 09:00:01', 10, 5.5, 'a,b'), (2, '2026-03-02 09:00:01', NULL, NULL, NULL),
				(3, '2026-03-02 08:59:00', 11, 1, '')`)
		check(t, open(t, billing.Config{Driver: "mysql", DSN: dsn, Queries: billing.Queries{Changes: query}}))
	})
	t.Run("ErrNoUID", func(t *testing.T) {
		t.Parallel()
		dsn := testdb.Postgres(t)
		execPostgres(t, dsn, `CREATE TABLE log (abonent int, changed_at timestamptz)`)
		c := open(t, billing.Config{Driver: "postgres", DSN: dsn,
			Queries: billing.Queries{Changes: `SELECT abonent, changed_at FROM log WHERE changed_at > @since`}})
		_, err := c.Changes(ctx, since)
		if err == nil || !strings.Contains(err.Error(), "changes") || !strings.Contains(err.Error(), "uid") {
			t.Fatalf("got %v, want an error naming the changes query and its missing uid column", err)
		}
	})
}
