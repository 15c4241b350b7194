package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

// ErrSchemaNewer marks a store migrated by a newer yardsync than this one:
// its tables may have changed in ways this binary does not know, so it
// neither migrates nor runs on it.
var ErrSchemaNewer = errors.New("store schema newer than this yardsync")

// SchemaState is where the store's schema stands against the migrations
// this binary embeds.
type SchemaState struct {
	Applied int64   // the newest migration applied to the store; 0: never migrated
	Newest  int64   // the newest migration this yardsync embeds
	Pending []int64 // embedded migrations the store has not applied, ascending
}

// Newer reports whether a newer yardsync migrated the store.
func (s SchemaState) Newer() bool { return s.Applied > s.Newest }

// Err says what is wrong with the schema for this yardsync, and what to run
// about it; nil when the store is up to date.
func (s SchemaState) Err() error {
	switch {
	case s.Newer():
		return newerError(s)
	case s.Applied == 0:
		return reconcile.Errorf(reconcile.ErrUnavailable,
			"store: not migrated (no yardsync tables yet): run `yardsync migrate` (safe on an existing SmartYard database)")
	case len(s.Pending) > 0:
		return reconcile.Errorf(reconcile.ErrUnavailable,
			"store: %d migration(s) not applied (the store is at migration %d, this yardsync has up to %d): run `yardsync migrate`",
			len(s.Pending), s.Applied, s.Newest)
	}
	return nil
}

func newerError(s SchemaState) error {
	return reconcile.Errorf(ErrSchemaNewer, "store: a newer yardsync migrated this store: its schema is at migration %d, "+
		"and this yardsync knows migrations up to %d; run the newer yardsync (or a later one), or restore the backup "+
		"taken before the upgrade (UPGRADING.md); nothing was changed", s.Applied, s.Newest)
}

// NewestMigration is the version of the newest migration this yardsync embeds.
func NewestMigration() int64 {
	v := embeddedVersions()
	return v[len(v)-1]
}

// embeddedVersions lists the embedded migrations' versions, ascending: the
// number before the first underscore of each file name (0016_x.sql is 16).
func embeddedVersions() []int64 {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		panic("store: embedded migrations: " + err.Error()) // the embed is part of the binary
	}
	var out []int64
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			panic("store: migration file " + e.Name() + " does not start with its number")
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// Schema reads which migrations the store has applied, writing nothing (the
// migration runner would create its version table): what check reports,
// and what Migrate refuses a newer store on.
func (db *DB) Schema(ctx context.Context) (SchemaState, error) {
	embedded := embeddedVersions()
	st := SchemaState{Newest: embedded[len(embedded)-1]}
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('yardsync_schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return st, fmt.Errorf("store: schema version: %w", err)
	}
	var applied []int64
	if exists {
		rows, err := db.pool.Query(ctx, `SELECT version_id FROM yardsync_schema_version WHERE is_applied AND version_id > 0`)
		if err != nil {
			return st, fmt.Errorf("store: schema version: %w", err)
		}
		if applied, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return st, fmt.Errorf("store: schema version: %w", err)
		}
	}
	for _, v := range applied {
		st.Applied = max(st.Applied, v)
	}
	for _, v := range embedded {
		if !slices.Contains(applied, v) {
			st.Pending = append(st.Pending, v)
		}
	}
	return st, nil
}
