package throttle

import (
	"net/netip"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	th := New(3, 10*time.Second)
	th.now = func() time.Time { return now }
	a := netip.MustParseAddr("192.0.2.1")
	for i := range 3 {
		if _, ok := th.Take(a); !ok {
			t.Fatalf("attempt %d refused within the burst", i+1)
		}
	}
	t.Run("ErrExhausted", func(t *testing.T) {
		retry, ok := th.Take(a)
		if ok || retry != 10*time.Second {
			t.Fatalf("got ok=%v retry=%s, want refused with 10s", ok, retry)
		}
	})
	t.Run("OtherClientsUnaffected", func(t *testing.T) {
		if _, ok := th.Take(netip.MustParseAddr("192.0.2.2")); !ok {
			t.Fatal("another address was throttled")
		}
	})
	t.Run("IPv6SharesSlash64", func(t *testing.T) {
		for i := range 3 {
			th.Take(netip.MustParseAddr("2001:db8::" + string(rune('1'+i))))
		}
		if _, ok := th.Take(netip.MustParseAddr("2001:db8::ffff")); ok {
			t.Fatal("a /64 got more than the burst by changing its low bits")
		}
	})
	t.Run("Refills", func(t *testing.T) {
		now = now.Add(4 * time.Second)
		if retry, ok := th.Take(a); ok || retry != 6*time.Second {
			t.Fatalf("got ok=%v retry=%s, want refused with 6s left", ok, retry)
		}
		now = now.Add(6 * time.Second)
		if _, ok := th.Take(a); !ok {
			t.Fatal("refused after an attempt was earned back")
		}
	})
	t.Run("RefundSuccess", func(t *testing.T) {
		b := netip.MustParseAddr("198.51.100.1")
		for range 10 {
			if _, ok := th.Take(b); !ok {
				t.Fatal("successful logins were throttled")
			}
			th.Refund(b)
		}
	})
}

// Blocked tells a spent client apart without spending anything itself.
func TestBlocked(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	th := New(2, 10*time.Second)
	th.SetClock(func() time.Time { return now })
	a := netip.MustParseAddr("198.51.100.1")
	for range 5 {
		if _, blocked := th.Blocked(a); blocked {
			t.Fatal("Blocked spent attempts of its own")
		}
	}
	th.Take(a)
	th.Take(a)
	if retry, blocked := th.Blocked(a); !blocked || retry != 10*time.Second {
		t.Fatalf("after the burst: blocked=%v retry=%s, want blocked for 10s", blocked, retry)
	}
}
