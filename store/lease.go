package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

var _ reconcile.Leaser = (*DB)(nil)

// Panel leases are rows, not session state: a dropped store connection
// takes nothing with it. What makes them safe is time, judged on the
// database clock only: a lease can be taken from another run only once its
// expires_at has passed by the database's now(). The holder trusts a lease
// for less than that (see reconcile/lease.go), so two runs never hold one
// panel at once. Every statement below works on a batch of panels.

// AcquireLeases takes up to limit of the free or expired leases among ids
// (in their order) for the run owning token, for ttl from the database's
// now, and returns the panels taken with their write counter. A lease the
// run already holds counts as free to it and is renewed. Taking a lease to
// write bumps the counter first, so a run that read the panel before knows
// its plan for it may be stale, even if this writer never releases. It also
// keeps the latest start (yardsync_runs.started_at) of the full runs (no
// uids: every code of the panel is theirs) not held by the guard (it
// revokes nothing) that took the panel to write,
// and reports Newer when that is later than runID's start: a run that read
// the billing later has planned the whole panel.
func (db *DB) AcquireLeases(ctx context.Context, token string, runID int64, ids []int, limit int, ttl time.Duration, write bool) (map[int]reconcile.Lease, error) {
	// The CTE picks candidates; ON CONFLICT ... WHERE decides again under
	// the row lock, so two runs racing for one panel cannot both win.
	// greatest() skips NULLs: a dry run (run 0) has no start to record.
	query := `
		WITH me AS (SELECT started_at, coalesce(cardinality(uids), 0) = 0 AND NOT guarded AS whole FROM yardsync_runs WHERE id = $4),
		want AS (
			SELECT w.id, w.n FROM unnest($1::int[]) WITH ORDINALITY AS w(id, n)
			LEFT JOIN yardsync_panel_lease l ON l.device_id = w.id
			WHERE l.device_id IS NULL OR l.expires_at < now() OR l.owner = $2
			ORDER BY w.n LIMIT $6)
		INSERT INTO yardsync_panel_lease AS l (device_id, owner, holder, run_id, expires_at, writes, writer_started)
		SELECT id, $2, $3, $4, now() + $5 * interval '1 microsecond', ($7::bool)::int,
		       (SELECT started_at FROM me WHERE $7 AND whole)
		FROM want ORDER BY n
		ON CONFLICT (device_id) DO UPDATE
		   SET owner = excluded.owner, holder = excluded.holder, run_id = excluded.run_id, expires_at = excluded.expires_at,
		       writes = l.writes + excluded.writes,
		       writer_started = greatest(l.writer_started, excluded.writer_started)
		 WHERE l.expires_at < now() OR l.owner = excluded.owner
		RETURNING device_id, writes, coalesce($7 AND writer_started > (SELECT started_at FROM me), false)`
	rows, err := db.pool.Query(ctx, query, ids, token, db.holder, runID, ttl.Microseconds(), limit, write)
	if err != nil {
		return nil, fmt.Errorf("store: acquire panel leases: %w", err)
	}
	defer rows.Close()
	got := make(map[int]reconcile.Lease, len(ids))
	for rows.Next() {
		var id int
		var l reconcile.Lease
		if err := rows.Scan(&id, &l.Writes, &l.Newer); err != nil {
			return nil, fmt.Errorf("store: acquire panel leases: %w", err)
		}
		got[id] = l
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: acquire panel leases: %w", err)
	}
	return got, nil
}

// RenewLeases extends, in one statement, the heartbeat of run runID (when
// not 0) and, with panels set, every lease token holds; it returns the
// panels still held. A lease lost to another run is not among them.
func (db *DB) RenewLeases(ctx context.Context, token string, runID int64, ttl time.Duration, panels bool) ([]int, error) {
	query := `
		WITH run AS (
			UPDATE yardsync_runs SET alive_until = now() + $3 * interval '1 microsecond'
			WHERE id = $2 AND status = 'running')
		UPDATE yardsync_panel_lease SET expires_at = now() + $3 * interval '1 microsecond'
		WHERE owner = $1 AND $4
		RETURNING device_id`
	rows, err := db.pool.Query(ctx, query, token, runID, ttl.Microseconds(), panels)
	if err != nil {
		return nil, fmt.Errorf("store: renew panel leases: %w", err)
	}
	held, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("store: renew panel leases: %w", err)
	}
	return held, nil
}

// ReleaseLeases frees the leases token holds on ids, at once: the next run
// need not wait for them to expire. A panel whose hold (holds[i], by the
// database clock) is above zero stays taken by token that much longer: it
// may still be working on a request the run gave up on.
func (db *DB) ReleaseLeases(ctx context.Context, token string, ids []int, holds []time.Duration) error {
	us := make([]int64, len(ids))
	for i := range ids {
		if i < len(holds) {
			us[i] = holds[i].Microseconds()
		}
	}
	query := `
		UPDATE yardsync_panel_lease l
		SET owner = CASE WHEN h.us > 0 THEN l.owner ELSE '' END,
		    expires_at = CASE WHEN h.us > 0 THEN now() + h.us * interval '1 microsecond' ELSE '-infinity' END
		FROM unnest($2::int4[], $3::int8[]) AS h(id, us)
		WHERE l.device_id = h.id AND l.owner = $1`
	if _, err := db.pool.Exec(ctx, query, token, ids, us); err != nil {
		return fmt.Errorf("store: release panel leases: %w", err)
	}
	return nil
}

// LeaseHolders names, for each panel of ids whose lease is held, who holds it.
func (db *DB) LeaseHolders(ctx context.Context, ids []int) (map[int]string, error) {
	query := `
		SELECT device_id, holder || coalesce(' run ' || nullif(run_id, 0), '') ||
		       ' until ' || to_char(expires_at, 'YYYY-MM-DD HH24:MI:SS TZ')
		FROM yardsync_panel_lease
		WHERE device_id = ANY($1) AND owner <> '' AND expires_at >= now()`
	rows, err := db.pool.Query(ctx, query, ids)
	if err != nil {
		return nil, fmt.Errorf("store: panel lease holders: %w", err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var id int
		var who string
		if err := rows.Scan(&id, &who); err != nil {
			return nil, fmt.Errorf("store: panel lease holders: %w", err)
		}
		out[id] = who
	}
	return out, rows.Err()
}
