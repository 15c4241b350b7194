package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"yardsync/internal/access"
	"yardsync/internal/realip"
)

// guard enforces api.allow and authentication, and hands on the caller's
// role. With no static tokens and no users only loopback clients are
// served; otherwise every client needs a valid token. Failures say nothing
// more than 401, 403 or 429.
func (h *handler) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		if !allowed(h.Allow, ip) {
			writeError(w, http.StatusForbidden, "forbidden")
			return
		}
		if !h.authRequired() {
			if !ip.IsLoopback() {
				writeError(w, http.StatusForbidden, "forbidden")
				return
			}
			next.ServeHTTP(w, withRole(r, h.loopbackRole(r)))
			return
		}
		role, ok := h.authenticate(w, r, ip)
		if ok {
			next.ServeHTTP(w, withRole(r, role))
		}
	})
}

func (h *handler) authRequired() bool { return len(h.Tokens) > 0 || len(h.Users) > 0 }

// authenticate checks the bearer token and returns its role; when it is
// refused it has answered already. A wrong token counts against the
// client as a failed login does, and a client out of attempts gets 429
// whatever token it sends.
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request, ip netip.Addr) (access.Role, bool) {
	tok, ok := bearer(r.Header.Get("Authorization"))
	if ok {
		if retry, blocked := h.throttle.Blocked(ip); blocked {
			tooMany(w, retry, "too many failed attempts; try again later")
			return access.Full, false
		}
	}
	role, valid, err := h.tokenRole(r.Context(), tok, ok)
	if err != nil {
		h.Log.Error("token check failed", slog.Any("error", err))
		writeError(w, http.StatusServiceUnavailable, "cannot check the token now")
		return access.Full, false
	}
	if !valid {
		if ok {
			h.throttle.Take(ip)
			h.Log.Warn("bearer token refused", slog.String("client", ip.String()), slog.String("path", r.URL.Path))
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="yardsync"`)
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return access.Full, false
	}
	return role, true
}

// tokenRole checks a bearer token: a static one first (no store query),
// then one from auth/.
func (h *handler) tokenRole(ctx context.Context, tok string, present bool) (access.Role, bool, error) {
	if !present {
		return access.Full, false, nil
	}
	if role, ok := h.staticToken(tok); ok {
		return role, true, nil
	}
	if len(h.Users) == 0 || h.TokenStore == nil {
		return access.Full, false, nil
	}
	return h.logins.valid(ctx, tok)
}

// tooMany answers 429 with Retry-After in whole seconds.
func tooMany(w http.ResponseWriter, retry time.Duration, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	writeError(w, http.StatusTooManyRequests, msg)
}

// getOnly answers every method but GET and HEAD with 405 and an Allow header.
func getOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use GET")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP is the request's real client: behind a trusted proxy the
// forwarded address, else the TCP peer (ServeHTTP worked it out).
func clientIP(r *http.Request) netip.Addr { return realip.From(r).Addr }

// allowed reports whether ip is in list; an empty list allows any.
func allowed(list []netip.Prefix, ip netip.Addr) bool {
	if len(list) == 0 {
		return true
	}
	for _, p := range list {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// healthOnly guards /healthz and /readyz with api.health_allow, or with
// api.allow when that is not set. They need no token.
func (h *handler) healthOnly(next http.Handler) http.Handler {
	list := h.HealthAllow
	if len(list) == 0 {
		list = h.Allow
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed(list, clientIP(r)) {
			writeError(w, http.StatusForbidden, "forbidden")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearer is the token of an "Authorization: Bearer TOKEN" header (the scheme
// is case-insensitive). A token of whitespace alone, Unicode spaces such as
// U+00A0 and U+0085 included, is no token.
func bearer(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// tokenDigest is a static token's hash and its role.
type tokenDigest struct {
	sum  [sha256.Size]byte
	role access.Role
}

// tokenDigests hashes the static tokens, skipping blank ones, so every
// comparison is of equal length and takes the same time.
func tokenDigests(tokens []access.Token) []tokenDigest {
	var out []tokenDigest
	for _, t := range tokens {
		if strings.TrimSpace(t.Secret) != "" {
			out = append(out, tokenDigest{sha256.Sum256([]byte(t.Secret)), t.Role})
		}
	}
	return out
}

// staticToken compares against every static token in constant time, so
// neither the match nor its position leaks through timing.
func (h *handler) staticToken(tok string) (access.Role, bool) {
	given := sha256.Sum256([]byte(tok))
	match, role := 0, access.Full
	for _, d := range h.digests {
		eq := subtle.ConstantTimeCompare(given[:], d.sum[:])
		match |= eq
		if eq == 1 {
			role = d.role
		}
	}
	return role, match == 1
}
