package api

import (
	"context"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"yardsync/internal/access"
)

type roleKey struct{}

// withRole returns r carrying the role guard granted its caller.
func withRole(r *http.Request, role access.Role) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), roleKey{}, role))
}

// roleOf is the role guard granted the request's caller.
func roleOf(r *http.Request) access.Role {
	role, _ := r.Context().Value(roleKey{}).(access.Role)
	return role
}

// permitted reports whether the caller may make a call that needs need,
// and otherwise the refusal, naming the role needed. Without tokens a write
// must also have come the way a program sends it, not a browser.
func (h *handler) permitted(r *http.Request, need access.Role) (string, bool) {
	role := roleOf(r)
	if !h.authRequired() && need != access.Viewer {
		if !role.Allows(need) {
			return "forbidden: without tokens a write must name this host (a loopback name or api.listen's) in Host and come with no foreign Origin", false
		}
		if !jsonContentType(r) {
			return "forbidden: without tokens a write must come with Content-Type: application/json", false
		}
	}
	if !role.Allows(need) {
		return "forbidden: this call needs role " + need.String() + "; the token's role is " + role.String(), false
	}
	return "", true
}

// loopbackRole is the role of a loopback client when no token is
// configured. A request whose Host is not this host's (DNS rebinding) or
// whose Origin is another site's (a cross-site form) may be a browser made
// to call on a web page's behalf: it may read, without secrets, and
// write nothing.
func (h *handler) loopbackRole(r *http.Request) access.Role {
	if !h.ownHost(r.Host) {
		return access.Viewer
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || !h.ownHost(u.Host) {
			return access.Viewer
		}
	}
	return access.Full
}

// ownHost reports whether host (with or without a port) names this
// listener: a loopback name or address, or api.listen's host.
func (h *handler) ownHost(host string) bool {
	name := strings.ToLower(hostOnly(host))
	if name == "" {
		return false
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	if a, err := netip.ParseAddr(name); err == nil && a.Unmap().IsLoopback() {
		return true
	}
	listen := strings.ToLower(hostOnly(h.Listen))
	return listen != "" && name == listen && !unspecified(listen)
}

// hostOnly drops the port of "host:port" or "[v6]:port", and the brackets
// of "[v6]".
func hostOnly(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		return host
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// unspecified is true for 0.0.0.0 and ::, which no request names.
func unspecified(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsUnspecified()
}

// jsonContentType reports a Content-Type of application/json, which a web
// page can send across sites only after a CORS preflight yardsync never
// answers.
func jsonContentType(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}
