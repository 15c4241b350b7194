package store

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"yardsync/internal/testdb"
)

// queryCounter counts the statements a pool sends.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// countedDB opens a migrated store whose statements are counted.
func countedDB(tb testing.TB) (*DB, *queryCounter) {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(testdb.Postgres(tb))
	if err != nil {
		tb.Fatal(err)
	}
	counter := &queryCounter{}
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	db := &DB{pool: pool}
	if err := db.Migrate(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		tb.Fatal(err)
	}
	return db, counter
}

// addLocks inserts n devices with ids 1..n in one statement.
func addLocks(tb testing.TB, db *DB, n int) []int {
	tb.Helper()
	_, err := db.pool.Exec(context.Background(), `
		INSERT INTO devices (device_id, device_uuid, device_type)
		SELECT i, gen_random_uuid(), 3 FROM generate_series(1, $1) AS i`, n)
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i + 1
	}
	return ids
}

// TestAddRightsQueries: rights_add with 20,000 ids costs a fixed handful of
// statements, not one per id (it was 20,000 existence checks before).
func TestAddRightsQueries(t *testing.T) {
	t.Parallel()
	db, counter := countedDB(t)
	ids := addLocks(t, db, 20000)
	ctx := context.Background()
	for _, uid := range []int64{5, 6} {
		before := counter.n.Load()
		if err := db.AddRights(ctx, uid, ids); err != nil {
			t.Fatal(err)
		}
		if n := counter.n.Load() - before; n > 6 {
			t.Fatalf("AddRights of 20,000 ids sent %d statements, want a fixed few (begin, lock, read, check, write, commit)", n)
		}
	}
	got, err := db.RightsOf(ctx, []int64{5})
	if err != nil || len(got[5]) != 20000 {
		t.Fatalf("got %d rights, %v; want 20,000", len(got[5]), err)
	}
	t.Run("DeleteWithoutRowWritesNothing", func(t *testing.T) {
		before := counter.n.Load()
		if err := db.DeleteRights(ctx, 99, ids[:3]); err != nil {
			t.Fatal(err)
		}
		var rows int
		_ = db.pool.QueryRow(ctx, `SELECT count(*) FROM rights WHERE uid = 99`).Scan(&rows)
		if rows != 0 || counter.n.Load()-before-1 > 4 { // -1: the count itself
			t.Fatalf("got %d rows for uid 99 after a delete and %d statements, want none and no write", rows, counter.n.Load()-before-1)
		}
	})
}

// BenchmarkAddRights20000 measures rights_add's store work for 20,000 ids.
func BenchmarkAddRights20000(b *testing.B) {
	db, _ := countedDB(b)
	ids := addLocks(b, db, 20000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.AddRights(ctx, int64(i+1), ids); err != nil {
			b.Fatal(err)
		}
	}
}
