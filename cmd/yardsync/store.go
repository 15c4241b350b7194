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
	db, err := store.Open(ctx, e.cfg.Store.DSN)
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

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "apply the store migrations (safe on an existing SmartYard database, safe to repeat)",
		Action: func(c *cli.Context) error {
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			db, err := e.openStore(c.Context)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Migrate(c.Context, e.log); err != nil {
				return err
			}
			e.log.Info("store is up to date")
			return nil
		},
	}
}
