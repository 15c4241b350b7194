package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

// Tombstones lists the panels deleted from SmartYard whose yardsync keys
// are not yet removed, with what is needed to dial them.
func (db *DB) Tombstones(ctx context.Context) ([]reconcile.PanelDevice, error) {
	rows, err := db.pool.Query(ctx, `SELECT device_id, paneltype, panelip, panellogin, panelpasswd FROM yardsync_tombstones ORDER BY device_id`)
	if err != nil {
		return nil, fmt.Errorf("store: tombstones: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[reconcile.PanelDevice])
	if err != nil {
		return nil, fmt.Errorf("store: tombstones: %w", err)
	}
	return list, nil
}

// DropTombstones removes the tombstones of panels yardsync owns no key on
// any more: their cleanup is done.
func (db *DB) DropTombstones(ctx context.Context) error {
	query := `
		DELETE FROM yardsync_tombstones t
		WHERE NOT EXISTS (SELECT 1 FROM yardsync_owned_keys o WHERE o.device_id = t.device_id)`
	if _, err := db.pool.Exec(ctx, query); err != nil {
		return fmt.Errorf("store: drop tombstones: %w", err)
	}
	return nil
}

// bury runs inside a device's deletion: a panel yardsync owns keys on gets a
// tombstone so the keys can still be removed from it. The records of a
// device that cannot be dialled (no family or address) go with it: nothing
// can ever reach those keys.
func bury(ctx context.Context, tx pgx.Tx, id int) error {
	query := `
		INSERT INTO yardsync_tombstones (device_id, paneltype, panelip, panellogin, panelpasswd)
		SELECT device_id, paneltype, host(panelip), coalesce(panellogin, ''), coalesce(panelpasswd, '')
		FROM devices
		WHERE device_id = $1 AND paneltype IN (1, 2) AND panelip IS NOT NULL
		  AND EXISTS (SELECT 1 FROM yardsync_owned_keys WHERE device_id = $1)
		ON CONFLICT (device_id) DO UPDATE
		SET paneltype = EXCLUDED.paneltype, panelip = EXCLUDED.panelip, panellogin = EXCLUDED.panellogin,
		    panelpasswd = EXCLUDED.panelpasswd, deleted_at = now()`
	if _, err := tx.Exec(ctx, query, id); err != nil {
		return fmt.Errorf("store: tombstone of device %d: %w", id, err)
	}
	query = `
		DELETE FROM yardsync_owned_keys
		WHERE device_id = $1 AND NOT EXISTS (SELECT 1 FROM yardsync_tombstones WHERE device_id = $1)`
	if _, err := tx.Exec(ctx, query, id); err != nil {
		return fmt.Errorf("store: forget keys of device %d: %w", id, err)
	}
	return nil
}
