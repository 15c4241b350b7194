package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"yardsync/store"
)

// openStore connects to the store, retrying briefly so a daemon started
// together with PostgreSQL does not die on the first refused connection.
func (e *env) openStore(ctx context.Context) (*store.DB, error) {
	db, err := store.OpenConfig(ctx, e.storeConfig())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for {
		err = db.Ping(ctx)
		if err == nil {
			return db, nil
		}
		select {
		case <-ctx.Done():
			db.Close()
			return nil, fmt.Errorf("store unreachable: %w", err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// storeConfig is how the commands reach the store.
func (e *env) storeConfig() store.Config {
	return store.Config{DSN: e.cfg.Store.DSN, StatementTimeout: e.cfg.Store.StatementTimeout}
}

// storeBound is the deadline of a step of store calls that has no other:
// the statement timeout and a margin for the round trip, so the server's
// own error comes first.
func (e *env) storeBound() time.Duration { return e.cfg.Store.StatementTimeout + 5*time.Second }

// openMigratedStore opens the store and brings its schema up to date, as
// every command that works on it does first.
func (e *env) openMigratedStore(ctx context.Context) (*store.DB, error) {
	db, err := e.openStore(ctx)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, e.log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// withStore runs fn with the command's env and a migrated store, closed after.
func withStore(c *cli.Context, fn func(e *env, db *store.DB) error) error {
	e, err := newEnv(c)
	if err != nil {
		return err
	}
	db, err := e.openMigratedStore(c.Context)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(e, db)
}

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "apply the store migrations (safe on an existing SmartYard database, safe to repeat)",
		Action: func(c *cli.Context) error {
			return withStore(c, func(e *env, _ *store.DB) error {
				e.log.Info("store is up to date")
				return nil
			})
		},
	}
}
