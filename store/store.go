// Package store is yardsync's PostgreSQL store: SmartYard's own tables
// (devices, doors, rights, keys, types), read and written in place, and
// yardsync's bookkeeping in tables prefixed yardsync_.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"yardsync/reconcile"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the store: a pgx pool on the SmartYard database.
type DB struct {
	pool   *pgxpool.Pool
	holder string // application_name of this process's sessions, shown to whoever waits on the run lock
	sizes  sizes
}

// DefaultStatementTimeout is store.statement_timeout's default.
const DefaultStatementTimeout = 30 * time.Second

// Config is how the store is reached.
type Config struct {
	DSN string
	// StatementTimeout ends, on the server, any statement of the store's
	// sessions that runs longer, waiting for a lock included
	// (store.statement_timeout); 0 sends none. Migrations run without it.
	StatementTimeout time.Duration
}

// sizes remembers how many rows the last full read of each big table
// returned, so the next one allocates once instead of doubling its way
// there (which also leaves up to half of it unused).
type sizes struct {
	owned, keys, rights atomic.Int64
}

// hint returns a capacity for a read the last one of which gave n rows.
func hint(n *atomic.Int64) int { return int(n.Load() + n.Load()/16) }

// querier is what both the pool and a transaction offer, so helpers can run
// inside the caller's transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Open connects to the store at dsn with DefaultStatementTimeout. It does
// not run migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return OpenConfig(ctx, Config{DSN: dsn, StatementTimeout: DefaultStatementTimeout})
}

// OpenConfig connects to the store as c says. It does not run migrations.
func OpenConfig(ctx context.Context, c Config) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(c.DSN)
	if err != nil {
		return nil, fmt.Errorf("store: parse dsn: %w", redact(err))
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		host, _ := os.Hostname()
		cfg.ConnConfig.RuntimeParams["application_name"] = fmt.Sprintf("yardsync@%s pid %d", host, os.Getpid())
	}
	if c.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(c.StatementTimeout.Milliseconds(), 10)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", redact(err))
	}
	return &DB{pool: pool, holder: cfg.ConnConfig.RuntimeParams["application_name"]}, nil
}

// redact drops the connection string pgx may echo in a parse error.
func redact(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string")
	}
	return err
}

// Close releases every connection.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that the store answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Pool exposes the pool for the advisory lock and tests.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Migrate applies every embedded migration not yet applied, under a session
// lock so that two instances starting together do not race. A store a newer
// yardsync migrated is refused (ErrSchemaNewer), with both versions.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	st, err := db.Schema(ctx)
	if err != nil {
		return err
	}
	if st.Newer() {
		return newerError(st)
	}
	// A migration may rewrite a big table: its sessions have no statement
	// timeout.
	cfg := db.pool.Config()
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = "0"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", redact(err))
	}
	defer pool.Close()
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	provider, err := newMigrator(sqlDB)
	if err != nil {
		return err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", slog.String("migration", r.Source.Path), slog.Duration("took", r.Duration))
	}
	return nil
}

func newMigrator(sqlDB *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("store: migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub,
		goose.WithTableName("yardsync_schema_version"),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		// Migrations are numbered when their work starts and may land out of
		// order (0006 after 0010); each is independent of the ones it skips.
		goose.WithAllowOutofOrder(true),
	)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, nil
}

// inTx runs fn in one transaction: everything or nothing.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// mapError turns PostgreSQL constraint errors into the domain's sentinels.
func mapError(err error, what string) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	switch pe.Code {
	case "23505": // unique_violation
		return reconcile.Errorf(reconcile.ErrConflict, "%s: %s already exists", what, uniqueField(pe))
	case "23503": // foreign_key_violation
		return reconcile.Errorf(reconcile.ErrUnprocessable, "%s: refers to something that does not exist", what)
	case "22003": // numeric_value_out_of_range
		return reconcile.Errorf(reconcile.ErrInvalid, "%s: a number is out of the column's range (%s)", what, pe.Message)
	case "22001": // string_data_right_truncation
		return reconcile.Errorf(reconcile.ErrInvalid, "%s: a text is longer than its column allows", what)
	case "22P02", "22023": // invalid_text_representation, invalid_parameter_value
		return reconcile.Errorf(reconcile.ErrInvalid, "%s: %s", what, pe.Message)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

func uniqueField(pe *pgconn.PgError) string {
	switch pe.ConstraintName {
	case "devices_device_uuid_key":
		return "device_uuid"
	case "devices_domophoneid_key":
		return "domophoneid"
	case "devices_monitorid_key":
		return "monitorid"
	}
	if pe.ConstraintName != "" {
		return pe.ConstraintName
	}
	return "a unique value"
}
