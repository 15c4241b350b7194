package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"yardsync/internal/access"
	"yardsync/store"
	"yardsync/store/storetest"
)

// phpHash is PHP's documented password_hash("rasmuslerdorf") example: a $2y$
// hash as htpasswd -B and AXbills' PHP side make them.
const phpHash = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"

func mustHash(t testing.TB, pw string, cost int) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// post sends body to path from remote, with an optional bearer token.
func postAs(h http.Handler, path, remote, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.RemoteAddr = remote
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// tokenOf returns the token of a 200 auth/ answer, failing on anything else.
func tokenOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var out map[string]string
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil || out["token"] == "" {
		t.Fatalf("got %d %q, want 200 with a token", rec.Code, rec.Body.String())
	}
	return out["token"]
}

// refused checks a 401 that carries an error and no token.
func refused(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	if rec.Code != http.StatusUnauthorized || out["error"] == nil || out["token"] != nil {
		t.Fatalf("got %d %q, want 401 with an error and no token", rec.Code, rec.Body.String())
	}
}

func authServer(t *testing.T, db *store.DB, users map[string]string, mutate ...func(*Options)) http.Handler {
	t.Helper()
	return newServerOn(t, db, append([]func(*Options){func(o *Options) {
		o.Users, o.TokenStore = withoutRoles(users), db
	}}, mutate...)...).h
}

const remote = "192.0.2.10:4000"

func TestLogin(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	users := map[string]string{"billing": mustHash(t, "s3cret", bcrypt.MinCost), "rasmus": phpHash,
		"b-form": "$2b$" + strings.TrimPrefix(mustHash(t, "bee", bcrypt.MinCost), "$2a$"), "42": mustHash(t, "7", bcrypt.MinCost)}
	h := authServer(t, db, users, func(o *Options) { o.Tokens = plain("static-token") })
	ok := []struct{ name, path, body string }{
		{"ArrayAsAXbillsSends", "/bill/api/auth/", `[{"username":"billing","password":"s3cret"}]`},
		{"BareObject", "/bill/api/auth/", `{"username": "billing", "password": "s3cret"}`},
		{"NoTrailingSlash", "/bill/api/auth", `[{"username":"billing","password":"s3cret"}]`},
		{"Hash2y", "/bill/api/auth/", `[{"username":"rasmus","password":"rasmuslerdorf"}]`},
		{"Hash2b", "/bill/api/auth/", `{"username":"b-form","password":"bee"}`},
		{"NumbersBare", "/bill/api/auth/", `{"username":42,"password":7}`},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			tok := tokenOf(t, postAs(h, c.path, remote, "", c.body))
			if rec := postAs(h, "/bill/api/types_list/", remote, tok, ""); rec.Code != http.StatusOK {
				t.Fatalf("types_list with the token: got %d, want 200", rec.Code)
			}
		})
	}
	bad := []struct{ name, body string }{
		{"ErrWrongPassword", `[{"username":"billing","password":"S3cret"}]`},
		{"ErrUnknownUser", `[{"username":"nobody","password":"s3cret"}]`},
		{"ErrEmptyPassword", `[{"username":"billing","password":""}]`},
		{"ErrMissingFields", `[{}]`},
		{"ErrEmptyBody", ``},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) { refused(t, postAs(h, "/bill/api/auth/", remote, "", c.body)) })
	}
	t.Run("ErrMalformed", func(t *testing.T) {
		for _, b := range []string{`[`, `[{"username":"billing","password":"s3cret"},{}]`, `[]`, `"x"`, `{"username":["billing"],"password":"s3cret"}`,
			"{\"username\":\"billing\",\"password\":\"s3\\u0000cret\"}", "{\"username\":\"billing\",\"password\":\"s3\xffcret\"}"} {
			if rec := postAs(h, "/bill/api/auth/", remote, "", b); rec.Code != http.StatusBadRequest || strings.Contains(rec.Body.String(), "token") {
				t.Errorf("%q: got %d %q, want 400 and no token", b, rec.Code, rec.Body.String())
			}
		}
	})
	t.Run("ErrMethod", func(t *testing.T) {
		if rec := serve(h, http.MethodGet, "/bill/api/auth/", remote, ""); rec.Code != http.StatusMethodNotAllowed {
			t.Fatalf("GET auth/: got %d, want 405", rec.Code)
		}
	})
	t.Run("StaticTokenBeside", func(t *testing.T) {
		if rec := postAs(h, "/bill/api/types_list/", remote, "static-token", ""); rec.Code != http.StatusOK {
			t.Fatalf("got %d, want 200", rec.Code)
		}
	})
	t.Run("ErrForgedToken", func(t *testing.T) {
		forged := strings.Repeat("A", 43)
		if rec := postAs(h, "/bill/api/types_list/", remote, forged, ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("got %d, want 401", rec.Code)
		}
	})
}

