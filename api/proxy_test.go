package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"yardsync/internal/realip"
	"yardsync/store/storetest"
)

// The client behind a proxy: forwarding headers are believed only from a
// trusted proxy, and then only as far back as the chain is trusted.
func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	p := proxies{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name, peer string
		headers    map[string]string
		want       string
		tls        bool
	}{
		{"NoHeaders", "127.0.0.1:1", nil, "127.0.0.1", false},
		{"Forwarded", "127.0.0.1:1", map[string]string{"X-Forwarded-For": "203.0.113.7"}, "203.0.113.7", false},
		{"ErrUntrustedPeerForges", "198.51.100.9:1", map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "10.0.0.1", "X-Forwarded-Proto": "https"}, "198.51.100.9", false},
		{"ErrClientPrependsALie", "127.0.0.1:1", map[string]string{"X-Forwarded-For": "10.9.9.9, 192.0.2.77, 203.0.113.7"}, "203.0.113.7", false},
		{"ChainOfTrusted", "127.0.0.1:1", map[string]string{"X-Forwarded-For": "203.0.113.7, 10.1.1.1"}, "203.0.113.7", false},
		{"EveryHopTrusted", "127.0.0.1:1", map[string]string{"X-Forwarded-For": "10.1.1.1, 10.2.2.2"}, "10.1.1.1", false},
		{"RealIP", "10.0.0.5:1", map[string]string{"X-Real-IP": "203.0.113.8"}, "203.0.113.8", false},
		{"WithPorts", "127.0.0.1:1", map[string]string{"X-Forwarded-For": "[2001:db8::7]:4711"}, "2001:db8::7", false},
		{"MappedIPv4", "127.0.0.1:1", map[string]string{"X-Forwarded-For": "::ffff:203.0.113.9"}, "203.0.113.9", false},
		{"ErrGarbageChain", "127.0.0.1:1", map[string]string{"X-Forwarded-For": "203.0.113.7, nonsense", "X-Real-IP": "203.0.113.8"}, "203.0.113.8", false},
		{"ErrGarbageAlone", "127.0.0.1:1", map[string]string{"X-Forwarded-For": "unknown"}, "127.0.0.1", false},
		{"ProtoHTTPS", "127.0.0.1:1", map[string]string{"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}, "203.0.113.7", true},
		{"ProtoHTTP", "127.0.0.1:1", map[string]string{"X-Forwarded-Proto": "http"}, "127.0.0.1", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.peer
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			got := p.client(r)
			if got.Addr.String() != c.want || got.TLS != c.tls {
				t.Fatalf("got %s tls=%v, want %s tls=%v", got.Addr, got.TLS, c.want, c.tls)
			}
		})
	}
	t.Run("ErrNoTrustedProxies", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "127.0.0.1:1"
		r.Header.Set("X-Forwarded-For", "203.0.113.7")
		if got := (proxies{}).client(r); got.Addr.String() != "127.0.0.1" {
			t.Fatalf("got %s with no trusted proxies, want the peer", got.Addr)
		}
	})
}

// forwarded posts from a trusted nginx on loopback for the client at addr.
func forwarded(h http.Handler, path, client, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("X-Forwarded-For", client)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Behind nginx in api.trusted_proxies one client's bad logins throttle that
// client only: the billing, behind the same proxy, keeps logging in.
func TestThrottlePerRealClient(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	users := withoutRoles(map[string]string{"axbills": mustHash(t, "right", bcrypt.MinCost)})
	h := authServer(t, db, nil, func(o *Options) {
		o.Users, o.TrustedProxies = users, allowList(t, "127.0.0.1/32")
	})
	const guesser, billing = "203.0.113.7", "192.0.2.80"
	for range LoginBurst + 5 {
		forwarded(h, "/bill/api/auth/", guesser, "", `[{"username":"axbills","password":"guess"}]`)
	}
	if rec := forwarded(h, "/bill/api/auth/", guesser, "", `[{"username":"axbills","password":"guess"}]`); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("the guesser after %d failures: %d, want 429", LoginBurst+5, rec.Code)
	}
	for range 10 {
		tokenOf(t, forwarded(h, "/bill/api/auth/", billing, "", `[{"username":"axbills","password":"right"}]`))
	}
}

