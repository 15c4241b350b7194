package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"yardsync/internal/throttle"
)

// guard enforces api.allow and authentication. With no static tokens and no
// users only loopback clients are served; otherwise every client needs a
// valid token. Failures say nothing more than 401 or 403.
func (h *handler) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		if !h.allowed(ip) {
			writeError(w, http.StatusForbidden, "forbidden")
			return
		}
		if !h.authRequired() {
			if !ip.IsLoopback() {
				writeError(w, http.StatusForbidden, "forbidden")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		ok, err := h.authorized(r)
		if err != nil {
			h.Log.Error("token check failed", slog.Any("error", err))
			writeError(w, http.StatusServiceUnavailable, "cannot check the token now")
			return
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="yardsync"`)
			writeError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *handler) authRequired() bool { return len(h.Tokens) > 0 || len(h.Users) > 0 }

// authorized checks the bearer token: a static one first (no store query),
// then one from auth/.
func (h *handler) authorized(r *http.Request) (bool, error) {
	tok, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return false, nil
	}
	if h.staticToken(tok) {
		return true, nil
	}
	if len(h.Users) == 0 || h.TokenStore == nil {
		return false, nil
	}
	return h.logins.valid(r.Context(), tok)
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

// clientIP is the peer's address; forwarding headers are not trusted.
func clientIP(r *http.Request) netip.Addr { return throttle.ClientIP(r) }

func (h *handler) allowed(ip netip.Addr) bool {
	if len(h.Allow) == 0 {
		return true
	}
	for _, p := range h.Allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
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

// tokenDigests hashes the static tokens, skipping blank ones, so every
// comparison is of equal length and takes the same time.
func tokenDigests(tokens []string) [][sha256.Size]byte {
	var out [][sha256.Size]byte
	for _, t := range tokens {
		if strings.TrimSpace(t) != "" {
			out = append(out, sha256.Sum256([]byte(t)))
		}
	}
	return out
}

// staticToken compares against every static token in constant time, so
// neither the match nor its position leaks through timing.
func (h *handler) staticToken(tok string) bool {
	given := sha256.Sum256([]byte(tok))
	match := 0
	for _, d := range h.digests {
		match |= subtle.ConstantTimeCompare(given[:], d[:])
	}
	return match == 1
}
