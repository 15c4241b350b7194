package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"yardsync/reconcile"
)

// runner runs one query in a read-only transaction and reads all its rows.
type runner interface {
	query(ctx context.Context, q compiled, args []any, sink rowSink) error
	close()
}

// prepared is one configured query, or why it cannot run.
type prepared struct {
	set bool
	q   compiled
	err error
}

// sqlSource answers the billing functions with the operator's queries.
type sqlSource struct {
	run     runner
	timeout time.Duration
	queries map[string]prepared
	secrets []string // never shown in an error
	// narrowErr is nil when SnapshotOf may narrow the snapshot query by uid,
	// else why it reads the whole snapshot; decided once, at Open.
	narrowErr error
	onQuery   func(query string, took time.Duration, err error)
	// snapshotRows is how many rows the last snapshot gave: the next is
	// read into a list of that size instead of doubling its way there.
	snapshotRows atomic.Int64
	// version is versionQuery compiled for the driver.
	version compiled
}

// versionQuery is what ping asks: one query every SQL billing answers,
// whatever the operator's queries are, through the same read-only path.
const versionQuery = "SELECT version()"

func newSQLSource(run runner, d dialect, qs Queries, timeout time.Duration, secrets []string) *sqlSource {
	s := &sqlSource{run: run, timeout: timeout, queries: map[string]prepared{}, secrets: secrets}
	s.prepare(QueryUIDs, qs.UIDs, d, paramPhone, paramPhone10)
	s.prepare(QueryCams, qs.Cams, d, paramUID)
	s.prepare(QueryContract, qs.Contract, d, paramUID, paramPhone, paramPhone10)
	s.prepare(QuerySnapshot, qs.Snapshot, d)
	s.narrowErr = s.prepareNarrowed(qs.Snapshot, d)
	s.prepare(QueryChanges, qs.Changes, d, paramSince)
	s.version, _ = compile(versionQuery, d) // no parameters: it always compiles
	return s
}

// ping runs versionQuery under the queries' deadline and names the server.
// It is no billing query: the query metrics do not count it.
func (s *sqlSource) ping(ctx context.Context) (string, error) {
	qctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var v firstValue
	if err := s.run.query(qctx, s.version, nil, &v); err != nil {
		return "", s.explain(ctx, qctx, err)
	}
	server, _, _ := strings.Cut(v.text, " on ") // PostgreSQL's says which compiler built it
	return "answers a query (server " + server + ")", nil
}

// firstValue keeps the first value of the first row as text.
type firstValue struct{ text string }

func (f *firstValue) columns([]string) error { return nil }

func (f *firstValue) row(vals []any) error {
	if len(vals) > 0 && f.text == "" {
		f.text = fmt.Sprint(vals[0])
	}
	return nil
}

func (s *sqlSource) prepare(name, query string, d dialect, allowed ...string) {
	if strings.TrimSpace(query) == "" {
		return
	}
	q, err := compile(query, d, allowed...)
	s.queries[name] = prepared{set: true, q: q, err: err}
}

func (s *sqlSource) close() { s.run.close() }

// exec runs the named query with its deadline and converts its rows.
func (s *sqlSource) exec(ctx context.Context, name string, values map[string]any, spec []column) ([][]any, error) {
	var rows [][]any
	err := s.each(ctx, name, values, spec, func(row []any) error {
		rows = append(rows, slices.Clone(row))
		return nil
	})
	return rows, err
}

// each runs a query and hands each decoded row to fn as it is read (in a
// slice reused for the next row), so a big result is never held whole.
func (s *sqlSource) each(ctx context.Context, name string, values map[string]any, spec []column, fn func(row []any) error) error {
	return s.read(ctx, name, values, &decoder{spec: spec, each: fn})
}

// read runs the named query with its deadline into sink.
func (s *sqlSource) read(ctx context.Context, name string, values map[string]any, sink rowSink) error {
	p := s.queries[name]
	if !p.set {
		return notConfigured(name)
	}
	if p.err != nil {
		return unavailable(name, p.err)
	}
	qctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	start := time.Now()
	err := s.run.query(qctx, p.q, p.q.args(values), sink)
	if s.onQuery != nil {
		s.onQuery(name, time.Since(start), err)
	}
	var bad sinkError
	switch {
	case errors.As(err, &bad):
		return unavailable(name, bad.err)
	case err != nil:
		return unavailable(name, s.explain(ctx, qctx, err))
	}
	return nil
}

// explain turns a deadline into words and keeps secrets out of the message.
func (s *sqlSource) explain(ctx, qctx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(qctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s (billing.timeout): %w", s.timeout, context.DeadlineExceeded)
	}
	return redact(err, s.secrets)
}

func (s *sqlSource) uids(ctx context.Context, p phoneArgs) ([]int64, error) {
	rows, err := s.exec(ctx, QueryUIDs, p.values(), uidsColumns)
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(rows))
	for _, r := range rows {
		out = append(out, r[0].(int64))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (s *sqlSource) cams(ctx context.Context, uid int64) (reconcile.CamsState, bool, error) {
	rows, err := s.one(ctx, QueryCams, map[string]any{paramUID: uid}, camsColumns)
	if err != nil || rows == nil {
		return reconcile.CamsState{}, false, err
	}
	return camsState(rows), true, nil
}

func (s *sqlSource) contract(ctx context.Context, uid int64, p phoneArgs) (reconcile.BillingRow, bool, error) {
	values := p.values()
	values[paramUID] = uid
	row, err := s.one(ctx, QueryContract, values, contractColumns)
	if err != nil || row == nil {
		return reconcile.BillingRow{}, false, err
	}
	return billingRow(row), true, nil
}

// one runs a query that answers at most one row; nil when it has none.
func (s *sqlSource) one(ctx context.Context, name string, values map[string]any, spec []column) ([]any, error) {
	rows, err := s.exec(ctx, name, values, spec)
	switch {
	case err != nil:
		return nil, err
	case len(rows) > 1:
		return nil, unavailable(name, fmt.Errorf("returned %d rows for uid %v, want at most one", len(rows), values[paramUID]))
	case len(rows) == 0:
		return nil, nil
	}
	return rows[0], nil
}

// snapshot reads every contract, converting each row as it comes: the
// rows are never held as generic values (at 100,000 contracts that was
// ~25 MB held at once beside the 3 MB of contracts, every run and tick).
func (s *sqlSource) snapshot(ctx context.Context) ([]reconcile.Contract, error) {
	n := s.snapshotRows.Load()
	out, err := s.contracts(ctx, QuerySnapshot, nil, int(n+n/16))
	if err == nil {
		s.snapshotRows.Store(int64(len(out)))
	}
	return out, err
}

// contracts reads snapshot rows with the named query into a list made with capacity.
func (s *sqlSource) contracts(ctx context.Context, name string, values map[string]any, capacity int) ([]reconcile.Contract, error) {
	out := make([]reconcile.Contract, 0, capacity)
	err := s.each(ctx, name, values, snapshotColumns, func(row []any) error {
		out = append(out, snapshotContract(row))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return slices.Clip(out), nil
}

func (p phoneArgs) values() map[string]any {
	return map[string]any{paramPhone: p.phone, paramPhone10: p.phone10}
}

// redact hides secrets (a password, the DSN) in err's text and keeps its chain.
func redact(err error, secrets []string) error {
	msg := err.Error()
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
