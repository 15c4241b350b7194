package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"yardsync/reconcile"
)

// The run lock is a PostgreSQL session advisory lock on this key pair
// ('yard', 'sync'): it is held by one connection and dies with it, so a
// killed instance never leaves it taken.
const lockClass, lockObject = 0x79617264, 0x73796e63

// RunLock takes the lock full runs take turns with across instances,
// waiting up to wait (0: try once). When it stays taken the error wraps
// reconcile.ErrBusy and names the holder. The lock lives as long as its
// connection: a run checks it (Check) and stops when it is gone; panel
// leases keep the panels safe meanwhile.
func (db *DB) RunLock(ctx context.Context, wait time.Duration) (reconcile.Lock, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: run lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockClass, lockObject).Scan(&ok); err != nil {
			conn.Release()
			return nil, fmt.Errorf("store: run lock: %w", err)
		}
		if ok {
			return &runLock{conn: conn}, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			holder := db.lockHolder(ctx)
			conn.Release()
			return nil, reconcile.Errorf(reconcile.ErrBusy, "another run holds the run lock: %s", holder)
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// lockHolder describes the session holding the run lock, for the operator.
func (db *DB) lockHolder(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	query := `
		SELECT coalesce(nullif(a.application_name, ''), 'unknown') || ' (pid ' || a.pid || coalesce(' from ' || host(a.client_addr), '') ||
		       ', connected ' || to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') || ')'
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2`
	var who string
	if err := db.pool.QueryRow(ctx, query, uint32(lockClass), uint32(lockObject)).Scan(&who); err != nil {
		return "unknown holder"
	}
	return who
}

// runLock is a held run lock: the pool connection whose session holds it.
type runLock struct {
	mu       sync.Mutex // a pool connection serves one statement at a time
	conn     *pgxpool.Conn
	released bool
}

// Check fails once the session holding the lock is gone (terminated,
// dropped) or no longer holds it.
func (l *runLock) Check(ctx context.Context) error {
	query := `
		SELECT count(*) FROM pg_locks
		WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND granted AND classid = $1 AND objid = $2 AND objsubid = 2`
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return fmt.Errorf("store: run lock: released")
	}
	var n int
	if err := l.conn.QueryRow(ctx, query, uint32(lockClass), uint32(lockObject)).Scan(&n); err != nil {
		return fmt.Errorf("store: run lock: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store: run lock: no longer held by this session")
	}
	return nil
}

// Release frees the lock; closing the session frees it when unlocking fails.
func (l *runLock) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return
	}
	l.released = true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, lockClass, lockObject); err != nil {
		l.conn.Conn().Close(ctx)
	}
	l.conn.Release()
}
