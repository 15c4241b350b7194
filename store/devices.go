package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

// Fields are column values for an insert or update, keyed by column name; a
// nil value writes NULL. Only columns the API manages are accepted.
type Fields map[string]any

// deviceColumns are the devices columns the API writes, with their SQL casts.
var deviceColumns = map[string]string{
	"device_uuid": "::uuid", "device_type": "", "url": "", "stream": "", "is_active": "",
	"title": "", "address": "", "longitude": "", "latitude": "", "domophoneid": "",
	"sippassword": "", "dtmf": "", "camshot": "", "paneltype": "", "panelip": "::inet",
	"panellogin": "", "panelpasswd": "",
}

const deviceSelect = `
	SELECT d.device_id, d.device_uuid::text, d.device_type, d.url, d.stream, d.is_active,
	       d.title, d.address, d.longitude::float8, d.latitude::float8, x.record_days,
	       d.domophoneid, d.sippassword, d.dtmf, d.camshot, d.paneltype, host(d.panelip),
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
			&d.Longitude, &d.Latitude, &d.RecordDays, &d.DomophoneID, &d.SIPPassword, &d.DTMF,
			&d.Camshot, &d.PanelType, &d.PanelIP, &d.PanelLogin, &d.PanelPasswd)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list devices: %w", err)
	}
	return list, nil
}

// AddDevice inserts a device and returns its id. record_days goes to yardsync's side table.
func (db *DB) AddDevice(ctx context.Context, f Fields) (int, error) {
	var id int
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		cols, vals, args, err := columnList(deviceColumns, f)
		if err != nil {
			return err
		}
		query := `INSERT INTO devices (` + join(cols) + `) VALUES (` + join(vals) + `) RETURNING device_id`
		if err := tx.QueryRow(ctx, query, args...).Scan(&id); err != nil {
			return mapError(err, "add device")
		}
		return setRecordDays(ctx, tx, id, f)
	})
	return id, err
}

// UpdateDevice changes the given columns of a device. A device that is a
// door's lock or camera cannot change to a type that breaks the door.
func (db *DB) UpdateDevice(ctx context.Context, id int, f Fields) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := getDevice(ctx, tx, id); err != nil {
			return err
		}
		if t, ok := f["device_type"]; ok {
			if err := checkTypeChange(ctx, tx, id, t); err != nil {
				return err
			}
		}
		if err := updateColumns(ctx, tx, "devices", "device_id", id, deviceColumns, f); err != nil {
			return mapError(err, "update device")
		}
		return setRecordDays(ctx, tx, id, f)
	})
}

func checkTypeChange(ctx context.Context, tx pgx.Tx, id int, newType any) error {
	var asLock, asCam bool
	query := `SELECT EXISTS (SELECT 1 FROM doors WHERE device_id = $1), EXISTS (SELECT 1 FROM doors WHERE cam = $1)`
	if err := tx.QueryRow(ctx, query, id).Scan(&asLock, &asCam); err != nil {
		return fmt.Errorf("store: check doors of device %d: %w", id, err)
	}
	t, _ := newType.(int64)
	if asLock && t != reconcile.TypeLock {
		return reconcile.Errorf(reconcile.ErrUnprocessable, "device %d is the lock of a door and must stay device_type 3", id)
	}
	if asCam && t != reconcile.TypeCam && t != reconcile.TypeMewcam {
		return reconcile.Errorf(reconcile.ErrUnprocessable, "device %d is the camera of a door and must stay device_type 1 or 2", id)
	}
	return nil
}

func setRecordDays(ctx context.Context, tx pgx.Tx, id int, f Fields) error {
	v, ok := f["record_days"]
	if !ok {
		return nil
	}
	query := `
		INSERT INTO yardsync_device_extra (device_id, record_days) VALUES ($1, $2)
		ON CONFLICT (device_id) DO UPDATE SET record_days = EXCLUDED.record_days`
	if _, err := tx.Exec(ctx, query, id, v); err != nil {
		return mapError(err, "set record_days")
	}
	return nil
}

// DeleteDevice removes a device, its doors, and its id from every rights
// list, in one transaction. It returns the uids whose rights changed.
func (db *DB) DeleteDevice(ctx context.Context, id int) ([]int64, error) {
	var uids []int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			UPDATE rights SET uid_right = array_remove(uid_right, $1)
			WHERE $1 = ANY(uid_right) RETURNING uid::int8`, id)
		if err != nil {
			return fmt.Errorf("store: delete device %d from rights: %w", id, err)
		}
		if uids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return fmt.Errorf("store: delete device %d from rights: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM doors WHERE device_id = $1 OR cam = $1`, id); err != nil {
			return fmt.Errorf("store: delete doors of device %d: %w", id, err)
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

// columnList builds the column, placeholder and argument lists of an insert
// from fields, refusing any column not in allowed.
func columnList(allowed map[string]string, f Fields) (cols, vals []string, args []any, err error) {
	for _, name := range sortedKeys(f) {
		cast, ok := allowed[name]
		if !ok {
			if name == "record_days" {
				continue
			}
			return nil, nil, nil, reconcile.Errorf(reconcile.ErrInvalid, "unknown column %q", name)
		}
		args = append(args, f[name])
		cols = append(cols, name)
		vals = append(vals, fmt.Sprintf("$%d%s", len(args), cast))
	}
	if len(cols) == 0 {
		return nil, nil, nil, errors.New("store: nothing to insert")
	}
	return cols, vals, args, nil
}

// updateColumns writes the allowed columns of f to one row; record_days and
// other side-table fields are skipped here.
func updateColumns(ctx context.Context, tx pgx.Tx, table, idCol string, id int, allowed map[string]string, f Fields) error {
	var sets []string
	args := []any{id}
	for _, name := range sortedKeys(f) {
		cast, ok := allowed[name]
		if !ok {
			continue
		}
		args = append(args, f[name])
		sets = append(sets, fmt.Sprintf("%s = $%d%s", name, len(args), cast))
	}
	if len(sets) == 0 {
		return nil
	}
	query := `UPDATE ` + table + ` SET ` + strings.Join(sets, ", ") + ` WHERE ` + idCol + ` = $1`
	_, err := tx.Exec(ctx, query, args...)
	return err
}

func sortedKeys(f Fields) []string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
