package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"yardsync/reconcile"
)

// querySnapshotOne is the snapshot query narrowed to one uid, derived from
// the operator's snapshot query so a targeted run does not read every contract.
const querySnapshotOne = "snapshot_one"

var (
	_ reconcile.ContractsReader = (*Client)(nil)
	_ reconcile.ContractsReader = (*Cached)(nil)
)

// narrowing is a source that may read the snapshot rows of one uid.
type narrowing interface {
	// narrowed is nil when snapshotOne can run, or says why SnapshotOf reads
	// the whole snapshot instead; it is decided when the source is opened.
	narrowed() error
	snapshotOne(ctx context.Context, uid int64) ([]reconcile.Contract, error)
}

// MaxNarrowed is the most contracts SnapshotOf reads with one narrowed query
// each; a larger batch (a burst of API changes, a watch tick) costs one read
// of the whole snapshot instead of hundreds of round trips.
const MaxNarrowed = 16

// SnapshotOf reads the snapshot rows of a few contracts. When Open found the
// snapshot query narrowable it runs one narrowed query per uid, and their
// errors are the answer: a fallback would hide a broken query behind a full
// read on every targeted run. Otherwise it reads the whole snapshot and filters.
func (c *Client) SnapshotOf(ctx context.Context, uids []int64) ([]reconcile.Contract, error) {
	n, ok := c.src.(narrowing)
	if !ok || n.narrowed() != nil || len(uids) > MaxNarrowed {
		return c.filteredSnapshot(ctx, uids)
	}
	var out []reconcile.Contract
	for _, uid := range uids {
		rows, err := n.snapshotOne(ctx, uid)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

func (c *Client) filteredSnapshot(ctx context.Context, uids []int64) ([]reconcile.Contract, error) {
	all, err := c.src.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	want := make(map[int64]bool, len(uids))
	for _, uid := range uids {
		want[uid] = true
	}
	return slices.DeleteFunc(all, func(ct reconcile.Contract) bool { return !want[ct.UID] }), nil
}

// SnapshotOf is Client.SnapshotOf; it is not cached.
func (cc *Cached) SnapshotOf(ctx context.Context, uids []int64) ([]reconcile.Contract, error) {
	return cc.c.SnapshotOf(ctx, uids)
}

func (s *sqlSource) narrowed() error { return s.narrowErr }

func (s *sqlSource) snapshotOne(ctx context.Context, uid int64) ([]reconcile.Contract, error) {
	return s.contracts(ctx, querySnapshotOne, map[string]any{paramUID: uid}, 1)
}

// prepareNarrowed prepares the narrowed snapshot query when the snapshot
// query allows it, and returns why not otherwise.
func (s *sqlSource) prepareNarrowed(snapshot string, d dialect) error {
	p := s.queries[QuerySnapshot]
	switch {
	case !p.set:
		return notConfigured(QuerySnapshot)
	case p.err != nil:
		return unavailable(QuerySnapshot, p.err)
	}
	if err := narrowable(snapshot, d); err != nil {
		return fmt.Errorf("the snapshot query cannot be narrowed by uid: %w", err)
	}
	s.prepare(querySnapshotOne, narrowSnapshot(snapshot), d, paramUID)
	return s.queries[querySnapshotOne].err
}

// narrowSnapshot wraps the snapshot query as a derived table filtered by uid;
// both PostgreSQL and MySQL/MariaDB accept it for a SELECT that narrowable passes.
func narrowSnapshot(snapshot string) string {
	q := strings.TrimRight(strings.TrimSpace(snapshot), "; \t\r\n")
	return "SELECT * FROM (\n" + q + "\n) yardsync_snapshot WHERE uid = @uid"
}

// outermostOnly are MySQL/MariaDB SELECT options refused inside a derived table.
var outermostOnly = []string{"SQL_NO_CACHE", "SQL_CACHE", "SQL_CALC_FOUND_ROWS", "SQL_BUFFER_RESULT", "HIGH_PRIORITY"}

// narrowable says why a snapshot query (one that compiles) cannot be wrapped
// by narrowSnapshot, or nil. It reads only the text, so Open needs no billing
// connection; `yardsync check` runs the narrowed query to confirm it.
func narrowable(query string, d dialect) error {
	ws := words(query, d)
	if len(ws) == 0 || ws[0].quoted || !(strings.EqualFold(ws[0].text, "SELECT") || strings.EqualFold(ws[0].text, "WITH")) {
		return errors.New("it does not start with SELECT or WITH")
	}
	for _, w := range ws {
		switch {
		case d == postgresDialect && w.quoted && strings.EqualFold(w.text, paramUID) && w.text != paramUID:
			return fmt.Errorf("its column %q is not uid to an outer filter", w.text)
		case d == mysqlDialect && !w.quoted && slices.Contains(outermostOnly, strings.ToUpper(w.text)):
			return fmt.Errorf("%s is allowed only in the outermost SELECT", strings.ToUpper(w.text))
		}
	}
	return nil
}

// word is a bare word or a quoted identifier of a query.
type word struct {
	text   string
	quoted bool
}

// words lists a query's words and quoted identifiers, skipping string
// literals and comments the way compile does.
func words(query string, d dialect) []word {
	l := lexer{src: query, d: d}
	var out []word
	for l.i < len(l.src) {
		c := l.peek(0)
		switch {
		case (c == '"' && d == postgresDialect) || (c == '`' && d == mysqlDialect):
			end := l.quoted(c, false)
			text := strings.TrimSuffix(l.src[l.i+1:end], string(c))
			out = append(out, word{text: strings.ReplaceAll(text, string(c)+string(c), string(c)), quoted: true})
			l.i = end
		case isIdent(c) && !isDigit(c):
			j := l.i
			for j < len(l.src) && isIdent(l.src[j]) {
				j++
			}
			out = append(out, word{text: l.src[l.i:j]})
			l.i = j
		default:
			if start := l.i; l.step(nil) != nil || l.i == start {
				l.i = start + 1 // a query that compiled has no parameter here; move on regardless
			}
		}
	}
	return out
}
