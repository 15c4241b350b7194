package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

// Type is one row of SmartYard's types table.
type Type struct {
	ID   int    `json:"id"`
	Type string `json:"type"`
}

// Types lists the device types, ordered by id.
func (db *DB) Types(ctx context.Context) ([]Type, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, type FROM types ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: types: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Type])
	if err != nil {
		return nil, fmt.Errorf("store: types: %w", err)
	}
	return list, nil
}

// checkType refuses a device_type that is not a row of types, naming the known ids.
func checkType(ctx context.Context, q querier, t int) error {
	rows, err := q.Query(ctx, `SELECT id, type FROM types ORDER BY id`)
	if err != nil {
		return fmt.Errorf("store: types: %w", err)
	}
	known, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Type])
	if err != nil {
		return fmt.Errorf("store: types: %w", err)
	}
	names := make([]string, len(known))
	for i, k := range known {
		if k.ID == t {
			return nil
		}
		names[i] = fmt.Sprintf("%d %s", k.ID, k.Type)
	}
	return reconcile.Errorf(reconcile.ErrInvalid, "device_type %d is not a known type (known: %s)", t, strings.Join(names, ", "))
}
