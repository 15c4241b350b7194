package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

var (
	_ reconcile.Journal        = (*DB)(nil)
	_ reconcile.StatusRecorder = (*DB)(nil)
)

// defaultChangeLimit bounds a change log read that names no limit.
const defaultChangeLimit = 1000

// RecordChanges appends panel writes to the change log in one COPY, so a
// run's bookkeeping costs one round trip per panel session.
func (db *DB) RecordChanges(ctx context.Context, changes []reconcile.Change) error {
	if len(changes) == 0 {
		return nil
	}
	rows := make([][]any, len(changes))
	for i, c := range changes {
		rows[i] = []any{c.At, c.RunID, c.DeviceID, c.Op, c.Code, c.Flat, c.UID, c.Result, c.Error}
	}
	cols := []string{"at", "run_id", "device_id", "op", "code", "flat", "uid", "result", "error"}
	if _, err := db.pool.CopyFrom(ctx, pgx.Identifier{"yardsync_changes"}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("store: record changes: %w", err)
	}
	return nil
}

// Changes reads the change log, newest first.
func (db *DB) Changes(ctx context.Context, f reconcile.ChangeFilter) ([]reconcile.Change, error) {
	if f.Limit <= 0 {
		f.Limit = defaultChangeLimit
	}
	query := `
		SELECT at, run_id, device_id, op, code, flat, uid, result, error
		FROM yardsync_changes
		WHERE ($1 = 0 OR uid = $1) AND ($2 = 0 OR device_id = $2) AND ($3 = '' OR code = $3)
		  AND at >= $4
		ORDER BY at DESC, id DESC
		LIMIT $5`
	rows, err := db.pool.Query(ctx, query, f.UID, f.DeviceID, f.Code, f.Since, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: read changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[reconcile.Change])
	if err != nil {
		return nil, fmt.Errorf("store: read changes: %w", err)
	}
	return out, nil
}

// PruneChanges deletes change log entries older than before and says how many went.
func (db *DB) PruneChanges(ctx context.Context, before time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM yardsync_changes WHERE at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("store: prune changes: %w", err)
	}
	return tag.RowsAffected(), nil
}

// RecordPanelContacts updates each panel's status from one run in one
// statement: a contact that failed keeps the last good time, key count and
// skipped entries, and no contact touches the write error.
func (db *DB) RecordPanelContacts(ctx context.Context, contacts []reconcile.PanelContact) error {
	if len(contacts) == 0 {
		return nil
	}
	n := len(contacts)
	ids, ats, oks, errs, probes := make([]int32, n), make([]time.Time, n), make([]bool, n), make([]string, n), make([]string, n)
	keys, skipped := make([]*int32, n), make([]*int32, n)
	for i, c := range contacts {
		ids[i], ats[i], oks[i], errs[i], probes[i] = int32(c.DeviceID), c.At, c.OK, c.Error, c.Probe
		keys[i], skipped[i] = knownCount(c.Keys), knownCount(c.Skipped)
	}
	query := `
		INSERT INTO yardsync_panel_status AS s (device_id, last_contact, last_ok, last_error, keys, probe, skipped)
		SELECT id, at, CASE WHEN ok THEN at END, CASE WHEN ok THEN '' ELSE err END, k, probe, sk
		FROM unnest($1::int[], $2::timestamptz[], $3::bool[], $4::text[], $5::int[], $6::text[], $7::int[])
		     AS c(id, at, ok, err, k, probe, sk)
		ON CONFLICT (device_id) DO UPDATE SET
		    last_contact = excluded.last_contact,
		    last_ok = coalesce(excluded.last_ok, s.last_ok),
		    last_error = excluded.last_error,
		    keys = coalesce(excluded.keys, s.keys),
		    probe = coalesce(nullif(excluded.probe, ''), s.probe),
		    skipped = coalesce(excluded.skipped, s.skipped)`
	if _, err := db.pool.Exec(ctx, query, ids, ats, oks, errs, keys, probes, skipped); err != nil {
		return fmt.Errorf("store: record panel status: %w", err)
	}
	return nil
}

// knownCount is n for a nullable column, nil when n is negative (not known).
func knownCount(n int) *int32 {
	if n < 0 {
		return nil
	}
	v := int32(n)
	return &v
}

// RecordPanelWrites keeps what runs learned of each panel's writes in one
// statement: the error of a failed write session, which stays until an
// outcome without one replaces it. Rows that would not change are left alone,
// so a full run that clears every panel it found as desired rewrites none.
func (db *DB) RecordPanelWrites(ctx context.Context, writes []reconcile.PanelWrite) error {
	if len(writes) == 0 {
		return nil
	}
	ids, errs := make([]int32, len(writes)), make([]string, len(writes))
	for i, w := range writes {
		ids[i], errs[i] = int32(w.DeviceID), w.Error
	}
	query := `
		INSERT INTO yardsync_panel_status AS s (device_id, write_error)
		SELECT id, err FROM unnest($1::int[], $2::text[]) AS w(id, err)
		ON CONFLICT (device_id) DO UPDATE SET write_error = excluded.write_error
		WHERE s.write_error <> excluded.write_error`
	if _, err := db.pool.Exec(ctx, query, ids, errs); err != nil {
		return fmt.Errorf("store: record panel writes: %w", err)
	}
	return nil
}

// PanelStatuses lists every panel (a device of type 1 or 2 with a paneltype
// and an address) with its last known status, failing panels first: those
// whose last contact or whose writes failed, or that were never reached.
// Family is the default families' name of its paneltype, or "" when they
// name none; PanelType says which (cmd names it from panels.families).
func (db *DB) PanelStatuses(ctx context.Context, failingOnly bool) ([]reconcile.PanelStatus, error) {
	query := `
		SELECT d.device_id, coalesce(d.title, ''),
		       CASE d.paneltype WHEN 1 THEN 'beward' WHEN 2 THEN 'sokol' WHEN 11 THEN 'qtech'
		            WHEN 12 THEN 'akuvox' WHEN 13 THEN 'rubetek' ELSE '' END,
		       coalesce(host(d.panelip), ''), s.last_contact, s.last_ok,
		       coalesce(nullif(s.last_error, ''), s.write_error, ''), s.keys,
		       (SELECT count(*) FROM yardsync_owned_keys o WHERE o.device_id = d.device_id)::int,
		       coalesce(s.probe, ''), coalesce(s.skipped, 0), d.paneltype
		FROM devices d
		LEFT JOIN yardsync_panel_status s ON s.device_id = d.device_id
		WHERE d.device_type IN (1, 2) AND d.paneltype IS NOT NULL AND d.panelip IS NOT NULL AND d.is_active
		  AND (NOT $1 OR s.last_contact IS NULL OR s.last_error <> '' OR s.write_error <> '')
		ORDER BY (s.last_contact IS NULL OR s.last_error <> '' OR s.write_error <> '') DESC, d.device_id`
	rows, err := db.pool.Query(ctx, query, failingOnly)
	if err != nil {
		return nil, fmt.Errorf("store: panel status: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[reconcile.PanelStatus])
	if err != nil {
		return nil, fmt.Errorf("store: panel status: %w", err)
	}
	return out, nil
}
