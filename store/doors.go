package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

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
func (db *DB) AddDoor(ctx context.Context, d reconcile.Door) (id int, uids []int64, err error) {
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkDoorDevices(ctx, tx, d.DeviceID, d.Cam); err != nil {
			return err
		}
		query := `
			INSERT INTO doors (device_id, cam, entrance, icon, name, open, open_trait)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`
		err := tx.QueryRow(ctx, query, d.DeviceID, d.Cam, d.Entrance, d.Icon, d.Name, d.Open, d.OpenTrait).Scan(&id)
		if err != nil {
			return mapError(err, "add door")
		}
		uids, err = uidsReaching(ctx, tx, d.DeviceID)
		return err
	})
	return id, uids, err
}

// UpdateDoor applies patch to a door as it is now, with the same checks as
// AddDoor, and returns the uids whose reach changed.
func (db *DB) UpdateDoor(ctx context.Context, id int, patch func(*reconcile.Door) error) ([]int64, error) {
	var uids []int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		list, err := listDoors(ctx, tx, `WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return reconcile.Errorf(reconcile.ErrNotFound, "door %d", id)
		}
		old, d := list[0], list[0]
		if err := patch(&d); err != nil {
			return err
		}
		if err := checkDoorDevices(ctx, tx, d.DeviceID, d.Cam); err != nil {
			return err
		}
		query := `
			UPDATE doors SET device_id = $2, cam = $3, entrance = $4, icon = $5, name = $6, open = $7, open_trait = $8
			WHERE id = $1`
		if _, err := tx.Exec(ctx, query, id, d.DeviceID, d.Cam, d.Entrance, d.Icon, d.Name, d.Open, d.OpenTrait); err != nil {
			return mapError(err, "update door")
		}
		uids, err = uidsReaching(ctx, tx, old.DeviceID, d.DeviceID)
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
		uids, err = uidsReaching(ctx, tx, old.DeviceID)
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

// checkDoorDevices enforces the spec: a door's device_id is a lock (type 3)
// and its cam a camera (type 1 or 2).
func checkDoorDevices(ctx context.Context, q querier, lock, cam int) error {
	if err := checkDeviceType(ctx, q, "device_id", lock, reconcile.TypeLock); err != nil {
		return err
	}
	return checkDeviceType(ctx, q, "cam", cam, reconcile.TypeCam, reconcile.TypeMewcam)
}

func checkDeviceType(ctx context.Context, q querier, field string, id int, want ...int) error {
	var t int
	err := q.QueryRow(ctx, `SELECT device_type FROM devices WHERE device_id = $1`, id).Scan(&t)
	if errors.Is(err, pgx.ErrNoRows) {
		return reconcile.Errorf(reconcile.ErrUnprocessable, "%s %d: no such device", field, id)
	}
	if err != nil {
		return fmt.Errorf("store: read device %d: %w", id, err)
	}
	for _, w := range want {
		if t == w {
			return nil
		}
	}
	if field == "device_id" {
		return reconcile.Errorf(reconcile.ErrUnprocessable, "device_id %d is device_type %d, a door needs a lock (3)", id, t)
	}
	return reconcile.Errorf(reconcile.ErrUnprocessable, "cam %d is device_type %d, a door needs a camera (1 or 2)", id, t)
}

// uidsReaching lists the uids whose rights hold any of the given devices.
func uidsReaching(ctx context.Context, q querier, ids ...int) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT uid::int8 FROM rights WHERE uid_right && $1::int4[] ORDER BY uid`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: rights reaching devices: %w", err)
	}
	uids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: rights reaching devices: %w", err)
	}
	return uids, nil
}

// UIDsReaching lists the contracts whose rights hold the device, or a lock
// whose door names it as camera: those a change to the device concerns.
func (db *DB) UIDsReaching(ctx context.Context, id int) ([]int64, error) {
	ids := []int{id}
	locks, err := listDoors(ctx, db.pool, `WHERE cam = $1`, id)
	if err != nil {
		return nil, err
	}
	for _, d := range locks {
		ids = append(ids, d.DeviceID)
	}
	return uidsReaching(ctx, db.pool, ids...)
}
