package billing_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

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

func mustZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
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
		if err != nil || !slices.Equal(uidsOf(got), []int64{1, 2}) || len(got) != 3 {
			t.Fatalf("since 2025-03-01: got %+v, %v, want uids [1 2] in three rows (uid 2's fee and admin action are two)", got, err)
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

// pgParam adds a connection parameter to a PostgreSQL URL.
func pgParam(tb testing.TB, dsn, key, value string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// @since is a point in time. Whatever zone the daemon's clock is on, and
// whatever the billing session's time zone or the DSN's loc, a row stamped
// a second after it comes back and one stamped a second before does not:
// in a column without a zone that holds UTC, in one with a zone, and in a
// zoneless one holding Moscow time compared as docs/billing.md shows.
func TestChangesSince(t *testing.T) {
	ctx := context.Background()
	moscow := mustZone(t, "Europe/Moscow")
	since := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).In(moscow) // the daemon's clock reads 12:00
	const query = `SELECT uid FROM log_utc WHERE changed_at > @since
		UNION SELECT uid FROM log_zoned WHERE changed_at > @since
		UNION SELECT uid FROM log_local WHERE changed_at > `
	t.Run("Postgres", func(t *testing.T) {
		t.Parallel()
		dsn := testdb.Postgres(t)
		execPostgres(t, dsn, `
			CREATE TABLE log_utc (uid int, changed_at timestamp);
			CREATE TABLE log_zoned (uid int, changed_at timestamptz);
			CREATE TABLE log_local (uid int, changed_at timestamp);
			INSERT INTO log_utc VALUES (1, '2026-03-02 08:59:59'), (2, '2026-03-02 09:00:01');
			INSERT INTO log_zoned VALUES (3, '2026-03-02 08:59:59+00'), (4, '2026-03-02 09:00:01+00');
			INSERT INTO log_local VALUES (5, '2026-03-02 11:59:59'), (6, '2026-03-02 12:00:01')`)
		// The billing's sessions run on New York time.
		c := open(t, billing.Config{Driver: "postgres", DSN: pgParam(t, dsn, "timezone", "America/New_York"),
			Queries: billing.Queries{Changes: query + `(@since AT TIME ZONE 'Europe/Moscow')`}})
		got, err := c.Changes(ctx, since)
		if err != nil || !slices.Equal(uidsOf(got), []int64{2, 4, 6}) {
			t.Fatalf("since 09:00:00 UTC: got %v, %v, want uids [2 4 6]", got, err)
		}
	})
	t.Run("MySQL", func(t *testing.T) {
		t.Parallel()
		dsn := testdb.MySQL(t)
		execMySQL(t, dsn, `
			SET time_zone = '+00:00';
			CREATE TABLE log_utc (uid INT, changed_at DATETIME);
			CREATE TABLE log_zoned (uid INT, changed_at TIMESTAMP NULL);
			CREATE TABLE log_local (uid INT, changed_at DATETIME);
			INSERT INTO log_utc VALUES (1, '2026-03-02 08:59:59'), (2, '2026-03-02 09:00:01');
			INSERT INTO log_zoned VALUES (3, '2026-03-02 08:59:59'), (4, '2026-03-02 09:00:01');
			INSERT INTO log_local VALUES (5, '2026-03-02 11:59:59'), (6, '2026-03-02 12:00:01')`)
		// The DSN says loc=Europe/Moscow and the sessions' time_zone is New York's.
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Loc = moscow
		cfg.Params = map[string]string{"time_zone": "'-05:00'"}
		c := open(t, billing.Config{Driver: "mysql", DSN: cfg.FormatDSN(),
			Queries: billing.Queries{Changes: query + `CONVERT_TZ(@since, '+00:00', '+03:00')`}})
		got, err := c.Changes(ctx, since)
		if err != nil || !slices.Equal(uidsOf(got), []int64{2, 4, 6}) {
			t.Fatalf("since 09:00:00 UTC: got %v, %v, want uids [2 4 6]", got, err)
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

// Only the changes query runs in UTC: the other queries, before and after
// it, keep the billing session's own zone, which CURDATE() or CURRENT_DATE
// in a paid-until test depends on.
func TestChangesSessionZone(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, c *billing.Client, wantUTC string) {
		t.Helper()
		for range 3 { // the pool's sessions are reused
			if st, err := c.Cams(ctx, 1); err != nil || !st.CamsOpen {
				t.Fatalf("cams: got %+v, %v, want the session's own zone (cams_open true)", st, err)
			}
			got, err := c.Changes(ctx, time.Now())
			if err != nil || len(got) != 1 || got[0].Rest != wantUTC {
				t.Fatalf("changes: got %+v, %v, want one row with the zone %s", got, err, wantUTC)
			}
		}
	}
	t.Run("Postgres", func(t *testing.T) {
		t.Parallel()
		dsn := pgParam(t, testdb.Postgres(t), "timezone", "Pacific/Kiritimati")
		check(t, open(t, billing.Config{Driver: "postgres", DSN: dsn, Queries: billing.Queries{
			Cams:    `SELECT current_setting('TimeZone') = 'Pacific/Kiritimati' AS cams_open, true AS cams_paid WHERE @uid > 0`,
			Changes: `SELECT 1 AS uid, current_setting('TimeZone') AS zone WHERE @since IS NOT NULL`,
		}}), `"UTC"`)
	})
	t.Run("MySQL", func(t *testing.T) {
		t.Parallel()
		cfg, err := mysql.ParseDSN(testdb.MySQL(t))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Params = map[string]string{"time_zone": "'+13:00'"}
		check(t, open(t, billing.Config{Driver: "mysql", DSN: cfg.FormatDSN(), Queries: billing.Queries{
			Cams:    `SELECT @@session.time_zone = '+13:00' AS cams_open, 1 AS cams_paid FROM DUAL WHERE @uid > 0`,
			Changes: `SELECT 1 AS uid, @@session.time_zone AS zone FROM DUAL WHERE @since IS NOT NULL`,
		}}), `"+00:00"`)
	})
}
