package billing

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"yardsync/reconcile"
)

// myRunner reads a MySQL or MariaDB billing through database/sql with a
// small pool; every query runs in START TRANSACTION READ ONLY.
type myRunner struct {
	db  *sql.DB
	utc *sql.DB           // one session with time_zone UTC, for the queries of @since
	dec *encoding.Decoder // nil: the connection speaks UTF-8
}

func openMySQL(cfg Config) (source, error) {
	mc, err := mysql.ParseDSN(cfg.DSN)
	if err != nil {
		return nil, reconcile.Errorf(reconcile.ErrInvalid, "billing: dsn: %w", redact(err, []string{cfg.DSN}))
	}
	mc.ParseTime = false // dates arrive as text: zero dates stay visible
	mc.Loc = time.UTC    // so @since goes as UTC, whatever loc the DSN gives
	mc.MultiStatements = false
	mc.InterpolateParams = false
	dec, err := connCharset(mc)
	if err != nil {
		return nil, reconcile.Errorf(reconcile.ErrInvalid, "billing: dsn: %w", err)
	}
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, reconcile.Errorf(reconcile.ErrInvalid, "billing: dsn: %w", redact(err, []string{cfg.DSN, mc.Passwd}))
	}
	limited := limitedConnector{Connector: conn, limit: serverTimeout(cfg.Timeout)}
	db := openPool(limited, maxConns)
	limited.utc = true
	utc := openPool(limited, 1)
	secrets := []string{cfg.DSN, mc.Passwd}
	src := newSQLSource(&myRunner{db: db, utc: utc, dec: dec}, mysqlDialect, cfg.Queries, cfg.Timeout, secrets)
	src.onQuery = cfg.OnQuery
	return src, nil
}

// openPool opens a pool of at most n sessions; none is opened before a query.
func openPool(c limitedConnector, n int) *sql.DB {
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(time.Minute)
	db.SetConnMaxLifetime(10 * time.Minute)
	return db
}

// connCharset picks the decoder for the DSN's charset. Without one the
// driver asks for utf8mb4 and the server converts cp1251 or latin1 columns.
func connCharset(mc *mysql.Config) (*encoding.Decoder, error) {
	dsn := mc.FormatDSN()
	if !strings.Contains(dsn, "?") {
		return nil, nil
	}
	q, err := url.ParseQuery(dsn[strings.LastIndex(dsn, "?")+1:])
	if err != nil {
		return nil, fmt.Errorf("its parameters do not parse (is a value not escaped?): %w", err)
	}
	cs := strings.ToLower(strings.Split(q.Get("charset"), ",")[0])
	switch cs {
	case "", "utf8", "utf8mb4", "utf8mb3", "binary":
		return nil, nil
	case "cp1251":
		return charmap.Windows1251.NewDecoder(), nil
	case "koi8r":
		return charmap.KOI8R.NewDecoder(), nil
	case "koi8u":
		return charmap.KOI8U.NewDecoder(), nil
	case "latin1":
		return charmap.Windows1252.NewDecoder(), nil
	}
	return nil, fmt.Errorf("charset %s is not supported: use utf8mb4, cp1251, koi8r, koi8u or latin1", cs)
}

func (r *myRunner) close() {
	_ = r.db.Close()
	_ = r.utc.Close()
}

func (r *myRunner) query(ctx context.Context, q compiled, args []any, sink rowSink) error {
	db := r.db
	if q.utc {
		db = r.utc
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, q.sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return r.read(rows, sink)
}

func (r *myRunner) read(rows *sql.Rows, sink rowSink) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return feed(rows, cols, sink, func() ([]any, error) {
		clear(vals)
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		return vals, r.text(vals)
	})
}

// text turns the driver's []byte values into UTF-8 strings.
func (r *myRunner) text(vals []any) error {
	for i, v := range vals {
		b, ok := v.([]byte)
		if !ok {
			continue
		}
		if r.dec == nil {
			vals[i] = string(b)
			continue
		}
		s, err := r.dec.String(string(b))
		if err != nil {
			return err
		}
		vals[i] = s
	}
	return nil
}

// limitedConnector gives each new session a server-side statement limit, so
// a query the client gave up on does not keep loading the billing, and with
// utc the time zone UTC. A session keeps its time zone: the utc ones are a
// pool of their own, so CURDATE() in the other queries stays the billing's.
type limitedConnector struct {
	driver.Connector
	limit time.Duration
	utc   bool
}

func (c limitedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		return conn, nil
	}
	// MariaDB: max_statement_time in seconds; MySQL 5.7.8+: max_execution_time in ms.
	if _, err := ex.ExecContext(ctx, fmt.Sprintf("SET SESSION max_statement_time = %.3f", c.limit.Seconds()), nil); err != nil {
		_, _ = ex.ExecContext(ctx, fmt.Sprintf("SET SESSION max_execution_time = %d", c.limit.Milliseconds()), nil)
	}
	if c.utc {
		if _, err := ex.ExecContext(ctx, "SET SESSION time_zone = '+00:00'", nil); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return conn, nil
}
