package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"yardsync/reconcile"
)

// QueryChanges names the optional change-log query: the rows of the
// contracts changed after @since. Billings that keep such a log (ABillS
// payments and admin actions, a trigger-fed table) let the watch read a
// few rows a tick instead of every contract.
const QueryChanges = "changes"

// paramSince is the change-log query's parameter: a point in time, sent as
// a timestamp in UTC (see compile).
const paramSince = "since"

var (
	_ reconcile.ChangeLog = (*Client)(nil)
	_ reconcile.ChangeLog = (*Cached)(nil)
)

// changeLog is a source that can answer the change-log query.
type changeLog interface {
	changes(ctx context.Context, since time.Time) ([]reconcile.ChangeRow, error)
}

// HasChanges reports whether the change-log query is configured.
func (c *Client) HasChanges() bool {
	s, ok := c.src.(*sqlSource)
	return ok && s.queries[QueryChanges].set
}

// Changes runs the change-log query: its rows stamped after since, each
// once, in uid order. Without the query it fails with ErrUnavailable.
func (c *Client) Changes(ctx context.Context, since time.Time) ([]reconcile.ChangeRow, error) {
	log, ok := c.src.(changeLog)
	if !ok {
		return nil, notConfigured(QueryChanges)
	}
	return log.changes(ctx, since)
}

// HasChanges is Client.HasChanges.
func (cc *Cached) HasChanges() bool { return cc.c.HasChanges() }

// Changes is Client.Changes; it is not cached.
func (cc *Cached) Changes(ctx context.Context, since time.Time) ([]reconcile.ChangeRow, error) {
	return cc.c.Changes(ctx, since)
}

func (s *sqlSource) changes(ctx context.Context, since time.Time) ([]reconcile.ChangeRow, error) {
	var out []reconcile.ChangeRow
	sink := &changeDecoder{each: func(r reconcile.ChangeRow) { out = append(out, r) }}
	if err := s.read(ctx, QueryChanges, map[string]any{paramSince: since.UTC()}, sink); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b reconcile.ChangeRow) int {
		return cmp.Or(cmp.Compare(a.UID, b.UID), strings.Compare(a.Rest, b.Rest))
	})
	return slices.Compact(out), nil
}

// changeDecoder reads change-log rows: the uid column, found by name, and
// every other column, whatever its name, into the row's Rest.
type changeDecoder struct {
	each func(reconcile.ChangeRow)
	uid  int // index of the uid column
	n    int
}

func (d *changeDecoder) columns(cols []string) error {
	d.uid = -1
	for i, c := range cols {
		if !strings.EqualFold(strings.TrimSpace(c), "uid") {
			continue
		}
		if d.uid >= 0 {
			return sinkError{errors.New("column uid is returned twice")}
		}
		d.uid = i
	}
	if d.uid < 0 {
		return sinkError{errors.New("missing column uid (the query must return uid, then what tells two changes apart, e.g. changed_at)")}
	}
	return nil
}

func (d *changeDecoder) row(vals []any) error {
	d.n++
	uid, err := toUID(vals[d.uid])
	if err != nil {
		return sinkError{fmt.Errorf("row %d, column uid: %w", d.n, err)}
	}
	d.each(reconcile.ChangeRow{UID: uid, Rest: restKey(vals, d.uid)})
	return nil
}

// restKey writes the columns but uid as one value: equal rows give equal
// keys however often they are read, and a changed value another key.
func restKey(vals []any, skip int) string {
	var b strings.Builder
	for i, v := range vals {
		if i == skip {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(keyValue(v))
	}
	return b.String()
}

// keyValue writes one column: text quoted (a comma in it is no separator),
// times as UTC instants (pgx hands timestamptz over in the local zone).
func keyValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return strconv.Quote(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case pgtype.Numeric:
		if t, err := x.Value(); err == nil {
			return fmt.Sprint(t)
		}
	}
	return fmt.Sprint(v)
}
