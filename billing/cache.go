package billing

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"yardsync/reconcile"
)

// Cached is a Client behind an LRU with a TTL. Only uidFrom answers are
// cached, keyed by the normalised phone, and only when they found at least
// one contract: a failed lookup is never cached, and an unknown phone is
// asked again, so a subscriber the billing has just added is found at once.
// Cams, List's contract rows and Snapshot always read the billing: they are
// what a payment changes, and the reconciler must see it on its next tick.
type Cached struct {
	c      *Client
	lru    *expirable.LRU[string, []int64] // nil: caching is off
	hits   atomic.Uint64
	misses atomic.Uint64
}

var _ reconcile.Billing = (*Cached)(nil)

// NewCached wraps c. A size of zero or less turns caching off; keep ttl
// shorter than the reconcile schedule.
func NewCached(c *Client, size int, ttl time.Duration) *Cached {
	cc := &Cached{c: c}
	if size > 0 {
		cc.lru = expirable.NewLRU[string, []int64](size, nil, ttl)
	}
	return cc
}

// Client is the uncached client underneath.
func (cc *Cached) Client() *Client { return cc.c }

// UIDs is Client.UIDs through the cache.
func (cc *Cached) UIDs(ctx context.Context, phone string) ([]int64, error) {
	p, err := cc.c.phone(phone)
	if err != nil {
		return nil, err
	}
	return cc.uids(ctx, p)
}

func (cc *Cached) uids(ctx context.Context, p phoneArgs) ([]int64, error) {
	if cc.lru != nil {
		if uids, ok := cc.lru.Get(p.phone); ok {
			cc.hits.Add(1)
			return slices.Clone(uids), nil
		}
	}
	cc.misses.Add(1)
	uids, err := cc.c.src.uids(ctx, p)
	if err != nil {
		return nil, err
	}
	if cc.lru != nil && len(uids) > 0 {
		cc.lru.Add(p.phone, slices.Clone(uids))
	}
	return uids, nil
}

// Cams is Client.Cams; it is not cached.
func (cc *Cached) Cams(ctx context.Context, uid int64) (reconcile.CamsState, error) {
	return cc.c.Cams(ctx, uid)
}

// List is Client.List with the phone's uids from the cache.
func (cc *Cached) List(ctx context.Context, phone string) ([]reconcile.BillingRow, error) {
	p, err := cc.c.phone(phone)
	if err != nil {
		return nil, err
	}
	uids, err := cc.uids(ctx, p)
	if err != nil {
		return nil, err
	}
	return cc.c.rows(ctx, uids, p)
}

// Snapshot is Client.Snapshot; it is not cached.
func (cc *Cached) Snapshot(ctx context.Context) ([]reconcile.Contract, error) {
	return cc.c.Snapshot(ctx)
}

// Forget drops every cached phone that answered uid (sync/ for a uid).
func (cc *Cached) Forget(uid int64) {
	if cc.lru == nil {
		return
	}
	for _, phone := range cc.lru.Keys() {
		if uids, ok := cc.lru.Peek(phone); ok && slices.Contains(uids, uid) {
			cc.lru.Remove(phone)
		}
	}
}

// ForgetPhone drops the cached answer for a phone, written in any form.
func (cc *Cached) ForgetPhone(phone string) {
	if cc.lru == nil {
		return
	}
	if n, err := NormalizePhone(phone, cc.c.prefix); err == nil {
		cc.lru.Remove(n)
	}
}

// Stats returns the cache's hit and miss counts since it was made, for metrics.
func (cc *Cached) Stats() (hits, misses uint64) {
	return cc.hits.Load(), cc.misses.Load()
}

// Close closes the client underneath.
func (cc *Cached) Close() { cc.c.Close() }
