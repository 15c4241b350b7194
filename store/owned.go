package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

var _ reconcile.Store = (*DB)(nil)

// OwnedKeys lists every key yardsync recorded as its own, by panel and code.
func (db *DB) OwnedKeys(ctx context.Context) ([]reconcile.OwnedKey, error) {
	rows, err := db.pool.Query(ctx, `SELECT device_id, code, flat, uid, `+deletingColumn+` FROM yardsync_owned_keys ORDER BY device_id, code`)
	list, err := collectOwned(rows, err, hint(&db.sizes.owned))
	db.sizes.owned.Store(int64(len(list)))
	return list, err
}

// OwnedKeysOn lists the keys yardsync recorded as its own on one panel.
func (db *DB) OwnedKeysOn(ctx context.Context, deviceID int) ([]reconcile.OwnedKey, error) {
	query := `SELECT device_id, code, flat, uid, ` + deletingColumn + ` FROM yardsync_owned_keys WHERE device_id = $1 ORDER BY code`
	rows, err := db.pool.Query(ctx, query, deviceID)
	return collectOwned(rows, err, 0)
}

// deletingColumn reads OwnedKey.Deleting: a delete of the key was sent
// since its last add or rebind.
const deletingColumn = `coalesce(delete_sent_at >= coalesce(sent_at, '-infinity'), false)`

// collectOwned reads (device_id, code, flat, uid, deleting) rows into a
// list made with capacity.
func collectOwned(rows pgx.Rows, err error, capacity int) ([]reconcile.OwnedKey, error) {
	if err != nil {
		return nil, fmt.Errorf("store: owned keys: %w", err)
	}
	list := make([]reconcile.OwnedKey, 0, capacity)
	list, err = pgx.AppendRows(list, rows, func(row pgx.CollectableRow) (reconcile.OwnedKey, error) {
		var k reconcile.OwnedKey
		err := row.Scan(&k.DeviceID, &k.Code, &k.Flat, &k.UID, &k.Deleting)
		k.Code = strings.TrimSpace(k.Code)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: owned keys: %w", err)
	}
	return list, nil
}

// ClaimKeys records keys as yardsync's own (or updates their flat and uid).
// The reconciler calls it before the request that pushes them goes out,
// with sent set: the add may land from then on, so the record stays until
// ForgetGone may drop it. Without sent (a key adopted as found on the
// panel) only the flat and uid are recorded. Either way a delete sent
// earlier no longer counts: the key is wanted again.
func (db *DB) ClaimKeys(ctx context.Context, keys []reconcile.OwnedKey, sent bool) error {
	if len(keys) == 0 {
		return nil
	}
	devices, codes, flats, uids := make([]int32, len(keys)), make([]string, len(keys)), make([]int32, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		devices[i], codes[i], flats[i], uids[i] = int32(k.DeviceID), k.Code, int32(k.Flat), k.UID
	}
	query := `
		INSERT INTO yardsync_owned_keys (device_id, code, flat, uid, sent_at)
		SELECT d, c, f, u, CASE WHEN $5 THEN now() END FROM unnest($1::int4[], $2::text[], $3::int4[], $4::int8[]) AS k(d, c, f, u)
		ON CONFLICT (device_id, code) DO UPDATE
		SET flat = EXCLUDED.flat, uid = EXCLUDED.uid, updated_at = now(), delete_sent_at = NULL,
		    sent_at = CASE WHEN $5 THEN now() ELSE yardsync_owned_keys.sent_at END`
	if _, err := db.pool.Exec(ctx, query, devices, codes, flats, uids, sent); err != nil {
		return fmt.Errorf("store: claim keys: %w", err)
	}
	return nil
}

// MarkDeleting records that deletes of codes (normalised) on one panel are
// about to be sent.
func (db *DB) MarkDeleting(ctx context.Context, deviceID int, codes []string) error {
	if len(codes) == 0 {
		return nil
	}
	query := `UPDATE yardsync_owned_keys SET delete_sent_at = now() WHERE device_id = $1 AND code = ANY($2::character(14)[])`
	if _, err := db.pool.Exec(ctx, query, deviceID, codes); err != nil {
		return fmt.Errorf("store: mark deletes on %d: %w", deviceID, err)
	}
	return nil
}

// ForgetGone drops the ownership records of codes a read of panel deviceID
// showed gone, but only those a delete was sent for since their last add
// and whose last add was sent more than settle ago: an add that may still
// land (a panel that applies writes late, a request still in progress after
// yardsync gave up) keeps its record, so the key is never left unowned. It
// returns the contracts of the records it kept.
func (db *DB) ForgetGone(ctx context.Context, deviceID int, codes []string, settle time.Duration) ([]int64, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	query := `
		DELETE FROM yardsync_owned_keys
		WHERE device_id = $1 AND code = ANY($2::character(14)[])
		  AND delete_sent_at >= coalesce(sent_at, '-infinity')
		  AND coalesce(sent_at, '-infinity') < now() - $3 * interval '1 microsecond'`
	tag, err := db.pool.Exec(ctx, query, deviceID, codes, settle.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("store: forget keys on %d: %w", deviceID, err)
	}
	if tag.RowsAffected() == int64(len(codes)) {
		return nil, nil
	}
	query = `SELECT DISTINCT uid FROM yardsync_owned_keys WHERE device_id = $1 AND code = ANY($2::character(14)[]) ORDER BY uid`
	rows, err := db.pool.Query(ctx, query, deviceID, codes)
	if err != nil {
		return nil, fmt.Errorf("store: keys kept on %d: %w", deviceID, err)
	}
	kept, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: keys kept on %d: %w", deviceID, err)
	}
	return kept, nil
}

