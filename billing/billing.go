package billing

import (
	"context"
	"time"

	"yardsync/reconcile"
)

// Query names, as the configuration and every error message spell them.
const (
	QueryUIDs     = "uids"
	QueryCams     = "cams"
	QueryContract = "contract"
	QuerySnapshot = "snapshot"
)

// Defaults used when Config leaves a field zero.
const (
	DefaultTimeout = 5 * time.Second
	maxConns       = 4
)

// Config says where the billing is and how to read it.
type Config struct {
	Driver      string        // postgres | mysql | file
	DSN         string        // pgx URL or keywords; go-sql-driver DSN for mysql
	Path        string        // YAML file for driver file
	Timeout     time.Duration // deadline of each query; 0: DefaultTimeout
	PhonePrefix string        // replaces the 7/8 of 11-digit Russian numbers; "" keeps 10 digits
	Queries     Queries       // SQL for the SQL drivers
	// OnQuery, when set, is told each SQL query's name, duration and error (for metrics).
	OnQuery func(query string, took time.Duration, err error)
}

// Queries are the operator's SQL with the named parameters @phone, @phone10
// and @uid. An empty query is not configured: calls that need it fail.
type Queries struct {
	UIDs     string // @phone/@phone10 -> rows of one column: uid
	Cams     string // @uid -> at most one row: cams_open, cams_paid
	Contract string // @uid (and @phone/@phone10) -> at most one row of billingList columns
	Snapshot string // no parameters -> every contract: uid, flat, cams_open, cams_paid
	Changes  string // optional: @since -> rows of one column: uid, the contracts changed after it
}

// source is one kind of billing: SQL or file.
type source interface {
	uids(ctx context.Context, p phoneArgs) ([]int64, error)
	cams(ctx context.Context, uid int64) (reconcile.CamsState, bool, error)
	contract(ctx context.Context, uid int64, p phoneArgs) (reconcile.BillingRow, bool, error)
	snapshot(ctx context.Context) ([]reconcile.Contract, error)
	// ping asks the billing something of its own (the server's version, the
	// file's contracts) and says what it answered.
	ping(ctx context.Context) (string, error)
	close()
}

// Client answers the billing functions of the specification from one source.
// It is safe for concurrent use.
type Client struct {
	src    source
	prefix string
	driver string
}

var _ reconcile.Billing = (*Client)(nil)

// Open builds a client for cfg. It does not wait for the billing to answer:
// a billing that is down makes each call fail with ErrUnavailable, and
// Check tells an operator what is wrong.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	src, err := openSource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Client{src: src, prefix: cfg.PhonePrefix, driver: cfg.Driver}, nil
}

func openSource(ctx context.Context, cfg Config) (source, error) {
	switch cfg.Driver {
	case "postgres":
		return openPostgres(ctx, cfg)
	case "mysql":
		return openMySQL(cfg)
	case "file":
		return openFile(cfg)
	case "":
		return nil, reconcile.Errorf(reconcile.ErrUnavailable, "billing not configured")
	}
	return nil, reconcile.Errorf(reconcile.ErrInvalid, "billing: unknown driver %q (want postgres, mysql or file)", cfg.Driver)
}

// Close releases the connections.
func (c *Client) Close() { c.src.close() }

// Driver names the source: postgres, mysql or file.
func (c *Client) Driver() string { return c.driver }

// UIDs is uidFrom(phone): the contracts that list the phone, ascending,
// each once; empty when none does.
func (c *Client) UIDs(ctx context.Context, phone string) ([]int64, error) {
	p, err := c.phone(phone)
	if err != nil {
		return nil, err
	}
	return c.src.uids(ctx, p)
}

// Cams is camsActiv(uid). A uid the billing has no row for is neither open nor paid.
func (c *Client) Cams(ctx context.Context, uid int64) (reconcile.CamsState, error) {
	if err := checkUID(uid); err != nil {
		return reconcile.CamsState{}, err
	}
	st, _, err := c.src.cams(ctx, uid)
	return st, err
}

// Contract reads billingList's row of one uid; found is false when the
// contract query returns no row.
func (c *Client) Contract(ctx context.Context, uid int64) (row reconcile.BillingRow, found bool, err error) {
	if err := checkUID(uid); err != nil {
		return row, false, err
	}
	return c.src.contract(ctx, uid, phoneArgs{})
}

// List is billingList(phone): one row per contract of the phone, in uid
// order, skipping uids the contract query has no row for.
func (c *Client) List(ctx context.Context, phone string) ([]reconcile.BillingRow, error) {
	p, err := c.phone(phone)
	if err != nil {
		return nil, err
	}
	uids, err := c.src.uids(ctx, p)
	if err != nil {
		return nil, err
	}
	return c.rows(ctx, uids, p)
}

// rows runs the contract query for each uid.
func (c *Client) rows(ctx context.Context, uids []int64, p phoneArgs) ([]reconcile.BillingRow, error) {
	out := []reconcile.BillingRow{}
	for _, uid := range uids {
		row, ok, err := c.src.contract(ctx, uid, p)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, row)
		}
	}
	return out, nil
}

// Snapshot reads every contract in one query, for the reconciler.
func (c *Client) Snapshot(ctx context.Context) ([]reconcile.Contract, error) {
	return c.src.snapshot(ctx)
}

func (c *Client) phone(raw string) (phoneArgs, error) {
	n, err := NormalizePhone(raw, c.prefix)
	if err != nil {
		return phoneArgs{}, err
	}
	return newPhoneArgs(n), nil
}

func checkUID(uid int64) error {
	if uid <= 0 {
		return reconcile.Errorf(reconcile.ErrInvalid, "uid %d is not a positive number", uid)
	}
	return nil
}

// unavailable wraps a failure of the named query.
func unavailable(query string, err error) error {
	return reconcile.Errorf(reconcile.ErrUnavailable, "billing: query %s: %w", query, err)
}

// notConfigured is the error of a call whose query is empty.
func notConfigured(query string) error { return &notConfiguredError{query: query} }

// notConfiguredError wraps reconcile.ErrUnavailable; Check tells it apart
// from a query that fails.
type notConfiguredError struct{ query string }

func (e *notConfiguredError) Error() string {
	return "billing: query " + e.query + " is not configured"
}

func (e *notConfiguredError) Unwrap() error { return reconcile.ErrUnavailable }
