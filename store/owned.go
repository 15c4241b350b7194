package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

var _ reconcile.Store = (*DB)(nil)

// OwnedKeys lists every key yardsync recorded as its own, by panel and code.
func (db *DB) OwnedKeys(ctx context.Context) ([]reconcile.OwnedKey, error) {
	return collectOwned(db.pool.Query(ctx, `SELECT device_id, code, flat, uid FROM yardsync_owned_keys ORDER BY device_id, code`))
}

// collectOwned reads (device_id, code, flat, uid) rows.
func collectOwned(rows pgx.Rows, err error) ([]reconcile.OwnedKey, error) {
	if err != nil {
		return nil, fmt.Errorf("store: owned keys: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (reconcile.OwnedKey, error) {
		var k reconcile.OwnedKey
		err := row.Scan(&k.DeviceID, &k.Code, &k.Flat, &k.UID)
		k.Code = strings.TrimSpace(k.Code)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: owned keys: %w", err)
	}
	return list, nil
}

// ClaimKeys records keys as yardsync's own (or updates their flat and uid).
// The reconciler calls it before the request that pushes them goes out.
func (db *DB) ClaimKeys(ctx context.Context, keys []reconcile.OwnedKey) error {
	if len(keys) == 0 {
		return nil
	}
	devices, codes, flats, uids := make([]int32, len(keys)), make([]string, len(keys)), make([]int32, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		devices[i], codes[i], flats[i], uids[i] = int32(k.DeviceID), k.Code, int32(k.Flat), k.UID
	}
	query := `
		INSERT INTO yardsync_owned_keys (device_id, code, flat, uid)
		SELECT * FROM unnest($1::int4[], $2::text[], $3::int4[], $4::int8[])
		ON CONFLICT (device_id, code) DO UPDATE
		SET flat = EXCLUDED.flat, uid = EXCLUDED.uid, updated_at = now()`
	if _, err := db.pool.Exec(ctx, query, devices, codes, flats, uids); err != nil {
		return fmt.Errorf("store: claim keys: %w", err)
	}
	return nil
}

// ForgetKeys drops ownership records of codes on one panel.
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

// SetAccess writes the access states of the given contracts (uid 0: of
// every contract, and states of pairs not listed are removed). Only rows
// whose state changed are written.
func (db *DB) SetAccess(ctx context.Context, uid int64, states []reconcile.Access) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		current, err := readAccess(ctx, tx, uid)
		if err != nil {
			return err
		}
		var uids []int64
		var devices, values []int32
		for _, a := range states {
			k := accessKey{a.UID, a.DeviceID}
			if v, ok := current[k]; !ok || v != a.State {
				uids, devices, values = append(uids, a.UID), append(devices, int32(a.DeviceID)), append(values, int32(a.State))
			}
			delete(current, k)
		}
		if err := upsertAccess(ctx, tx, uids, devices, values); err != nil {
			return err
		}
		return deleteAccess(ctx, tx, current)
	})
}

type accessKey struct {
	uid    int64
	device int
}

func readAccess(ctx context.Context, tx pgx.Tx, uid int64) (map[accessKey]int, error) {
	rows, err := tx.Query(ctx, `SELECT uid, device_id, state FROM yardsync_access WHERE $1 = 0 OR uid = $1`, uid)
	if err != nil {
		return nil, fmt.Errorf("store: read access: %w", err)
	}
	out := map[accessKey]int{}
	var k accessKey
	var state int
	_, err = pgx.ForEachRow(rows, []any{&k.uid, &k.device, &state}, func() error {
		out[k] = state
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read access: %w", err)
	}
	return out, nil
}

func upsertAccess(ctx context.Context, tx pgx.Tx, uids []int64, devices, values []int32) error {
	if len(uids) == 0 {
		return nil
	}
	query := `
		INSERT INTO yardsync_access (uid, device_id, state)
		SELECT * FROM unnest($1::int8[], $2::int4[], $3::int2[])
		ON CONFLICT (uid, device_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`
	if _, err := tx.Exec(ctx, query, uids, devices, values); err != nil {
		return fmt.Errorf("store: write access: %w", err)
	}
	return nil
}

func deleteAccess(ctx context.Context, tx pgx.Tx, gone map[accessKey]int) error {
	if len(gone) == 0 {
		return nil
	}
	var uids []int64
	var devices []int32
	for k := range gone {
		uids, devices = append(uids, k.uid), append(devices, int32(k.device))
	}
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

// OwnedCount is the number of keys yardsync owns on panels.
func (db *DB) OwnedCount(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM yardsync_owned_keys`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count owned keys: %w", err)
	}
	return n, nil
}
