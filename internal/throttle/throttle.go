// Package throttle limits failed logins and wrong bearer tokens per client
// network, for auth/, the other calls and the status page's login alike.
package throttle

import (
	"math"
	"net/http"
	"net/netip"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"yardsync/internal/realip"
)

// Limiter limits failed logins per client: each client network (an IPv4
// address, an IPv6 /64, since one host often holds a whole /64) has a bucket
// of attempts that refills at a steady rate. An attempt takes one; a
// successful login gives it back, so only failures count.
type Limiter struct {
	mu      sync.Mutex
	burst   float64       // failures allowed at once
	refill  time.Duration // time to earn back one attempt
	buckets *lru.Cache[netip.Prefix, *bucket]
	now     func() time.Time
}

type bucket struct {
	left float64 // attempts left
	at   time.Time
}

// maxThrottled bounds the memory the throttle holds; the least recently seen
// clients are forgotten first.
const maxThrottled = 10000

// New allows burst failures at once per client network, and one more every refill.
func New(burst int, refill time.Duration) *Limiter {
	c, _ := lru.New[netip.Prefix, *bucket](maxThrottled) // only fails for a size < 1
	return &Limiter{burst: float64(burst), refill: refill, buckets: c, now: time.Now}
}

// Take spends one attempt of ip's network; when none is left it says how
// long to wait instead.
func (t *Limiter) Take(ip netip.Addr) (retry time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.fill(clientNet(ip))
	if b.left < 1 {
		return t.wait(b), false
	}
	b.left--
	return 0, true
}

// Blocked reports, without spending anything, whether ip's network has no
// attempt left, and how long to wait then.
func (t *Limiter) Blocked(ip netip.Addr) (retry time.Duration, blocked bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.fill(clientNet(ip))
	if b.left < 1 {
		return t.wait(b), true
	}
	return 0, false
}

// wait is how long until b has an attempt again.
func (t *Limiter) wait(b *bucket) time.Duration {
	return time.Duration(math.Ceil((1 - b.left) * float64(t.refill)))
}

// Refund gives back the attempt of a login that succeeded or was not a guess.
func (t *Limiter) Refund(ip netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.fill(clientNet(ip))
	b.left = min(t.burst, b.left+1)
}

// fill returns the network's bucket with what it earned since it was last seen.
func (t *Limiter) fill(n netip.Prefix) *bucket {
	now := t.now()
	b, ok := t.buckets.Get(n)
	if !ok {
		b = &bucket{left: t.burst, at: now}
		t.buckets.Add(n, b)
		return b
	}
	b.left = min(t.burst, b.left+float64(now.Sub(b.at))/float64(t.refill))
	b.at = now
	return b
}

func clientNet(ip netip.Addr) netip.Prefix {
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.Prefix(64) // an invalid address is one bucket of its own
	return p
}

// ClientIP is the request's real client: the forwarded address when the
// listener believed a trusted proxy (realip), else the TCP peer.
func ClientIP(r *http.Request) netip.Addr { return realip.From(r).Addr }

// SetClock replaces the limiter's clock (tests freeze it).
func (t *Limiter) SetClock(now func() time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.now = now
}
