// Package realip carries who a request really came from, as the listener
// worked it out (behind a trusted proxy: the forwarded client), to the
// handlers that throttle by client or set cookies.
package realip

import (
	"context"
	"net"
	"net/http"
	"net/netip"
)

// Client is the request's real client.
type Client struct {
	Addr netip.Addr // the client: the TCP peer, or the address a trusted proxy forwarded
	TLS  bool       // the client's request came over TLS, directly or per a trusted proxy
}

type key struct{}

// With returns r carrying c.
func With(r *http.Request, c Client) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), key{}, c))
}

// From returns the client r carries; without one, the TCP peer and whether
// this connection is TLS.
func From(r *http.Request) Client {
	if c, ok := r.Context().Value(key{}).(Client); ok {
		return c
	}
	return Client{Addr: Peer(r), TLS: r.TLS != nil}
}

// Peer is the TCP peer's address, IPv4-mapped addresses unmapped.
func Peer(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, _ := netip.ParseAddr(host)
	return ip.Unmap()
}
