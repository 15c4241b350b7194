package ui

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// throttle limits failed logins per client network (an IPv4 address, an
// IPv6 /64) with a bucket of attempts that refills steadily; a successful
// login gives its attempt back, so only failures count. It mirrors auth/'s.
type throttle struct {
	mu      sync.Mutex
	burst   float64
	refill  time.Duration
	buckets *lru.Cache[netip.Prefix, *bucket]
	now     func() time.Time
}

type bucket struct {
	left float64
	at   time.Time
}

func newThrottle(burst int, refill time.Duration) *throttle {
	c, _ := lru.New[netip.Prefix, *bucket](10000) // only fails for a size < 1
	return &throttle{burst: float64(burst), refill: refill, buckets: c, now: time.Now}
}

// take spends one attempt; when none is left it says how long to wait.
func (t *throttle) take(ip netip.Addr) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.fill(clientNet(ip))
	if b.left < 1 {
		return time.Duration(math.Ceil((1 - b.left) * float64(t.refill))), false
	}
	b.left--
	return 0, true
}

// refund gives back the attempt of a login that succeeded.
func (t *throttle) refund(ip netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.fill(clientNet(ip))
	b.left = min(t.burst, b.left+1)
}

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
	p, _ := ip.Prefix(64)
	return p
}

// clientIP is the peer's address; like the API, it trusts no forwarding header.
func clientIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, _ := netip.ParseAddr(host)
	return ip.Unmap()
}
