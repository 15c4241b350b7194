package reconcile_test

import (
	"database/sql"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"yardsync/billing"
	"yardsync/internal/testdb"
	"yardsync/reconcile"
)

// watchRecorder collects what a Watcher asks for.
type watchRecorder struct {
	mu      sync.Mutex
	batches [][]int64
	fulls   int
}

func (r *watchRecorder) batch(uids []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, slices.Clone(uids))
}

func (r *watchRecorder) full() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fulls++
}

// changeUIDs lists the uids of change rows, in order.
func changeUIDs(rows []reconcile.ChangeRow) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, r.UID)
	}
	return out
}

func newWatcher(b reconcile.Billing, log reconcile.ChangeLog, rec *watchRecorder) *reconcile.Watcher {
	return &reconcile.Watcher{Billing: b, ChangeLog: log, Every: time.Second, MaxShrink: 0.2,
		Batch: rec.batch, Full: rec.full, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// pgBilling is a PostgreSQL billing of n paying contracts, uids 1..n, flat = uid.
func pgBilling(t *testing.T, n int, changes string) (*pgx.Conn, *billing.Client) {
	t.Helper()
	dsn := testdb.Postgres(t)
	conn, err := pgx.Connect(bg, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(bg) })
	mustExec(t, conn, `CREATE TABLE contracts (uid int PRIMARY KEY, flat text, cams_open boolean, cams_paid boolean)`)
	mustExec(t, conn, `INSERT INTO contracts SELECT g, g::text, true, true FROM generate_series(1, $1::int) g`, n)
	mustExec(t, conn, `CREATE TABLE changes (uid int, changed_at timestamptz)`)
	b, err := billing.Open(bg, billing.Config{Driver: "postgres", DSN: dsn, Timeout: 5 * time.Second,
		Queries: billing.Queries{Snapshot: `SELECT uid, flat, cams_open, cams_paid FROM contracts`, Changes: changes}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return conn, b
}

func mustExec(t *testing.T, conn *pgx.Conn, q string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(bg, q, args...); err != nil {
		t.Fatal(err)
	}
}

func TestWatchSnapshot(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		conn, b := pgBilling(t, 50, "")
		rec := &watchRecorder{}
		w := newWatcher(b, nil, rec)
		if got := w.Tick(bg); got != nil || rec.fulls != 1 {
			t.Fatalf("first tick: got %v and %d full runs, want the baseline and one full run", got, rec.fulls)
		}
		if got := w.Tick(bg); got != nil {
			t.Fatalf("unchanged billing: got %v, want nothing", got)
		}
		mustExec(t, conn, `UPDATE contracts SET cams_paid = false WHERE uid = 7`)
		mustExec(t, conn, `UPDATE contracts SET flat = '70' WHERE uid = 9`)
		mustExec(t, conn, `DELETE FROM contracts WHERE uid = 3`)
		mustExec(t, conn, `INSERT INTO contracts VALUES (51, '51', true, true)`)
		want := []int64{3, 7, 9, 51}
		if got := w.Tick(bg); !slices.Equal(got, want) {
			t.Fatalf("got %v, want exactly the changed uids %v", got, want)
		}
		if len(rec.batches) != 1 || !slices.Equal(rec.batches[0], want) {
			t.Fatalf("batches %v, want one batch of %v", rec.batches, want)
		}
		if got := w.Tick(bg); got != nil {
			t.Fatalf("after the batch: got %v, want nothing", got)
		}
	})
	t.Run("ErrShrunk", func(t *testing.T) {
		conn, b := pgBilling(t, 50, "")
		rec := &watchRecorder{}
		w := newWatcher(b, nil, rec)
		w.Tick(bg)
		mustExec(t, conn, `DELETE FROM contracts WHERE uid > 5`)
		if got := w.Tick(bg); got != nil || len(rec.batches) != 0 {
			t.Fatalf("a snapshot that lost 90%%: got %v, batches %v, want nothing", got, rec.batches)
		}
		mustExec(t, conn, `INSERT INTO contracts SELECT g, g::text, true, true FROM generate_series(6, 50) g`)
		mustExec(t, conn, `UPDATE contracts SET cams_paid = false WHERE uid = 8`)
		if got := w.Tick(bg); !slices.Equal(got, []int64{8}) {
			t.Fatalf("after the glitch: got %v, want [8] against the kept baseline", got)
		}
	})
	t.Run("ErrBilling", func(t *testing.T) {
		conn, b := pgBilling(t, 10, "")
		rec := &watchRecorder{}
		w := newWatcher(b, nil, rec)
		w.Tick(bg)
		mustExec(t, conn, `ALTER TABLE contracts RENAME TO contracts_gone`)
		if got := w.Tick(bg); got != nil || len(rec.batches) != 0 {
			t.Fatalf("billing error: got %v, want nothing", got)
		}
		mustExec(t, conn, `ALTER TABLE contracts_gone RENAME TO contracts`)
		mustExec(t, conn, `UPDATE contracts SET cams_open = false WHERE uid = 2`)
		if got := w.Tick(bg); !slices.Equal(got, []int64{2}) {
			t.Fatalf("billing back: got %v, want [2]", got)
		}
	})
	t.Run("Duplicates", func(t *testing.T) {
		conn, b := pgBilling(t, 10, "")
		mustExec(t, conn, `ALTER TABLE contracts DROP CONSTRAINT contracts_pkey`)
		rec := &watchRecorder{}
		w := newWatcher(b, nil, rec)
		w.Tick(bg)
		mustExec(t, conn, `INSERT INTO contracts VALUES (4, '40', true, true)`)
		if got := w.Tick(bg); !slices.Equal(got, []int64{4}) {
			t.Fatalf("a second row for uid 4: got %v, want [4]", got)
		}
		if got := w.Tick(bg); got != nil {
			t.Fatalf("same duplicate rows in another order: got %v, want nothing", got)
		}
	})
}

func TestWatchChangeLog(t *testing.T) {
	t.Run("Postgres", func(t *testing.T) {
		conn, b := pgBilling(t, 10, `SELECT DISTINCT uid FROM changes WHERE changed_at > @since`)
		if !b.HasChanges() {
			t.Fatal("HasChanges is false with the query configured")
		}
		now := time.Now()
		rec := &watchRecorder{}
		w := newWatcher(b, b, rec)
		w.Now = func() time.Time { return now }
		w.Tick(bg)
		mustExec(t, conn, `INSERT INTO changes VALUES (4, $1), (6, $1), (4, $1), (2, $2)`, now.Add(time.Second), now.Add(-time.Hour))
		now = now.Add(2 * time.Second)
		if got := w.Tick(bg); !slices.Equal(got, []int64{4, 6}) {
			t.Fatalf("got %v, want [4 6]", got)
		}
		mustExec(t, conn, `DROP TABLE changes`)
		now = now.Add(time.Second)
		if got := w.Tick(bg); got != nil {
			t.Fatalf("a broken change log: got %v, want nothing", got)
		}
	})
	t.Run("MySQL", func(t *testing.T) {
		dsn := testdb.MySQL(t)
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		for _, q := range []string{
			`CREATE TABLE changes (uid INT, changed_at DATETIME)`,
			`INSERT INTO changes VALUES (3, UTC_TIMESTAMP() + INTERVAL 1 MINUTE), (5, UTC_TIMESTAMP() - INTERVAL 1 DAY)`,
		} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		b, err := billing.Open(bg, billing.Config{Driver: "mysql", DSN: dsn, Timeout: 5 * time.Second,
			Queries: billing.Queries{Changes: `SELECT uid FROM changes WHERE changed_at > @since`}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		got, err := b.Changes(bg, time.Now().Add(-time.Hour))
		if err != nil || !slices.Equal(changeUIDs(got), []int64{3}) {
			t.Fatalf("got %v, %v, want [3]", got, err)
		}
	})
	t.Run("ErrNotConfigured", func(t *testing.T) {
		_, b := pgBilling(t, 1, "")
		if b.HasChanges() {
			t.Fatal("HasChanges is true without the query")
		}
		if _, err := b.Changes(bg, time.Now()); err == nil {
			t.Fatal("Changes without the query: no error")
		}
	})
}