// TestLoginUsersOnly: with api.users and no static tokens, every call but
// auth/ needs a token, from loopback as well; api.allow still covers auth/.
func TestLoginUsersOnly(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	users := map[string]string{"billing": mustHash(t, "pw", bcrypt.MinCost)}
	h := authServer(t, db, users)
	for _, from := range []string{"127.0.0.1:1", remote} {
		if rec := postAs(h, "/bill/api/types_list/", from, "", ""); rec.Code != http.StatusUnauthorized {
			t.Errorf("%s without a token: got %d, want 401", from, rec.Code)
		}
		tok := tokenOf(t, postAs(h, "/bill/api/auth/", from, "", `[{"username":"billing","password":"pw"}]`))
		if rec := postAs(h, "/bill/api/types_list/", from, tok, ""); rec.Code != http.StatusOK {
			t.Errorf("%s with a token: got %d, want 200", from, rec.Code)
		}
	}
	t.Run("ErrOutsideAllow", func(t *testing.T) {
		h := authServer(t, db, users, func(o *Options) { o.Allow = allowList(t, "10.0.0.0/8") })
		if rec := postAs(h, "/bill/api/auth/", remote, "", `[{"username":"billing","password":"pw"}]`); rec.Code != http.StatusForbidden {
			t.Fatalf("got %d %q, want 403", rec.Code, rec.Body.String())
		}
	})
}

