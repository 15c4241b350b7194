package billing_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"yardsync/billing"
)

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
		if err != nil || !slices.Equal(got, []int64{1, 2}) {
			t.Fatalf("since 2025-03-01: got %v, %v, want [1 2]", got, err)
		}
		execMySQL(t, dsn, `INSERT INTO payments (date, sum, uid) VALUES (NOW(), 100, 5)`)
		got, err = c.Changes(ctx, time.Now().Add(-time.Minute))
		if err != nil || !slices.Equal(got, []int64{5}) {
			t.Fatalf("a payment now: got %v, %v, want [5]", got, err)
		}
	})
	t.Run("Postgres", func(t *testing.T) {
		t.Parallel()
		dsn := postgresBilling(t)
		c := open(t, billing.Config{Driver: "postgres", DSN: dsn, Queries: fixtureQueries(t, "postgres.yaml")})
		since := time.Now().Add(-time.Minute)
		execPostgres(t, dsn, `UPDATE services SET blocked = true WHERE abonent_id = 1005 AND kind = 'domofon'`)
		got, err := c.Changes(ctx, since)
		if err != nil || !slices.Equal(got, []int64{1005}) {
			t.Fatalf("a blocked service: got %v, %v, want [1005]", got, err)
		}
		if got, err := c.Changes(ctx, time.Now().Add(time.Hour)); err != nil || len(got) != 0 {
			t.Fatalf("nothing after an hour from now: got %v, %v", got, err)
		}
	})
}
