package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

const deviceSelect = `
	SELECT d.device_id, d.device_uuid::text, d.device_type, d.url, d.stream, d.is_active,
	       d.title, d.address, d.longitude::float8, d.latitude::float8, x.record_days,
	       d.domophoneid, d.monitorid, d.sippassword, d.dtmf, d.camshot, d.paneltype, host(d.panelip),
	       d.panellogin, d.panelpasswd
	FROM devices d LEFT JOIN yardsync_device_extra x ON x.device_id = d.device_id`

// Devices returns every device, ordered by id.
func (db *DB) Devices(ctx context.Context) ([]reconcile.Device, error) {
	return listDevices(ctx, db.pool, deviceSelect+` ORDER BY d.device_id`)
}

// Device returns one device, or an error wrapping reconcile.ErrNotFound.
func (db *DB) Device(ctx context.Context, id int) (reconcile.Device, error) {
	return getDevice(ctx, db.pool, id)
}

func getDevice(ctx context.Context, q querier, id int) (reconcile.Device, error) {
	list, err := listDevices(ctx, q, deviceSelect+` WHERE d.device_id = $1`, id)
	if err != nil {
		return reconcile.Device{}, err
	}
	if len(list) == 0 {
		return reconcile.Device{}, reconcile.Errorf(reconcile.ErrNotFound, "device %d", id)
	}
	return list[0], nil
}

func listDevices(ctx context.Context, q querier, query string, args ...any) ([]reconcile.Device, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list devices: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (reconcile.Device, error) {
		var d reconcile.Device
		err := row.Scan(&d.ID, &d.UUID, &d.Type, &d.URL, &d.Stream, &d.IsActive, &d.Title, &d.Address,
			&d.Longitude, &d.Latitude, &d.RecordDays, &d.DomophoneID, &d.MonitorID, &d.SIPPassword, &d.DTMF,
			&d.Camshot, &d.PanelType, &d.PanelIP, &d.PanelLogin, &d.PanelPasswd)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list devices: %w", err)
	}
	return list, nil
}

// AddDevice inserts a device and returns its id. Its type must be a row of
// types; record_days goes to yardsync's side table.
func (db *DB) AddDevice(ctx context.Context, d reconcile.Device) (int, error) {
	var id int
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkType(ctx, tx, d.Type); err != nil {
			return err
		}
		query := `
			INSERT INTO devices (device_uuid, device_type, url, stream, is_active, title, address,
			       longitude, latitude, domophoneid, monitorid, sippassword, dtmf, camshot,
			       paneltype, panelip, panellogin, panelpasswd)
			VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::inet, $17, $18)
			RETURNING device_id`
		err := tx.QueryRow(ctx, query, d.UUID, d.Type, d.URL, d.Stream, d.IsActive, d.Title, d.Address,
			d.Longitude, d.Latitude, d.DomophoneID, d.MonitorID, d.SIPPassword, d.DTMF, d.Camshot,
			d.PanelType, d.PanelIP, d.PanelLogin, d.PanelPasswd).Scan(&id)
		if err != nil {
			return mapError(err, "add device")
		}
		if d.RecordDays == nil {
			return nil
		}
		return setRecordDays(ctx, tx, id, d.RecordDays)
	})
	return id, err
}

// DevicePatch is a change to one device: Apply edits the device as stored.
type DevicePatch struct {
	ID    int
	Apply func(*reconcile.Device) error
}

// UpdateDevice applies patch to a device as it is now, in one transaction.
func (db *DB) UpdateDevice(ctx context.Context, id int, patch func(*reconcile.Device) error) error {
	return db.UpdateDevices(ctx, []DevicePatch{{ID: id, Apply: patch}})
}

