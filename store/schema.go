package store

import (
	"context"
	"fmt"
	"strings"

	"yardsync/reconcile"
)

// foreignTables are tables of rosteleset's SmartYard-Server, a different
// product with the same name: its panels and keys live in houses_domophones
// and houses_rfids, and yardsync does not serve it.
var foreignTables = []string{"houses_domophones", "houses_rfids"}

// CheckSchema refuses a database that holds SmartYard-Server's schema
// instead of the SmartYard database yardsync serves (the AXIOSTV server's
// devices, doors, rights and keys), before anything is created beside it.
func (db *DB) CheckSchema(ctx context.Context) error {
	var found []string
	query := `SELECT c FROM unnest($1::text[]) c WHERE to_regclass(c) IS NOT NULL`
	rows, err := db.pool.Query(ctx, query, foreignTables)
	if err != nil {
		return fmt.Errorf("store: check schema: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("store: check schema: %w", err)
		}
		found = append(found, name)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: check schema: %w", err)
	}
	if len(found) > 0 {
		return reconcile.Errorf(reconcile.ErrInvalid, "store: this database holds rosteleset SmartYard-Server's schema (%s), "+
			"not the SmartYard database yardsync serves (the AXIOSTV SmartYard server's devices, doors, rights and keys); "+
			"point store.dsn at that database; nothing was changed", strings.Join(found, ", "))
	}
	return nil
}
