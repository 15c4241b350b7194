package billing_test

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"yardsync/billing"
	"yardsync/reconcile"
)

// queryLog records the name of every query a client runs.
type queryLog struct {
	mu    sync.Mutex
	names []string
}

func (l *queryLog) record(name string, _ time.Duration, _ error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names = append(l.names, name)
}

func (l *queryLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.names
	l.names = nil
	return out
}

// billingFixture is one of the fixture billings with its queries and an
// edit that makes its snapshot query impossible to narrow by uid.
type billingFixture struct {
	driver    string
	open      func(testing.TB) string
	queries   string
	unnarrow  func(snapshot string) string
	breakSQL  string // makes every snapshot query fail
	execSQL   func(testing.TB, string, string)
	sampleUID int64
}

var billingFixtures = []billingFixture{
	{
		driver: "postgres", open: postgresBilling, queries: "postgres.yaml", execSQL: execPostgres, sampleUID: 1001,
		// A quoted upper-case name is a column no outer filter on uid can reach.
		unnarrow: func(q string) string {
			return `SELECT uid AS "UID", flat, cams_open, cams_paid FROM (` + q + `) s`
		},
		breakSQL: `ALTER TABLE abonents RENAME TO abonents_gone`,
	},
	{
		driver: "mysql", open: mysqlBilling, queries: "mysql.yaml", execSQL: execMySQL, sampleUID: 1,
		// MariaDB allows SQL_NO_CACHE only in the outermost SELECT.
		unnarrow: func(q string) string { return strings.Replace(q, "SELECT", "SELECT SQL_NO_CACHE", 1) },
		breakSQL: `RENAME TABLE users TO users_gone`,
	},
}

// openLogged opens the fixture billing with a snapshot query and a query log.
func (f billingFixture) openLogged(t *testing.T, dsn, snapshot string) (*billing.Client, *queryLog) {
	t.Helper()
	log := &queryLog{}
	q := fixtureQueries(t, f.queries)
	if snapshot != "" {
		q.Snapshot = snapshot
	}
	return open(t, billing.Config{Driver: f.driver, DSN: dsn, Queries: q, OnQuery: log.record}), log
}

// wantOf is the whole snapshot filtered to uids: what SnapshotOf must answer.
func wantOf(t *testing.T, c *billing.Client, uids []int64) []reconcile.Contract {
	t.Helper()
	all, err := c.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(all, func(k reconcile.Contract) bool { return !slices.Contains(uids, k.UID) })
}

func TestSnapshotOf(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, f := range billingFixtures {
		t.Run(f.driver, func(t *testing.T) {
			t.Parallel()
			dsn := f.open(t)
			uids := []int64{f.sampleUID, f.sampleUID + 2, 999999}
			t.Run("Narrowed", func(t *testing.T) {
				c, log := f.openLogged(t, dsn, "")
				want := wantOf(t, c, uids)
				log.take()
				got, err := c.SnapshotOf(ctx, uids)
				if err != nil || !reflect.DeepEqual(got, want) || len(got) != 2 {
					t.Fatalf("got %+v, %v; want %+v", got, err, want)
				}
				if names := log.take(); !reflect.DeepEqual(names, []string{"snapshot_one", "snapshot_one", "snapshot_one"}) {
					t.Fatalf("queries %v, want one narrowed query per uid", names)
				}
			})
			t.Run("WholeForABigBatch", func(t *testing.T) {
				c, log := f.openLogged(t, dsn, "")
				batch := slices.Clone(uids)
				for uid := int64(1_000_000); len(batch) <= billing.MaxNarrowed; uid++ {
					batch = append(batch, uid)
				}
				want := wantOf(t, c, uids)
				log.take()
				got, err := c.SnapshotOf(ctx, batch)
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Fatalf("got %+v, %v; want %+v", got, err, want)
				}
				if names := log.take(); !reflect.DeepEqual(names, []string{"snapshot"}) {
					t.Fatalf("queries %v, want one read of the whole snapshot for %d uids", names, len(batch))
				}
			})
			t.Run("WholeWhenNotNarrowable", func(t *testing.T) {
				c, log := f.openLogged(t, dsn, f.unnarrow(fixtureQueries(t, f.queries).Snapshot))
				want := wantOf(t, c, uids)
				log.take()
				got, err := c.SnapshotOf(ctx, uids)
				if err != nil || !reflect.DeepEqual(got, want) || len(got) != 2 {
					t.Fatalf("got %+v, %v; want %+v", got, err, want)
				}
				if names := log.take(); !reflect.DeepEqual(names, []string{"snapshot"}) {
					t.Fatalf("queries %v, want the whole snapshot read once, decided at Open", names)
				}
			})
			t.Run("ErrNarrowedFails", func(t *testing.T) {
				dsn := f.open(t) // a billing of its own: this one breaks
				c, log := f.openLogged(t, dsn, "")
				f.execSQL(t, dsn, f.breakSQL)
				got, err := c.SnapshotOf(ctx, uids)
				if !isUnavailable(err, "snapshot_one", "") || got != nil {
					t.Fatalf("got %+v, %v; want the narrowed query's error", got, err)
				}
				if names := log.take(); !reflect.DeepEqual(names, []string{"snapshot_one"}) {
					t.Fatalf("queries %v, want the failing narrowed query only, no fallback", names)
				}
			})
		})
	}
}

func TestCheckSnapshotOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	probeOf := func(t *testing.T, c *billing.Client, uid int64) billing.Probe {
		t.Helper()
		for _, p := range c.Check(ctx, billing.CheckInput{UID: uid}) {
			if p.Query == "snapshot_one" {
				return p
			}
		}
		t.Fatal("check has no snapshot_one probe")
		return billing.Probe{}
	}
	for _, f := range billingFixtures {
		t.Run(f.driver, func(t *testing.T) {
			t.Parallel()
			dsn := f.open(t)
			c, _ := f.openLogged(t, dsn, "")
			if p := probeOf(t, c, f.sampleUID); p.Status != "ok" || !strings.HasPrefix(p.Detail, "uid "+strconv.FormatInt(f.sampleUID, 10)+": 1 row(s)") {
				t.Errorf("narrowed: got %+v", p)
			}
			c, _ = f.openLogged(t, dsn, f.unnarrow(fixtureQueries(t, f.queries).Snapshot))
			if p := probeOf(t, c, f.sampleUID); p.Status != "skipped" || !strings.Contains(p.Detail, "targeted runs read the whole snapshot: the snapshot query cannot be narrowed") {
				t.Errorf("not narrowable: got %+v", p)
			}
			c, _ = f.openLogged(t, dsn, "")
			f.execSQL(t, dsn, f.breakSQL)
			if p := probeOf(t, c, f.sampleUID); !p.Problem() || !strings.Contains(p.Detail, "query snapshot_one") {
				t.Errorf("broken billing: got %+v", p)
			}
		})
	}
}
