package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

// ReserveRunID allocates a run id ahead of the run, so sync/ can answer it at once.
func (db *DB) ReserveRunID(ctx context.Context) (int64, error) {
	var id int64
	if err := db.pool.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('yardsync_runs', 'id'))`).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: reserve run id: %w", err)
	}
	return id, nil
}

// CloseInterrupted marks runs left 'running' by a process that died as
// failed. Runs overlap (and a run lock can be lost while its run lives on),
// so a run counts as dead only when its heartbeat (alive_until, renewed with
// its panel leases) has lapsed by the database clock: a live run's record
// is never touched by another run.
func (db *DB) CloseInterrupted(ctx context.Context) error {
	query := `
		UPDATE yardsync_runs SET status = 'failed', finished_at = now(), error = 'interrupted'
		WHERE status = 'running' AND coalesce(alive_until, started_at) < now()`
	if _, err := db.pool.Exec(ctx, query); err != nil {
		return fmt.Errorf("store: close interrupted runs: %w", err)
	}
	return nil
}

// StartRun records a run about to start, under a reserved id or a new one,
// with the contracts of a targeted run (uid holds the first, for readers of
// the older column).
func (db *DB) StartRun(ctx context.Context, id int64, trigger string, uids []int64) (int64, error) {
	var first int64
	if len(uids) > 0 {
		first = uids[0]
	}
	query := `
		INSERT INTO yardsync_runs (id, trigger, uid, uids, holder)
		VALUES (coalesce(nullif($1, 0), nextval(pg_get_serial_sequence('yardsync_runs', 'id'))), $2, nullif($3, 0), $4, $5)
		RETURNING id`
	if err := db.pool.QueryRow(ctx, query, id, trigger, first, uids, db.holder).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: start run: %w", err)
	}
	return id, nil
}

// NewerRunUIDs returns the contracts of the runs of contracts (batches,
// named runs) that started after run runID: they read the billing later, so
// runID leaves their codes to them.
func (db *DB) NewerRunUIDs(ctx context.Context, runID int64) ([]int64, error) {
	query := `
		SELECT DISTINCT u FROM yardsync_runs r, unnest(r.uids) AS u
		WHERE r.started_at > (SELECT started_at FROM yardsync_runs WHERE id = $1) AND NOT r.guarded
		ORDER BY u`
	rows, err := db.pool.Query(ctx, query, runID)
	if err != nil {
		return nil, fmt.Errorf("store: newer runs: %w", err)
	}
	uids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: newer runs: %w", err)
	}
	return uids, nil
}

// MarkHeld records, while run id is still under way, that the guard holds
// its deletions: older runs do not leave a contract's codes to it (see
// NewerRunUIDs), since it revokes none.
func (db *DB) MarkHeld(ctx context.Context, id int64) error {
	if _, err := db.pool.Exec(ctx, `UPDATE yardsync_runs SET guarded = true WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: mark run %d held: %w", id, err)
	}
	return nil
}

// FinishRun records a run's outcome and its report, once: a record already
// closed (another instance found the run's heartbeat lapsed and closed it as
// interrupted) is left as it is, and the error says so.
func (db *DB) FinishRun(ctx context.Context, s reconcile.Summary, errText string, report any) error {
	data, err := json.Marshal(report)
	if err != nil {
		return fmt.Errorf("store: encode run report: %w", err)
	}
	query := `
		UPDATE yardsync_runs SET finished_at = now(), status = $2, panels = $3, failed_panels = $4,
		       added = $5, rebound = $6, deleted = $7, guarded = $8, error = $9, report = $10
		WHERE id = $1 AND status = 'running'`
	tag, err := db.pool.Exec(ctx, query, s.RunID, s.Status, s.Panels, s.FailedPanels, s.Added, s.Rebound, s.Deleted, s.Guarded, errText, data)
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", s.RunID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: finish run %d: the record is not running (closed by another instance as interrupted, or never started)", s.RunID)
	}
	return nil
}

// Run reads one recorded run's summary.
func (db *DB) Run(ctx context.Context, id int64) (reconcile.Summary, error) {
	s := reconcile.Summary{RunID: id}
	query := `SELECT status, panels, failed_panels, added, rebound, deleted, guarded FROM yardsync_runs WHERE id = $1`
	err := db.pool.QueryRow(ctx, query, id).Scan(&s.Status, &s.Panels, &s.FailedPanels, &s.Added, &s.Rebound, &s.Deleted, &s.Guarded)
	if err != nil {
		return s, fmt.Errorf("store: run %d: %w", id, err)
	}
	return s, nil
}

