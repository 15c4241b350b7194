package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

// The reads of a targeted run: only the rows one contract's run can need,
// so its cost does not grow with the fleet.

// KeysSharing returns the keys of uid and of every uid holding one of its
// codes: uid -> normalised codes. Those are the contracts whose grants can
// compete with uid's on a panel.
func (db *DB) KeysSharing(ctx context.Context, uid int64) (map[int64][]string, error) {
	query := `
		WITH mine AS (
			SELECT decode(lpad(encode(key, 'hex'), 14, '0'), 'hex') AS k FROM keys WHERE uid = $1 AND length(key) BETWEEN 1 AND 7
		), sharing AS (
			SELECT DISTINCT uid FROM keys WHERE length(key) BETWEEN 1 AND 7
			AND decode(lpad(encode(key, 'hex'), 14, '0'), 'hex') IN (SELECT k FROM mine)
		)
		SELECT uid::int8, key FROM keys
		WHERE (uid = $1 OR uid IN (SELECT uid FROM sharing)) AND length(key) BETWEEN 1 AND 7
		ORDER BY uid, key`
	rows, err := db.pool.Query(ctx, query, uid)
	if err != nil {
		return nil, fmt.Errorf("store: keys sharing with %d: %w", uid, err)
	}
	out := map[int64][]string{}
	var u int64
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&u, &raw}, func() error {
		out[u] = append(out[u], reconcile.KeyCode(raw))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: keys sharing with %d: %w", uid, err)
	}
	return out, nil
}

// RightsOf returns the rights lists of the given uids.
func (db *DB) RightsOf(ctx context.Context, uids []int64) (map[int64][]int, error) {
	rows, err := db.pool.Query(ctx, `SELECT uid::int8, coalesce(uid_right, '{}') FROM rights WHERE uid = ANY($1::int4[])`, uids)
	if err != nil {
		return nil, fmt.Errorf("store: rights: %w", err)
	}
	out := map[int64][]int{}
	var uid int64
	var ids []int32
	_, err = pgx.ForEachRow(rows, []any{&uid, &ids}, func() error {
		for _, id := range ids {
			out[uid] = append(out[uid], int(id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: rights: %w", err)
	}
	return out, nil
}

// OwnedKeysOf returns the ownership records of uid and of the given codes on any panel.
func (db *DB) OwnedKeysOf(ctx context.Context, uid int64, codes []string) ([]reconcile.OwnedKey, error) {
	query := `
		SELECT device_id, code, flat, uid FROM yardsync_owned_keys
		WHERE uid = $1 OR code = ANY($2::text[]) ORDER BY device_id, code`
	rows, err := db.pool.Query(ctx, query, uid, codes)
	if err != nil {
		return nil, fmt.Errorf("store: owned keys of %d: %w", uid, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (reconcile.OwnedKey, error) {
		var k reconcile.OwnedKey
		err := row.Scan(&k.DeviceID, &k.Code, &k.Flat, &k.UID)
		k.Code = strings.TrimSpace(k.Code)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: owned keys of %d: %w", uid, err)
	}
	return list, nil
}
