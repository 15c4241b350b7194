package store

import (
	"context"

	"yardsync/reconcile"
)

// The reads of a targeted run: only the rows one contract's run can need,
// so its cost does not grow with the fleet.

// KeysSharing returns the keys of uids and of every uid holding one of
// their codes: uid -> normalised codes. Those are the contracts whose grants
// can compete with theirs on a panel. Every query is an index lookup.
func (db *DB) KeysSharing(ctx context.Context, uids []int64) (map[int64][]string, error) {
	mine, err := collectKeys(db.pool.Query(ctx, `SELECT uid::int8, key FROM keys WHERE uid = ANY($1::int8[]) AND length(key) BETWEEN 1 AND 7`, uids))
	if err != nil || len(mine) == 0 {
		return mine, err
	}
	var codes []string
	for _, list := range mine {
		codes = append(codes, list...)
	}
	query := `
		SELECT uid::int8, key FROM keys
		WHERE uid IN (SELECT uid FROM keys WHERE key = ANY($1::bytea[])) AND length(key) BETWEEN 1 AND 7
		ORDER BY uid, key`
	return collectKeys(db.pool.Query(ctx, query, storedForms(codes)))
}

// storedForms lists every byte string SmartYard may hold for the codes: the
// 7-byte form and, when it starts with zero bytes, the shorter ones down to
// 1 byte (keys are stored as given, in any length of 1 to 7 bytes).
func storedForms(codes []string) [][]byte {
	var out [][]byte
	for _, code := range codes {
		b, err := reconcile.KeyBytes(code)
		if err != nil {
			continue
		}
		out = append(out, b)
		for len(b) > 1 && b[0] == 0 {
			b = b[1:]
			out = append(out, b)
		}
	}
	return out
}

// RightsOf returns the rights lists of the given uids.
func (db *DB) RightsOf(ctx context.Context, uids []int64) (map[int64][]int, error) {
	return collectRights(db.pool.Query(ctx, `SELECT uid::int8, coalesce(uid_right, '{}') FROM rights WHERE uid = ANY($1::int4[])`, uids))
}

// OwnedKeysOf returns the ownership records of uids, of the given codes on
// any panel, and every record on the given devices. The codes are compared
// as the column's character(14), so each part of the OR uses an index (uid,
// code, device) instead of scanning every record.
func (db *DB) OwnedKeysOf(ctx context.Context, uids []int64, codes []string, devices []int) ([]reconcile.OwnedKey, error) {
	query := `
		SELECT device_id, code, flat, uid, ` + deletingColumn + ` FROM yardsync_owned_keys
		WHERE uid = ANY($1::int8[]) OR code = ANY($2::character(14)[]) OR device_id = ANY($3::int4[])
		ORDER BY device_id, code`
	rows, err := db.pool.Query(ctx, query, uids, codes, devices)
	return collectOwned(rows, err, 0)
}

// DevicesByID returns the devices with the given ids, ordered by id.
func (db *DB) DevicesByID(ctx context.Context, ids []int) ([]reconcile.Device, error) {
	return listDevices(ctx, db.pool, deviceSelect+` WHERE d.device_id = ANY($1::int4[]) ORDER BY d.device_id`, ids)
}

// DoorsOfLocks returns the doors whose lock is one of the given devices.
func (db *DB) DoorsOfLocks(ctx context.Context, locks []int) ([]reconcile.Door, error) {
	return listDoors(ctx, db.pool, `WHERE device_id = ANY($1::int4[]) ORDER BY id`, locks)
}
