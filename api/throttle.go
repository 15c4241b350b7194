package api

import (
	"math"
	"net/netip"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// throttle limits failed logins per client: each client network (an IPv4
// address, an IPv6 /64, since one host often holds a whole /64) has a bucket
// of attempts that refills at a steady rate. An attempt takes one; a
// successful login gives it back, so only failures count.
type throttle struct {
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

func newThrottle(burst int, refill time.Duration) *throttle {
	c, _ := lru.New[netip.Prefix, *bucket](maxThrottled) // only fails for a size < 1
	return &throttle{burst: float64(burst), refill: refill, buckets: c, now: time.Now}
}

// take spends one attempt of ip's network; when none is left it says how
// long to wait instead.
func (t *throttle) take(ip netip.Addr) (retry time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.fill(clientNet(ip))
	if b.left < 1 {
		return time.Duration(math.Ceil((1 - b.left) * float64(t.refill))), false
	}
	b.left--
	return 0, true
}

// refund gives back the attempt of a login that succeeded or was not a guess.
func (t *throttle) refund(ip netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.fill(clientNet(ip))
	b.left = min(t.burst, b.left+1)
}

// fill returns the network's bucket with what it earned since it was last seen.
func (t *throttle) fill(n netip.Prefix) *bucket {
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
