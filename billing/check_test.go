package billing_test

import (
	"context"
	"strings"
	"testing"

	"yardsync/billing"
)

// probes maps each of Check's probes by query name.
func probes(list []billing.Probe) map[string]billing.Probe {
	out := map[string]billing.Probe{}
	for _, p := range list {
		out[p.Query] = p
	}
	return out
}

// TestCheckBillingLine: the billing line runs a query. A billing that is
// down or refuses the login fails it, and the queries that could not run
// say so instead of repeating its error; one that answers names its server.
func TestCheckBillingLine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name, driver, dsn, queries, status, want string
	}{
		{"ErrMySQLDown", "mysql", "root@tcp(127.0.0.1:1)/abills", "mysql.yaml", "error", "connection refused"},
		{"ErrMySQLAccessDenied", "mysql", "yardsync_nobody:wrong@tcp(127.0.0.1:3306)/abills", "mysql.yaml", "error", "Access denied"},
		{"ErrPostgresDown", "postgres", "postgres://postgres@127.0.0.1:1/billing?sslmode=disable&connect_timeout=2", "postgres.yaml", "error", "connect"},
		{"MySQL", "mysql", "", "mysql.yaml", "ok", "MariaDB"},
		{"Postgres", "postgres", "", "postgres.yaml", "ok", "PostgreSQL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dsn := c.dsn
			if dsn == "" && c.driver == "mysql" {
				dsn = mysqlBilling(t)
			} else if dsn == "" {
				dsn = postgresBilling(t)
			}
			cl := open(t, billing.Config{Driver: c.driver, DSN: dsn, Queries: fixtureQueries(t, c.queries)})
			got := probes(cl.Check(ctx, billing.CheckInput{}))
			line := got["billing"]
			if line.Status != c.status || !strings.Contains(line.Detail, c.want) || !strings.Contains(line.Detail, "driver "+c.driver) {
				t.Fatalf("billing line %+v, want %s naming driver %s and %q", line, c.status, c.driver, c.want)
			}
			for _, q := range []string{"uids", "cams", "contract", "snapshot"} {
				p := got[q]
				if c.status == "error" && (p.Status != "skipped" || !strings.Contains(p.Detail, "billing line")) {
					t.Errorf("%s: got %+v, want skipped for the billing line's failure", q, p)
				}
				if c.status == "ok" && p.Status != "ok" {
					t.Errorf("%s: got %+v, want ok", q, p)
				}
			}
		})
	}
	t.Run("File", func(t *testing.T) {
		t.Parallel()
		cl := open(t, billing.Config{Driver: "file", Path: fixture("demo.yaml")})
		if line := probes(cl.Check(ctx, billing.CheckInput{}))["billing"]; line.Status != "ok" || !strings.Contains(line.Detail, "demo.yaml") {
			t.Fatalf("billing line %+v, want ok naming the file", line)
		}
	})
}

// TestCheckSnapshotShrunk: a snapshot with no active contract, or with
// fewer than half of the contracts the runs recorded as paid, is a warning,
// never a pass without a word; the same count against a smaller record is ok.
func TestCheckSnapshotShrunk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := postgresBilling(t)
	cl := open(t, billing.Config{Driver: "postgres", DSN: dsn, Queries: fixtureQueries(t, "postgres.yaml")})
	cases := []struct {
		paid         int
		status, want string
	}{
		{0, "ok", "5 contracts, 2 active"},
		{4, "ok", "5 contracts, 2 active"},
		{5, "warning", "fewer than half of the 5 contracts"},
	}
	for _, c := range cases {
		if p := probes(cl.Check(ctx, billing.CheckInput{Paid: c.paid}))["snapshot"]; p.Status != c.status || !strings.Contains(p.Detail, c.want) {
			t.Errorf("paid %d: got %+v, want %s with %q", c.paid, p, c.status, c.want)
		}
	}
	execPostgres(t, dsn, `UPDATE services SET blocked = true`)
	if p := probes(cl.Check(ctx, billing.CheckInput{}))["snapshot"]; p.Status != "warning" || !strings.Contains(p.Detail, "no active contract") {
		t.Errorf("none paid: got %+v, want a warning that no contract is active", p)
	}
}