// UpdateDevices applies every patch in one transaction: an unknown device or
// a refused change leaves every device as it was. A device that is a door's
// lock or camera cannot change to a type that breaks the door.
func (db *DB) UpdateDevices(ctx context.Context, patches []DevicePatch) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		for _, p := range patches {
			if err := updateDevice(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

func updateDevice(ctx context.Context, tx pgx.Tx, p DevicePatch) error {
	list, err := listDevices(ctx, tx, deviceSelect+` WHERE d.device_id = $1 FOR UPDATE OF d`, p.ID)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return reconcile.Errorf(reconcile.ErrNotFound, "device %d", p.ID)
	}
	old, d := list[0], list[0]
	if err := p.Apply(&d); err != nil {
		return err
	}
	if d.Type != old.Type {
		if err := checkTypeChange(ctx, tx, p.ID, d.Type); err != nil {
			return err
		}
	}
	// Coordinates and panelip were read through float8 and host(): a value
	// the patch left alone is kept as stored, not rounded or stripped of its mask.
	query := `
		UPDATE devices SET device_uuid = $2::uuid, device_type = $3, url = $4, stream = $5, is_active = $6,
		       title = $7, address = $8,
		       longitude = CASE WHEN $9::float8 IS NOT DISTINCT FROM longitude::float8 THEN longitude ELSE $9 END,
		       latitude = CASE WHEN $10::float8 IS NOT DISTINCT FROM latitude::float8 THEN latitude ELSE $10 END,
		       domophoneid = $11, monitorid = $12, sippassword = $13, dtmf = $14, camshot = $15, paneltype = $16,
		       panelip = CASE WHEN $17::text IS NOT DISTINCT FROM host(panelip) THEN panelip ELSE $17::inet END,
		       panellogin = $18, panelpasswd = $19
		WHERE device_id = $1`
	_, err = tx.Exec(ctx, query, p.ID, d.UUID, d.Type, d.URL, d.Stream, d.IsActive, d.Title, d.Address,
		d.Longitude, d.Latitude, d.DomophoneID, d.MonitorID, d.SIPPassword, d.DTMF, d.Camshot,
		d.PanelType, d.PanelIP, d.PanelLogin, d.PanelPasswd)
	if err != nil {
		return mapError(err, "update device")
	}
	if ptrEqual(old.RecordDays, d.RecordDays) {
		return nil
	}
	return setRecordDays(ctx, tx, p.ID, d.RecordDays)
}

func checkTypeChange(ctx context.Context, tx pgx.Tx, id, t int) error {
	if err := checkType(ctx, tx, t); err != nil {
		return err
	}
	var asLock, asCam bool
	query := `SELECT EXISTS (SELECT 1 FROM doors WHERE device_id = $1), EXISTS (SELECT 1 FROM doors WHERE cam = $1)`
	if err := tx.QueryRow(ctx, query, id).Scan(&asLock, &asCam); err != nil {
		return fmt.Errorf("store: check doors of device %d: %w", id, err)
	}
	if asLock && t != reconcile.TypeLock {
		return reconcile.Errorf(reconcile.ErrUnprocessable, "device %d is the lock of a door and must stay device_type 3", id)
	}
	if asCam && t != reconcile.TypeCam && t != reconcile.TypeMewcam {
		return reconcile.Errorf(reconcile.ErrUnprocessable, "device %d is the camera of a door and must stay device_type 1 or 2", id)
	}
	return nil
}

func setRecordDays(ctx context.Context, tx pgx.Tx, id int, days *int) error {
	query := `
		INSERT INTO yardsync_device_extra (device_id, record_days) VALUES ($1, $2)
		ON CONFLICT (device_id) DO UPDATE SET record_days = EXCLUDED.record_days`
	if _, err := tx.Exec(ctx, query, id, days); err != nil {
		return mapError(err, "set record_days")
	}
	return nil
}

func ptrEqual[T comparable](a, b *T) bool {
	return a == b || a != nil && b != nil && *a == *b
}

// DeleteDevice removes a device, its doors, and its id from every rights
// list, in one transaction. A panel yardsync owns keys on keeps a tombstone
// until they are removed from it. It returns the uids whose rights changed
// and those owning keys on it: the contracts whose run cleans the panel.
func (db *DB) DeleteDevice(ctx context.Context, id int) ([]int64, error) {
	var uids []int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH changed AS (
				UPDATE rights SET uid_right = array_remove(uid_right, $1)
				WHERE $1 = ANY(uid_right) RETURNING uid::int8)
			SELECT uid FROM changed UNION SELECT uid FROM yardsync_owned_keys WHERE device_id = $1 ORDER BY 1`, id)
		if err != nil {
			return fmt.Errorf("store: delete device %d from rights: %w", id, err)
		}
		if uids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return fmt.Errorf("store: delete device %d from rights: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM doors WHERE device_id = $1 OR cam = $1`, id); err != nil {
			return fmt.Errorf("store: delete doors of device %d: %w", id, err)
		}
		if err := bury(ctx, tx, id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM devices WHERE device_id = $1`, id)
		if err != nil {
			return mapError(err, "delete device")
		}
		if tag.RowsAffected() == 0 {
			return reconcile.Errorf(reconcile.ErrNotFound, "device %d", id)
		}
		return nil
	})
	return uids, err
}

// DevicesAt returns the devices whose address is exactly address, ordered by id.
func (db *DB) DevicesAt(ctx context.Context, address string) ([]reconcile.Device, error) {
	return listDevices(ctx, db.pool, deviceSelect+` WHERE d.address = $1 ORDER BY d.device_id`, address)
}