// ForgetKeys drops ownership records of codes on one panel unconditionally:
// for records of devices SmartYard no longer has (orphans).
func (db *DB) ForgetKeys(ctx context.Context, deviceID int, codes []string) error {
	if len(codes) == 0 {
		return nil
	}
	query := `DELETE FROM yardsync_owned_keys WHERE device_id = $1 AND code = ANY($2::text[])`
	if _, err := db.pool.Exec(ctx, query, deviceID, codes); err != nil {
		return fmt.Errorf("store: forget keys on %d: %w", deviceID, err)
	}
	return nil
}

// AccessOf returns the recorded access states of the given contracts (none:
// of every contract), the current side of a run's access diff.
func (db *DB) AccessOf(ctx context.Context, uids []int64) ([]reconcile.Access, error) {
	query := `SELECT uid, device_id, state FROM yardsync_access WHERE coalesce(cardinality($1::int8[]), 0) = 0 OR uid = ANY($1::int8[])`
	rows, err := db.pool.Query(ctx, query, uids)
	if err != nil {
		return nil, fmt.Errorf("store: read access: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[reconcile.Access])
	if err != nil {
		return nil, fmt.Errorf("store: read access: %w", err)
	}
	return list, nil
}

// ApplyAccess writes the access states a run's plan changed and drops the
// pairs it no longer has, in one transaction. The plan did the diff.
func (db *DB) ApplyAccess(ctx context.Context, set, gone []reconcile.Access) error {
	if len(set)+len(gone) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if err := upsertAccess(ctx, tx, set); err != nil {
			return err
		}
		return deleteAccess(ctx, tx, gone)
	})
}

// accessColumns splits access states into the arrays unnest reads.
func accessColumns(list []reconcile.Access) (uids []int64, devices, states []int32) {
	for _, a := range list {
		uids, devices, states = append(uids, a.UID), append(devices, int32(a.DeviceID)), append(states, int32(a.State))
	}
	return uids, devices, states
}

func upsertAccess(ctx context.Context, tx pgx.Tx, set []reconcile.Access) error {
	if len(set) == 0 {
		return nil
	}
	uids, devices, states := accessColumns(set)
	query := `
		INSERT INTO yardsync_access (uid, device_id, state)
		SELECT * FROM unnest($1::int8[], $2::int4[], $3::int2[])
		ON CONFLICT (uid, device_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`
	if _, err := tx.Exec(ctx, query, uids, devices, states); err != nil {
		return fmt.Errorf("store: write access: %w", err)
	}
	return nil
}

func deleteAccess(ctx context.Context, tx pgx.Tx, gone []reconcile.Access) error {
	if len(gone) == 0 {
		return nil
	}
	uids, devices, _ := accessColumns(gone)
	query := `
		DELETE FROM yardsync_access a USING unnest($1::int8[], $2::int4[]) AS g(uid, device_id)
		WHERE a.uid = g.uid AND a.device_id = g.device_id`
	if _, err := tx.Exec(ctx, query, uids, devices); err != nil {
		return fmt.Errorf("store: delete access: %w", err)
	}
	return nil
}

// Access returns the recorded state of every (uid, device) pair of a uid.
func (db *DB) Access(ctx context.Context, uid int64) ([]reconcile.Access, error) {
	rows, err := db.pool.Query(ctx, `SELECT uid, device_id, state FROM yardsync_access WHERE uid = $1 ORDER BY device_id`, uid)
	if err != nil {
		return nil, fmt.Errorf("store: access of %d: %w", uid, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[reconcile.Access])
	if err != nil {
		return nil, fmt.Errorf("store: access of %d: %w", uid, err)
	}
	return list, nil
}

// PaidContracts counts the contracts recorded as paid (access state 2) on
// some device: what a watch batch's guard measures against.
func (db *DB) PaidContracts(ctx context.Context) (int, error) {
	var n int
	query := `SELECT count(DISTINCT uid) FROM yardsync_access WHERE state = 2`
	if err := db.pool.QueryRow(ctx, query).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count paid contracts: %w", err)
	}
	return n, nil
}

// OwnedCount is the number of keys yardsync owns on panels.
func (db *DB) OwnedCount(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM yardsync_owned_keys`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count owned keys: %w", err)
	}
	return n, nil
}
