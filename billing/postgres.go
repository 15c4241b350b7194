package billing

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"yardsync/reconcile"
)

// pgRunner reads a PostgreSQL billing through a small pgx pool whose
// sessions default to read-only transactions with a statement timeout.
type pgRunner struct {
	pool *pgxpool.Pool
}

func openPostgres(ctx context.Context, cfg Config) (source, error) {
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, reconcile.Errorf(reconcile.ErrInvalid, "billing: dsn: %w", redact(err, []string{cfg.DSN}))
	}
	pc.MaxConns = maxConns
	pc.MaxConnIdleTime = time.Minute
	params := pc.ConnConfig.RuntimeParams
	params["default_transaction_read_only"] = "on"
	params["statement_timeout"] = strconv.FormatInt(serverTimeout(cfg.Timeout).Milliseconds(), 10)
	if params["application_name"] == "" {
		params["application_name"] = "yardsync"
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, reconcile.Errorf(reconcile.ErrUnavailable, "billing: %w", redact(err, []string{cfg.DSN, pc.ConnConfig.Password}))
	}
	secrets := []string{cfg.DSN, pc.ConnConfig.Password}
	src := newSQLSource(&pgRunner{pool: pool}, postgresDialect, cfg.Queries, cfg.Timeout, secrets)
	src.onQuery = cfg.OnQuery
	return src, nil
}

// serverTimeout lets the client's deadline fire first (with the clearer
// message); the server's own limit stops a query the client gave up on.
func serverTimeout(d time.Duration) time.Duration { return d + 500*time.Millisecond }

func (r *pgRunner) close() { r.pool.Close() }

func (r *pgRunner) query(ctx context.Context, q compiled, args []any, sink rowSink) error {
	tx, err := r.begin(ctx, q)
	if err != nil {
		return err
	}
	defer rollback(tx)
	rows, err := tx.Query(ctx, q.sql, pgArgs(args)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cols []string
	for _, f := range rows.FieldDescriptions() {
		cols = append(cols, f.Name)
	}
	return feed(rows, cols, sink, func() ([]any, error) {
		vals, err := rows.Values()
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		return vals, err
	})
}

// begin opens the read-only transaction of q. A query of @since runs with
// TimeZone UTC for the transaction only: other queries keep the session's
// zone, which CURRENT_DATE in a paid-until test depends on.
func (r *pgRunner) begin(ctx context.Context, q compiled) (pgx.Tx, error) {
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil || !q.utc {
		return tx, err
	}
	if _, err := tx.Exec(ctx, "SET LOCAL TimeZone = 'UTC'"); err != nil {
		rollback(tx)
		return nil, err
	}
	return tx, nil
}

// rollback ends the read-only transaction even when ctx has expired.
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = tx.Rollback(ctx)
}

// pgArgs lets each value go to whatever type PostgreSQL infers for its
// placeholder: a uid compared to an integer or pasted into text, a phone
// compared to text or to a BIGINT column.
func pgArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case int64:
			out[i] = pgValue(strconv.FormatInt(v, 10))
		case string:
			out[i] = pgValue(v)
		default:
			out[i] = a
		}
	}
	return out
}

// pgValue is a parameter of digits, encodable as text or as a number.
type pgValue string

// TextValue encodes the value for a text placeholder.
func (v pgValue) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: string(v), Valid: true}, nil
}

// Int64Value encodes the value for an integer or numeric placeholder.
func (v pgValue) Int64Value() (pgtype.Int8, error) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return pgtype.Int8{}, fmt.Errorf("%q is not a whole number", string(v))
	}
	return pgtype.Int8{Int64: n, Valid: true}, nil
}
