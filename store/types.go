package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
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
