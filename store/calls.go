package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

var _ reconcile.CallBook = (*DB)(nil)

// CallRecords lists the flats of devices whose calls yardsync turned off
// (or was about to), with what it found there, by device and flat.
func (db *DB) CallRecords(ctx context.Context, devices []int) ([]reconcile.CallRecord, error) {
	ids := make([]int32, len(devices))
	for i, id := range devices {
		ids[i] = int32(id)
	}
	query := `
		SELECT device_id, flat, handset, sip, raw, uids, seen_off FROM yardsync_calls_off
		WHERE device_id = ANY($1) ORDER BY device_id, flat`
	rows, err := db.pool.Query(ctx, query, ids)
	if err != nil {
		return nil, fmt.Errorf("store: call records: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (reconcile.CallRecord, error) {
		var r reconcile.CallRecord
		err := row.Scan(&r.DeviceID, &r.Flat, &r.Found.Handset, &r.Found.SIP, &r.Found.Raw, &r.UIDs, &r.Seen)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: call records: %w", err)
	}
	return list, nil
}

// RecordCallsOff records what a flat held before yardsync turns its calls
// off. A record already there keeps what it found first: by now the panel
// may show yardsync's own off.
func (db *DB) RecordCallsOff(ctx context.Context, r reconcile.CallRecord) error {
	uids := r.UIDs
	if uids == nil {
		uids = []int64{}
	}
	query := `
		INSERT INTO yardsync_calls_off (device_id, flat, handset, sip, raw, uids)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (device_id, flat) DO UPDATE SET uids = EXCLUDED.uids`
	if _, err := db.pool.Exec(ctx, query, r.DeviceID, r.Flat, r.Found.Handset, r.Found.SIP, r.Found.Raw, uids); err != nil {
		return fmt.Errorf("store: record calls off: %w", err)
	}
	return nil
}

// CallsSeenOff marks a flat's record as seen off on the panel.
func (db *DB) CallsSeenOff(ctx context.Context, deviceID, flat int) error {
	query := `UPDATE yardsync_calls_off SET seen_off = true WHERE device_id = $1 AND flat = $2`
	if _, err := db.pool.Exec(ctx, query, deviceID, flat); err != nil {
		return fmt.Errorf("store: calls seen off: %w", err)
	}
	return nil
}

// ForgetCalls drops a flat's record once its setting is back.
func (db *DB) ForgetCalls(ctx context.Context, deviceID, flat int) error {
	query := `DELETE FROM yardsync_calls_off WHERE device_id = $1 AND flat = $2`
	if _, err := db.pool.Exec(ctx, query, deviceID, flat); err != nil {
		return fmt.Errorf("store: forget calls: %w", err)
	}
	return nil
}

// ContractsReaching lists every contract whose rights reach one of panels (the
// panel itself, or a lock whose door names it as its cam), with the panels
// among them it reaches: a run of a few contracts reads them to see every
// contract of a flat before it turns the flat's calls off.
func (db *DB) ContractsReaching(ctx context.Context, panels []int) (map[int64][]int, error) {
	ids := make([]int32, len(panels))
	for i, id := range panels {
		ids[i] = int32(id)
	}
	query := `
		SELECT DISTINCT r.uid::int8, p
		FROM rights r CROSS JOIN unnest($1::int4[]) AS p
		WHERE p = ANY(r.uid_right)
		   OR EXISTS (SELECT 1 FROM doors d WHERE d.cam = p AND d.device_id = ANY(r.uid_right))
		ORDER BY 1, 2`
	rows, err := db.pool.Query(ctx, query, ids)
	if err != nil {
		return nil, fmt.Errorf("store: contracts reaching panels: %w", err)
	}
	out := map[int64][]int{}
	var uid int64
	var panel int32
	_, err = pgx.ForEachRow(rows, []any{&uid, &panel}, func() error {
		out[uid] = append(out[uid], int(panel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: contracts reaching panels: %w", err)
	}
	return out, nil
}
