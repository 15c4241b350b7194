package billing

import (
	"context"
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

// narrowSnapshot wraps the snapshot query as a derived table filtered by uid;
// both PostgreSQL and MySQL/MariaDB accept it for any plain SELECT.
func narrowSnapshot(snapshot string) string {
	q := strings.TrimRight(strings.TrimSpace(snapshot), "; \t\r\n")
	if q == "" {
		return ""
	}
	return "SELECT * FROM (\n" + q + "\n) yardsync_snapshot WHERE uid = @uid"
}

// SnapshotOf reads the snapshot rows of a few contracts, one narrowed query
// each; a billing whose snapshot query cannot be narrowed is read whole and
// filtered, so the answer is the same either way.
func (c *Client) SnapshotOf(ctx context.Context, uids []int64) ([]reconcile.Contract, error) {
	if n, ok := c.src.(interface {
		snapshotOne(ctx context.Context, uid int64) ([]reconcile.Contract, error)
	}); ok {
		var out []reconcile.Contract
		for _, uid := range uids {
			rows, err := n.snapshotOne(ctx, uid)
			if err != nil {
				return c.filteredSnapshot(ctx, uids)
			}
			out = append(out, rows...)
		}
		return out, nil
	}
	return c.filteredSnapshot(ctx, uids)
}

func (c *Client) filteredSnapshot(ctx context.Context, uids []int64) ([]reconcile.Contract, error) {
	all, err := c.src.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(ct reconcile.Contract) bool { return !slices.Contains(uids, ct.UID) }), nil
}

// SnapshotOf is Client.SnapshotOf; it is not cached.
func (cc *Cached) SnapshotOf(ctx context.Context, uids []int64) ([]reconcile.Contract, error) {
	return cc.c.SnapshotOf(ctx, uids)
}

func (s *sqlSource) snapshotOne(ctx context.Context, uid int64) ([]reconcile.Contract, error) {
	return contracts(s.exec(ctx, querySnapshotOne, map[string]any{paramUID: uid}, snapshotColumns))
}