// Wrong bearer tokens count as failed logins do: after the allowance the
// client gets 429 (its right token too), others go on, and the log says
// so without the guesses.
func TestWrongBearerThrottled(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	var buf bytes.Buffer
	log := &lockedWriter{w: &buf}
	h := newServerOn(t, db, func(o *Options) {
		o.Tokens = plain("the-right-static-token")
		o.TrustedProxies = allowList(t, "127.0.0.1/32")
		o.Log = slog.New(slog.NewTextHandler(log, nil))
	}).h
	var guesses []string
	for i := range LoginBurst {
		g := "guess-number-" + string(rune('a'+i)) + "-0123456789"
		guesses = append(guesses, g)
		if rec := forwarded(h, "/bill/api/keys_list/", "203.0.113.7", g, `{"uid":5}`); rec.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i+1, rec.Code)
		}
	}
	rec := forwarded(h, "/bill/api/keys_list/", "203.0.113.7", "the-right-static-token", `{"uid":5}`)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("after %d wrong tokens: %d Retry-After %q, want 429 with Retry-After", LoginBurst, rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := forwarded(h, "/bill/api/keys_list/", "192.0.2.80", "the-right-static-token", `{"uid":5}`); rec.Code != http.StatusOK {
		t.Fatalf("another client behind the same proxy: %d, want 200", rec.Code)
	}
	logged := log.String()
	if strings.Count(logged, "bearer token refused") != LoginBurst || !strings.Contains(logged, "client=203.0.113.7") {
		t.Fatalf("want each refusal logged with the real client:\n%s", logged)
	}
	for _, secret := range append(guesses, "the-right-static-token") {
		if strings.Contains(logged, secret) {
			t.Fatalf("the log holds %q:\n%s", secret, logged)
		}
	}
}