// LastFullRunOK is when the newest full run that ended ok or partial
// finished, the zero time before the first: the alert on full runs that
// stopped happening reads it (yardsync_last_full_run_success_timestamp_seconds).
// A run of contracts or of one panel (its report's "panel") is no full run.
func (db *DB) LastFullRunOK(ctx context.Context) (time.Time, error) {
	query := `
		SELECT max(finished_at) FROM yardsync_runs
		WHERE status IN ('ok', 'partial') AND coalesce(cardinality(uids), 0) = 0 AND uid IS NULL
		  AND coalesce((report->>'panel')::int, 0) = 0`
	var at *time.Time
	if err := db.pool.QueryRow(ctx, query).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("store: last full run: %w", err)
	}
	if at == nil {
		return time.Time{}, nil
	}
	return *at, nil
}

// RunRecord is one row of yardsync_runs as the status page lists it.
type RunRecord struct {
	reconcile.Summary
	Trigger    string     `json:"trigger"`
	UIDs       []int64    `json:"uids"` // the contracts of a targeted run; empty: a full run
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"` // nil while running
	Error      string     `json:"error"`
	// Failed holds the error of each panel that failed (the report's
	// "failed"): why a run failed when no panel could be read.
	Failed map[int]string `json:"failed,omitempty"`
}

// runRecordColumns are the columns scanRunRecord reads.
const runRecordColumns = `id, status, panels, failed_panels, added, rebound, deleted, guarded,
	trigger, coalesce(uids, CASE WHEN uid IS NULL THEN '{}'::bigint[] ELSE ARRAY[uid] END), started_at, finished_at, error,
	report->'failed'`

func scanRunRecord(row pgx.CollectableRow) (RunRecord, error) {
	var r RunRecord
	var failed []byte
	s := &r.Summary
	err := row.Scan(&s.RunID, &s.Status, &s.Panels, &s.FailedPanels, &s.Added, &s.Rebound, &s.Deleted, &s.Guarded,
		&r.Trigger, &r.UIDs, &r.StartedAt, &r.FinishedAt, &r.Error, &failed)
	if err == nil && len(failed) > 0 && string(failed) != "null" {
		err = json.Unmarshal(failed, &r.Failed)
	}
	return r, err
}

// RecentRuns lists the newest runs first, at most limit of them.
func (db *DB) RecentRuns(ctx context.Context, limit int) ([]RunRecord, error) {
	query := `SELECT ` + runRecordColumns + ` FROM yardsync_runs ORDER BY id DESC LIMIT $1`
	rows, err := db.pool.Query(ctx, query, limit)
	if err != nil {
		return nil, fmt.Errorf("store: recent runs: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanRunRecord)
	if err != nil {
		return nil, fmt.Errorf("store: recent runs: %w", err)
	}
	return out, nil
}

// RunRecord reads one run as RecentRuns lists it; a run never recorded
// wraps reconcile.ErrNotFound.
func (db *DB) RunRecord(ctx context.Context, id int64) (RunRecord, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+runRecordColumns+` FROM yardsync_runs WHERE id = $1`, id)
	if err != nil {
		return RunRecord{}, fmt.Errorf("store: run %d: %w", id, err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanRunRecord)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, reconcile.Errorf(reconcile.ErrNotFound, "run %d", id)
	}
	if err != nil {
		return r, fmt.Errorf("store: run %d: %w", id, err)
	}
	return r, nil
}

// HeldGuard is the guard's reading of a run that held its deletions.
type HeldGuard struct {
	RunID int64           `json:"run_id"`
	At    time.Time       `json:"at"`
	Guard reconcile.Guard `json:"guard"`
}

// LastHeld returns the newest finished run the guard held, if it is newer
// than every run that was not held: the billing then still reads as the
// glitch the guard stopped. With uid above zero only a held run that would
// have revoked uid counts (for explain). Nothing found: nil.
func (db *DB) LastHeld(ctx context.Context, uid int64) (*HeldGuard, error) {
	query := `
		SELECT id, finished_at, report->'guard' FROM yardsync_runs r
		WHERE status = 'guarded' AND report->'guard' IS NOT NULL AND finished_at IS NOT NULL
		  AND ($1 = 0 OR report->'guard'->'uids' @> to_jsonb($1::bigint))
		  AND NOT EXISTS (SELECT 1 FROM yardsync_runs n WHERE n.id > r.id AND n.status IN ('ok', 'partial')
		                  AND coalesce(cardinality(n.uids), 0) = 0)
		ORDER BY id DESC LIMIT 1`
	var h HeldGuard
	var raw []byte
	err := db.pool.QueryRow(ctx, query, uid).Scan(&h.RunID, &h.At, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err == nil {
		err = json.Unmarshal(raw, &h.Guard)
	}
	if err != nil {
		return nil, fmt.Errorf("store: last held run: %w", err)
	}
	return &h, nil
}

// HeldFor is LastHeld for one contract, as reconcile.HeldReader.
func (db *DB) HeldFor(ctx context.Context, uid int64) (int64, *reconcile.Guard, error) {
	h, err := db.LastHeld(ctx, uid)
	if err != nil || h == nil {
		return 0, nil, err
	}
	return h.RunID, &h.Guard, nil
}
