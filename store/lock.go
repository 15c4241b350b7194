package store

import (
	"context"
	"fmt"
	"time"

	"yardsync/reconcile"
)

// The run lock is a PostgreSQL session advisory lock on this key pair
// ('yard', 'sync'): it is held by one connection and dies with it, so a
// killed instance never leaves it taken.
const lockClass, lockObject = 0x79617264, 0x73796e63

// RunLock takes the lock that allows one run at a time across instances,
// waiting up to wait (0: try once). When it stays taken the error wraps
// reconcile.ErrBusy and names the holder.
func (db *DB) RunLock(ctx context.Context, wait time.Duration) (release func(), err error) {
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
			return func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, lockClass, lockObject); err != nil {
					conn.Conn().Close(ctx) // closing the session frees the lock
				}
				conn.Release()
			}, nil
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
