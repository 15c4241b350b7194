package api

import (
	"net/http"
	"net/netip"
	"strings"

	"yardsync/internal/realip"
)

// proxies are api.trusted_proxies: the reverse proxies whose forwarding
// headers are believed.
type proxies []netip.Prefix

func (p proxies) trusted(ip netip.Addr) bool {
	for _, n := range p {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// client works out who a request came from. From a peer that is not a
// trusted proxy it is the peer, and no header is read. From a trusted one it
// is the nearest address of X-Forwarded-For that is not itself a trusted
// proxy (the entries left of it are the client's own word), or X-Real-IP;
// X-Forwarded-Proto says whether the client came over TLS.
func (p proxies) client(r *http.Request) realip.Client {
	peer := realip.Peer(r)
	c := realip.Client{Addr: peer, TLS: r.TLS != nil}
	if !p.trusted(peer) {
		return c
	}
	if a, ok := p.forwardedFor(r.Header.Values("X-Forwarded-For")); ok {
		c.Addr = a
	} else if a, ok := parseAddr(r.Header.Get("X-Real-IP")); ok {
		c.Addr = a
	}
	if proto := firstItem(r.Header.Get("X-Forwarded-Proto")); proto != "" {
		c.TLS = strings.EqualFold(proto, "https")
	}
	return c
}

// forwardedFor walks the X-Forwarded-For chain from the nearest hop back,
// past trusted proxies, to the first address that is not one. A malformed
// entry ends the walk: nothing left of it can be believed, so the chain is
// ignored and X-Real-IP or the peer stands.
func (p proxies) forwardedFor(values []string) (netip.Addr, bool) {
	var hops []string
	for _, v := range values {
		hops = append(hops, strings.Split(v, ",")...)
	}
	var last netip.Addr
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseAddr(hops[i])
		if !ok {
			return netip.Addr{}, false
		}
		if !p.trusted(a) {
			return a, true
		}
		last = a
	}
	return last, last.IsValid() // every hop a trusted proxy: the farthest one
}

// parseAddr reads one address as forwarding headers write it: bare, or with
// a port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func firstItem(s string) string {
	first, _, _ := strings.Cut(s, ",")
	return strings.TrimSpace(first)
}
