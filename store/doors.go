package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

var doorColumns = map[string]string{
	"device_id": "", "cam": "", "entrance": "", "icon": "", "name": "", "open": "", "open_trait": "",
}

// Doors returns every door, ordered by id.
func (db *DB) Doors(ctx context.Context) ([]reconcile.Door, error) {
	return listDoors(ctx, db.pool, `WHERE true ORDER BY id`)
}

func listDoors(ctx context.Context, q querier, where string, args ...any) ([]reconcile.Door, error) {
	query := `SELECT id, device_id, cam, entrance, icon, name, open, open_trait FROM doors ` + where
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list doors: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (reconcile.Door, error) {
		var d reconcile.Door
		err := row.Scan(&d.ID, &d.DeviceID, &d.Cam, &d.Entrance, &d.Icon, &d.Name, &d.Open, &d.OpenTrait)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list doors: %w", err)
	}
	return list, nil
}

// AddDoor inserts a door after checking that device_id is a lock and cam a
// camera. It returns the new id and the uids whose reach changed.
func (db *DB) AddDoor(ctx context.Context, f Fields) (id int, uids []int64, err error) {
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkDoorDevices(ctx, tx, f["device_id"], f["cam"]); err != nil {
			return err
		}
		cols, vals, args, err := columnList(doorColumns, f)
		if err != nil {
			return err
		}
		query := `INSERT INTO doors (` + join(cols) + `) VALUES (` + join(vals) + `) RETURNING id`
		if err := tx.QueryRow(ctx, query, args...).Scan(&id); err != nil {
			return mapError(err, "add door")
		}
		uids, err = uidsReaching(ctx, tx, f["device_id"])
		return err
	})
	return id, uids, err
}

// UpdateDoor changes the given columns of a door, with the same checks as AddDoor.
func (db *DB) UpdateDoor(ctx context.Context, id int, f Fields) ([]int64, error) {
	var uids []int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		old, err := getDoor(ctx, tx, id)
		if err != nil {
			return err
		}
		lock, cam := valueOr(f, "device_id", int64(old.DeviceID)), valueOr(f, "cam", int64(old.Cam))
		if err := checkDoorDevices(ctx, tx, lock, cam); err != nil {
			return err
		}
		if err := updateColumns(ctx, tx, "doors", "id", id, doorColumns, f); err != nil {
			return mapError(err, "update door")
		}
		uids, err = uidsReaching(ctx, tx, int64(old.DeviceID), lock)
		return err
	})
	return uids, err
}

// DeleteDoor removes a door and returns the uids whose reach changed.
func (db *DB) DeleteDoor(ctx context.Context, id int) ([]int64, error) {
	var uids []int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		old, err := getDoor(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM doors WHERE id = $1`, id); err != nil {
			return fmt.Errorf("store: delete door %d: %w", id, err)
		}
		uids, err = uidsReaching(ctx, tx, int64(old.DeviceID))
		return err
	})
	return uids, err
}

func getDoor(ctx context.Context, q querier, id int) (reconcile.Door, error) {
	list, err := listDoors(ctx, q, `WHERE id = $1`, id)
	if err != nil {
		return reconcile.Door{}, err
	}
	if len(list) == 0 {
		return reconcile.Door{}, reconcile.Errorf(reconcile.ErrNotFound, "door %d", id)
	}
	return list[0], nil
}

func valueOr(f Fields, name string, def any) any {
	if v, ok := f[name]; ok {
		return v
	}
	return def
}

// checkDoorDevices enforces the spec: a door's device_id is a lock (type 3)
// and its cam a camera (type 1 or 2).
func checkDoorDevices(ctx context.Context, q querier, lock, cam any) error {
	if err := checkDeviceType(ctx, q, "device_id", lock, reconcile.TypeLock); err != nil {
		return err
	}
	return checkDeviceType(ctx, q, "cam", cam, reconcile.TypeCam, reconcile.TypeMewcam)
}

func checkDeviceType(ctx context.Context, q querier, field string, id any, want ...int) error {
	var t int
	err := q.QueryRow(ctx, `SELECT device_type FROM devices WHERE device_id = $1`, id).Scan(&t)
	if err == pgx.ErrNoRows {
		return reconcile.Errorf(reconcile.ErrUnprocessable, "%s %v: no such device", field, id)
	}
	if err != nil {
		return fmt.Errorf("store: read device %v: %w", id, err)
	}
	for _, w := range want {
		if t == w {
			return nil
		}
	}
	if field == "device_id" {
		return reconcile.Errorf(reconcile.ErrUnprocessable, "device_id %v is device_type %d, a door needs a lock (3)", id, t)
	}
	return reconcile.Errorf(reconcile.ErrUnprocessable, "cam %v is device_type %d, a door needs a camera (1 or 2)", id, t)
}

// uidsReaching lists the uids whose rights hold any of the given devices.
func uidsReaching(ctx context.Context, q querier, ids ...any) ([]int64, error) {
	var list []int32
	for _, id := range ids {
		list = append(list, int32(toInt64(id)))
	}
	rows, err := q.Query(ctx, `SELECT uid::int8 FROM rights WHERE uid_right && $1::int4[] ORDER BY uid`, list)
	if err != nil {
		return nil, fmt.Errorf("store: rights reaching devices: %w", err)
	}
	uids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: rights reaching devices: %w", err)
	}
	return uids, nil
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case int32:
		return int64(n)
	}
	return 0
}

func join(s []string) string { return strings.Join(s, ", ") }

// UIDsReaching lists the contracts whose rights hold the device, or a lock
// whose door names it as camera: those a change to the device concerns.
func (db *DB) UIDsReaching(ctx context.Context, id int) ([]int64, error) {
	ids := []any{int64(id)}
	locks, err := listDoors(ctx, db.pool, `WHERE cam = $1`, id)
	if err != nil {
		return nil, err
	}
	for _, d := range locks {
		ids = append(ids, int64(d.DeviceID))
	}
	return uidsReaching(ctx, db.pool, ids...)
}
