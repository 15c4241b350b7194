package billing

import (
	"context"
	"slices"
	"time"
)

// QueryChanges names the optional change-log query: the uids whose contract
// changed after @since. Billings that keep such a log (ABillS payments and
// admin actions, a trigger-fed table) let the watch read a few rows a tick
// instead of every contract.
const QueryChanges = "changes"

// paramSince is the change-log query's parameter: the start of the last
// tick that read it, minus an overlap, as a timestamp.
const paramSince = "since"

// changeLog is a source that can answer the change-log query.
type changeLog interface {
	changes(ctx context.Context, since time.Time) ([]int64, error)
}

// HasChanges reports whether the change-log query is configured.
func (c *Client) HasChanges() bool {
	s, ok := c.src.(*sqlSource)
	return ok && s.queries[QueryChanges].set
}

// Changes runs the change-log query: the uids changed after since,
// ascending, each once. Without the query it fails with ErrUnavailable.
func (c *Client) Changes(ctx context.Context, since time.Time) ([]int64, error) {
	log, ok := c.src.(changeLog)
	if !ok {
		return nil, notConfigured(QueryChanges)
	}
	return log.changes(ctx, since)
}

// HasChanges is Client.HasChanges.
func (cc *Cached) HasChanges() bool { return cc.c.HasChanges() }

// Changes is Client.Changes; it is not cached.
func (cc *Cached) Changes(ctx context.Context, since time.Time) ([]int64, error) {
	return cc.c.Changes(ctx, since)
}

func (s *sqlSource) changes(ctx context.Context, since time.Time) ([]int64, error) {
	rows, err := s.exec(ctx, QueryChanges, map[string]any{paramSince: since}, uidsColumns)
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