// Without tokens (loopback only) a write must come with JSON, this host's
// name and no foreign Origin: a web page in the operator's browser cannot
// write through it (a cross-site form, DNS rebinding), and what such a
// request may read holds no secret.
func TestLoopbackWritesFromPrograms(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(o *Options) { o.Listen = "yardsync.lan:8080" })
	devID := id(t, s.must(200, "devices_add", specDevice), "device_id")
	keysAdd := func(mutate func(r *http.Request)) *httptest.ResponseRecorder {
		req := localRequest("keys_add", `{"uid":"5","key":"0a1b2c3d4e"}`)
		mutate(req)
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		return rec
	}
	refused := map[string]func(r *http.Request){
		"ErrTextPlainForm": func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") },
		"ErrNoContentType": func(r *http.Request) { r.Header.Del("Content-Type") },
		"ErrUrlEncoded":    func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") },
		"ErrRebindHost":    func(r *http.Request) { r.Host = "attacker.example:8080" },
		"ErrForeignOrigin": func(r *http.Request) { r.Header.Set("Origin", "https://attacker.example") },
		"ErrNullOrigin":    func(r *http.Request) { r.Header.Set("Origin", "null") },
	}
	for name, mutate := range refused {
		t.Run(name, func(t *testing.T) {
			before := s.snapshot(5)
			if rec := keysAdd(mutate); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "without tokens") {
				t.Fatalf("got %d %s, want 403 saying what a write needs", rec.Code, rec.Body)
			}
			if s.snapshot(5) != before || len(s.syncer.takeTouched()) > 0 {
				t.Fatal("a refused write wrote or scheduled something")
			}
		})
	}
	for name, mutate := range map[string]func(r *http.Request){
		"Loopback":     func(*http.Request) {},
		"Localhost":    func(r *http.Request) { r.Host = "localhost:8080"; r.Header.Set("Origin", "http://localhost:8080") },
		"IPv6":         func(r *http.Request) { r.Host = "[::1]:8080" },
		"ListenName":   func(r *http.Request) { r.Host = "yardsync.lan:8080" },
		"JSONCharset":  func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") },
		"SameOriginIP": func(r *http.Request) { r.Header.Set("Origin", "http://127.0.0.1:8080") },
	} {
		t.Run(name, func(t *testing.T) {
			if rec := keysAdd(mutate); rec.Code != http.StatusOK {
				t.Fatalf("got %d %s, want 200", rec.Code, rec.Body)
			}
		})
	}
	t.Run("RebindReadsNoSecrets", func(t *testing.T) {
		req := localRequest("devices_list", "")
		req.Host = "attacker.example:8080"
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		var out struct {
			Devices []map[string]any `json:"devices"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Devices) != 1 || out.Devices[0]["device_id"] != float64(devID) {
			t.Fatalf("got %d %s", rec.Code, rec.Body)
		}
		if out.Devices[0]["panelpasswd"] != "" || out.Devices[0]["sippassword"] != "" {
			t.Fatalf("a request naming another host read %v", out.Devices[0])
		}
	})
}

// api.allow covers /healthz and /readyz; api.health_allow, when set, is
// theirs instead.
func TestHealthAllow(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	only := newServerOn(t, db, func(o *Options) { o.Allow = allowList(t, "10.0.0.0/8") }).h
	split := newServerOn(t, db, func(o *Options) {
		o.Allow, o.HealthAllow = allowList(t, "10.0.0.0/8"), allowList(t, "192.0.2.0/24")
	}).h
	behind := newServerOn(t, db, func(o *Options) {
		o.Allow, o.TrustedProxies = allowList(t, "10.0.0.0/8"), allowList(t, "127.0.0.1/32")
	}).h
	cases := []struct {
		name   string
		h      http.Handler
		from   string
		header string
		want   int
	}{
		{"Allowed", only, "10.1.2.3:1", "", 200},
		{"ErrOutsideAllow", only, "192.0.2.1:1", "", 403},
		{"HealthAllowed", split, "192.0.2.1:1", "", 200},
		{"ErrAllowIsNotHealthAllow", split, "10.1.2.3:1", "", 403},
		{"ForwardedClientAllowed", behind, "127.0.0.1:1", "10.9.9.9", 200},
		{"ErrForwardedClientOutside", behind, "127.0.0.1:1", "203.0.113.7", 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range []string{"/healthz", "/readyz"} {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.RemoteAddr = c.from
				if c.header != "" {
					req.Header.Set("X-Forwarded-For", c.header)
				}
				rec := httptest.NewRecorder()
				c.h.ServeHTTP(rec, req)
				if rec.Code != c.want {
					t.Errorf("GET %s from %s: %d, want %d", path, c.from, rec.Code, c.want)
				}
			}
		})
	}
}

// The status page sees the real client the listener worked out: its
// address and whether it came over TLS.
func TestRealClientReachesThePage(t *testing.T) {
	t.Parallel()
	var seen realip.Client
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = realip.From(r) })
	h := NewHandler(Options{UI: page, TrustedProxies: allowList(t, "127.0.0.1/32"), Log: quietLog()})
	req := httptest.NewRequest(http.MethodGet, "/ui/login", nil)
	req.RemoteAddr = "127.0.0.1:1"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	req.Header.Set("X-Forwarded-Proto", "https")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if seen.Addr.String() != "203.0.113.7" || !seen.TLS {
		t.Fatalf("the page saw %+v, want 203.0.113.7 over TLS", seen)
	}
}

// FuzzClientAddress: whatever the forwarding headers hold, the client is the
// peer or an address the headers name, and from an untrusted peer always
// the peer.
func FuzzClientAddress(f *testing.F) {
	f.Add("127.0.0.1", "203.0.113.7", "", "https")
	f.Add("198.51.100.9", "127.0.0.1", "10.0.0.1", "https")
	f.Add("10.0.0.5", "1.2.3.4, 203.0.113.7, 10.1.1.1", "", "")
	f.Add("127.0.0.1", "[2001:db8::7]:4711,,", "203.0.113.8", "http, https")
	f.Fuzz(func(t *testing.T, peer, xff, realIP, proto string) {
		p := proxies{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = net.JoinHostPort(peer, "1")
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("X-Real-IP", realIP)
		r.Header.Set("X-Forwarded-Proto", proto)
		got := p.client(r)
		from := realip.Peer(r)
		switch {
		case !p.trusted(from) && (got.Addr != from || got.TLS):
			t.Fatalf("untrusted peer %s: got %+v", from, got)
		case got.Addr != from && !strings.Contains(xff+realIP, got.Addr.Unmap().String()) && !strings.Contains(strings.ToLower(xff+realIP), got.Addr.String()):
			t.Fatalf("client %s is neither the peer %s nor in the headers %q %q", got.Addr, from, xff, realIP)
		}
	})
}
