package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

// Right is one device in a contract's rights list.
type Right struct {
	DeviceID int
	Type     int
	TypeName string // the type's row in types
	Title    *string
}

// Rights lists the devices a uid has rights on, ordered by device id.
// Ids in the list that no longer name a device are left out.
func (db *DB) Rights(ctx context.Context, uid int64) ([]Right, error) {
	query := `
		SELECT d.device_id, d.device_type, coalesce(t.type, d.device_type::text), d.title
		FROM rights r JOIN devices d ON d.device_id = ANY(r.uid_right)
		LEFT JOIN types t ON t.id = d.device_type
		WHERE r.uid = $1 ORDER BY d.device_id`
	rows, err := db.pool.Query(ctx, query, uid)
	if err != nil {
		return nil, fmt.Errorf("store: rights of %d: %w", uid, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Right, error) {
		var r Right
		err := row.Scan(&r.DeviceID, &r.Type, &r.TypeName, &r.Title)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: rights of %d: %w", uid, err)
	}
	return list, nil
}

// AllRights returns every rights list: uid -> device ids.
func (db *DB) AllRights(ctx context.Context) (map[int64][]int, error) {
	rows, err := db.pool.Query(ctx, `SELECT uid::int8, coalesce(uid_right, '{}') FROM rights`)
	out, err := fillRights(make(map[int64][]int, hint(&db.sizes.rights)), rows, err)
	db.sizes.rights.Store(int64(len(out)))
	return out, err
}

// collectRights reads (uid, uid_right) rows into uid -> device ids.
func collectRights(rows pgx.Rows, err error) (map[int64][]int, error) {
	return fillRights(map[int64][]int{}, rows, err)
}

// fillRights is collectRights into out.
func fillRights(out map[int64][]int, rows pgx.Rows, err error) (map[int64][]int, error) {
	if err != nil {
		return nil, fmt.Errorf("store: rights: %w", err)
	}
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

// AddRights adds devices to a uid's rights, creating the list if needed.
// Adding nothing, or what is already there, writes nothing; an unknown
// device changes nothing and wraps reconcile.ErrUnprocessable. The cost does
// not grow in queries with the number of devices: each step is one query.
func (db *DB) AddRights(ctx context.Context, uid int64, devices []int) error {
	if len(devices) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkDevicesExist(ctx, tx, devices); err != nil {
			return err
		}
		current, _, err := lockRights(ctx, tx, uid)
		if err != nil {
			return err
		}
		have := make(map[int32]bool, len(current)+len(devices))
		for _, id := range current {
			have[id] = true
		}
		next := current
		for _, id := range devices {
			if !have[int32(id)] {
				have[int32(id)] = true
				next = append(next, int32(id))
			}
		}
		if len(next) == len(current) {
			return nil
		}
		return writeRights(ctx, tx, uid, next)
	})
}

// DeleteRights removes devices from a uid's rights. Removing what is not
// there, or from a uid with no rights row, writes nothing.
func (db *DB) DeleteRights(ctx context.Context, uid int64, devices []int) error {
	if len(devices) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		current, found, err := lockRights(ctx, tx, uid)
		if err != nil || !found {
			return err
		}
		gone := make(map[int32]bool, len(devices))
		for _, id := range devices {
			gone[int32(id)] = true
		}
		next := slices.DeleteFunc(slices.Clone(current), func(id int32) bool { return gone[id] })
		if len(next) == len(current) {
			return nil
		}
		return writeRights(ctx, tx, uid, next)
	})
}

// checkDevicesExist refuses the list if any id names no device, in one query.
func checkDevicesExist(ctx context.Context, tx pgx.Tx, devices []int) error {
	query := `
		SELECT id FROM unnest($1::int4[]) AS id
		WHERE NOT EXISTS (SELECT 1 FROM devices WHERE device_id = id) ORDER BY id LIMIT 1`
	var missing int
	err := tx.QueryRow(ctx, query, devices).Scan(&missing)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("store: check devices: %w", err)
	}
	return reconcile.Errorf(reconcile.ErrUnprocessable, "device_id %d: no such device", missing)
}

// lockRights reads a uid's list under a lock on the uid, so concurrent calls
// serialise even while the uid has no row yet; found reports the row.
func lockRights(ctx context.Context, tx pgx.Tx, uid int64) (ids []int32, found bool, err error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('yardsync_rights'), $1::int4)`, uid); err != nil {
		return nil, false, fmt.Errorf("store: lock rights of %d: %w", uid, err)
	}
	err = tx.QueryRow(ctx, `SELECT coalesce(uid_right, '{}') FROM rights WHERE uid = $1`, uid).Scan(&ids)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("store: rights of %d: %w", uid, err)
	}
	return ids, true, nil
}

func writeRights(ctx context.Context, tx pgx.Tx, uid int64, ids []int32) error {
	if ids == nil {
		ids = []int32{}
	}
	query := `
		INSERT INTO rights (uid, uid_right) VALUES ($1, $2)
		ON CONFLICT (uid) DO UPDATE SET uid_right = EXCLUDED.uid_right`
	if _, err := tx.Exec(ctx, query, uid, ids); err != nil {
		return fmt.Errorf("store: write rights of %d: %w", uid, err)
	}
	return nil
}