// TestLoginSharedAndExpiring: a token from one instance works on another on
// the same store, until it expires; a changed password ends it.
func TestLoginSharedAndExpiring(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	users := map[string]string{"billing": mustHash(t, "pw", bcrypt.MinCost)}
	a, b := authServer(t, db, users), authServer(t, db, users)
	tok := tokenOf(t, postAs(a, "/bill/api/auth/", remote, "", `[{"username":"billing","password":"pw"}]`))
	if rec := postAs(b, "/bill/api/types_list/", remote, tok, ""); rec.Code != http.StatusOK {
		t.Fatalf("token on the other instance: got %d, want 200", rec.Code)
	}
	t.Run("ErrPasswordChanged", func(t *testing.T) {
		changed := authServer(t, db, map[string]string{"billing": mustHash(t, "new", bcrypt.MinCost)})
		if rec := postAs(changed, "/bill/api/types_list/", remote, tok, ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("got %d, want 401 for a token issued under the old password", rec.Code)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		if _, err := db.Pool().Exec(context.Background(), `UPDATE yardsync_api_tokens SET expires_at = now() - interval '1 second'`); err != nil {
			t.Fatal(err)
		}
		if rec := postAs(b, "/bill/api/types_list/", remote, tok, ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("got %d, want 401 for an expired token", rec.Code)
		}
		again := tokenOf(t, postAs(a, "/bill/api/auth/", remote, "", `[{"username":"billing","password":"pw"}]`))
		if again == tok {
			t.Fatal("a login after expiry answered the expired token")
		}
	})
}

// TestLoginRepeated: the AXbills client logs in before every call. Repeats
// skip bcrypt, cost well under 100 ms and add no rows to the store.
func TestLoginRepeated(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	users := map[string]string{"billing": mustHash(t, "pw", bcrypt.DefaultCost)}
	l := newLogins(withoutRoles(users), time.Hour, db)
	var compares atomic.Int32
	l.compare = func(hash, pw []byte) error { compares.Add(1); return bcrypt.CompareHashAndPassword(hash, pw) }
	ctx := context.Background()
	first, err := l.login(ctx, "billing", "pw")
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	start := time.Now()
	for range n {
		tok, err := l.login(ctx, "billing", "pw")
		if err != nil || tok != first {
			t.Fatalf("repeat: got %q %v, want the same token", tok, err)
		}
	}
	if avg := time.Since(start) / n; avg > 100*time.Millisecond {
		t.Errorf("a repeated login took %s on average, want well under 100ms", avg)
	}
	if c := compares.Load(); c != 1 {
		t.Errorf("bcrypt ran %d times for %d logins, want once", c, n+1)
	}
	if cnt, err := db.TokenCount(ctx); err != nil || cnt != 1 {
		t.Errorf("store holds %d tokens (%v) after %d logins, want 1", cnt, err, n+1)
	}
	t.Run("ErrWrongPasswordStillChecked", func(t *testing.T) {
		before := compares.Load()
		if _, err := l.login(ctx, "billing", "pW"); err != errBadLogin {
			t.Fatalf("got %v, want a refusal", err)
		}
		if compares.Load() != before+1 {
			t.Fatal("a wrong password was not checked with bcrypt")
		}
	})
	t.Run("UnknownUserCostsABcrypt", func(t *testing.T) {
		before := compares.Load()
		if _, err := l.login(ctx, "nobody", "pw"); err != errBadLogin {
			t.Fatalf("got %v, want a refusal", err)
		}
		if compares.Load() != before+1 {
			t.Fatal("an unknown user was answered without a bcrypt compare: its timing tells it apart")
		}
	})
	t.Run("ChangedConfigInvalidates", func(t *testing.T) {
		l.users = withoutRoles(map[string]string{"billing": mustHash(t, "new", bcrypt.MinCost)})
		before := compares.Load()
		if _, err := l.login(ctx, "billing", "pw"); err != errBadLogin {
			t.Fatalf("old password after a config change: got %v, want a refusal", err)
		}
		if compares.Load() != before+1 {
			t.Fatal("the cached verification outlived the hash it was made against")
		}
		if _, ok, err := l.valid(ctx, first); ok || err != nil {
			t.Fatalf("old token after a password change: valid=%v err=%v", ok, err)
		}
	})
	t.Run("TokensBoundedPerUser", func(t *testing.T) {
		for i := range tokensPerUser + 10 {
			m := newLogins(l.users, time.Hour, db) // a fresh instance each time: no reuse
			if _, err := m.login(ctx, "billing", "new"); err != nil {
				t.Fatalf("login %d: %v", i, err)
			}
		}
		if cnt, err := db.TokenCount(ctx); err != nil || cnt > tokensPerUser+1 {
			t.Fatalf("store holds %d tokens (%v), want at most %d", cnt, err, tokensPerUser+1)
		}
	})
}

// TestLoginThrottled: failed logins from one address get 429 with
// Retry-After once its allowance is spent; other clients go on.
func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	users := map[string]string{"billing": mustHash(t, "pw", bcrypt.MinCost)}
	hd := newHandler(Options{Store: db, Users: withoutRoles(users), TokenStore: db, Log: slog.New(slog.DiscardHandler)})
	frozen := time.Now()
	hd.throttle.SetClock(func() time.Time { return frozen }) // no attempt is earned back however slow the test runs
	h := hd.mux
	for i := range LoginBurst {
		refused(t, postAs(h, "/bill/api/auth/", remote, "", `[{"username":"billing","password":"guess`+string(rune('a'+i))+`"}]`))
	}
	rec := postAs(h, "/bill/api/auth/", remote, "", `[{"username":"billing","password":"pw"}]`)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" || strings.Contains(rec.Body.String(), "token") {
		t.Fatalf("got %d Retry-After %q %q, want 429 with Retry-After and no token", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	tokenOf(t, postAs(h, "/bill/api/auth/", "192.0.2.11:1", "", `[{"username":"billing","password":"pw"}]`))
	t.Run("SuccessesNotCounted", func(t *testing.T) {
		for range 3 * LoginBurst {
			tokenOf(t, postAs(h, "/bill/api/auth/", "192.0.2.12:1", "", `[{"username":"billing","password":"pw"}]`))
		}
	})
}

// TestLoginNeverLogsSecrets: neither a password nor a token reaches the log.
func TestLoginNeverLogsSecrets(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	var buf bytes.Buffer
	mu := &lockedWriter{w: &buf}
	users := map[string]string{"billing": mustHash(t, "pw-correct", bcrypt.MinCost)}
	h := authServer(t, db, users, func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(mu, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	tok := tokenOf(t, postAs(h, "/bill/api/auth/", remote, "", `[{"username":"billing","password":"pw-correct"}]`))
	refused(t, postAs(h, "/bill/api/auth/", remote, "", `[{"username":"billing","password":"pw-wrong"}]`))
	refused(t, postAs(h, "/bill/api/auth/", remote, "", `[{"username":"pw-in-user-box","password":"x"}]`))
	postAs(h, "/bill/api/types_list/", remote, tok, "")
	postAs(h, "/bill/api/types_list/", remote, "wrong-token-value", "")
	log := mu.String()
	if !strings.Contains(log, "login refused") {
		t.Fatalf("failed logins were not logged at all: %q", log)
	}
	for _, secret := range []string{"pw-correct", "pw-wrong", "pw-in-user-box", tok, "wrong-token-value"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q: %s", secret, log)
		}
	}
}

// lockedWriter serialises writes of concurrent loggers.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func allowList(t *testing.T, cidrs ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, c := range cidrs {
		out = append(out, netip.MustParsePrefix(c))
	}
	return out
}

// plain makes static tokens without a role, as plain strings in api.tokens are.
func plain(secrets ...string) []access.Token {
	out := make([]access.Token, len(secrets))
	for i, s := range secrets {
		out[i] = access.Token{Secret: s}
	}
	return out
}

// withoutRoles makes api.users of bcrypt hashes, none with a role.
func withoutRoles(hashes map[string]string) map[string]access.User {
	out := make(map[string]access.User, len(hashes))
	for name, h := range hashes {
		out[name] = access.User{Hash: h}
	}
	return out
}
