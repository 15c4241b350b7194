package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"yardsync/internal/access"
	"yardsync/reconcile"
	"yardsync/store/storetest"
)

// A password longer than bcrypt's 72 bytes is refused at auth/ and at the
// status page's login, never checked by its first 72 bytes.
func TestLongPasswordRefused(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	first72 := strings.Repeat("p", 72)
	users := withoutRoles(map[string]string{"axbills": mustHash(t, first72, bcrypt.MinCost)})
	h := authServer(t, db, nil, func(o *Options) { o.Users = users })
	tokenOf(t, postAs(h, "/bill/api/auth/", remote, "", `{"username":"axbills","password":"`+first72+`"}`))
	rec := postAs(h, "/bill/api/auth/", remote, "", `{"username":"axbills","password":"`+first72+`and-then-anything"}`)
	refused(t, rec)
	if !strings.Contains(rec.Body.String(), "72 bytes") {
		t.Errorf("the refusal %s does not say why", rec.Body)
	}
	if err := NewUserVerifier(users).Verify(context.Background(), "axbills", first72+"x"); err == nil {
		t.Error("the status page's login took a password longer than 72 bytes")
	}
}

// An unknown user, and a user with a cheap hash, take as long to refuse as
// a user at the highest cost in use: the time tells no name apart. Each is
// timed at its fastest of a few tries, as load only slows a try down.
func TestLoginTimeTellsNothing(t *testing.T) {
	t.Parallel()
	users := map[string]access.User{
		"axbills": {Hash: mustHash(t, "pw", 10)},             // hash-password's default
		"support": {Hash: mustHash(t, "pw", bcrypt.MinCost)}, // cheaper still than htpasswd -B's 5
	}
	v := NewUserVerifier(users)
	// The three are timed in turn, six rounds, and each keeps its fastest:
	// a burst of load on a shared machine then slows all three alike.
	best := map[string]time.Duration{"axbills": time.Hour, "support": time.Hour, "nobody": time.Hour}
	for range 6 {
		for _, user := range []string{"axbills", "support", "nobody"} {
			start := time.Now()
			if err := v.Verify(context.Background(), user, "wrong"); err == nil {
				t.Fatalf("%s logged in with a wrong password", user)
			}
			best[user] = min(best[user], time.Since(start))
		}
	}
	slow, cheap, unknown := best["axbills"], best["support"], best["nobody"]
	for name, d := range map[string]time.Duration{"the cost-4 user": cheap, "an unknown user": unknown} {
		if d < slow/2 {
			t.Errorf("%s is refused in %s, the cost-10 user in %s: the time tells them apart", name, d, slow)
		}
	}
}

// auth/ tokens end with their user: a changed role or a removed user is a
// 401 on the next request, on every instance of the store.
func TestTokensEndWithTheirUser(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	hash := mustHash(t, "pw", bcrypt.MinCost)
	before := map[string]access.User{"support": {Hash: hash, Role: access.Viewer}}
	a := authServer(t, db, nil, func(o *Options) { o.Users = before })
	tok := tokenOf(t, postAs(a, "/bill/api/auth/", remote, "", `{"username":"support","password":"pw"}`))
	if rec := postAs(a, "/bill/api/types_list/", remote, tok, ""); rec.Code != http.StatusOK {
		t.Fatalf("the token where nothing changed: %d", rec.Code)
	}
	for name, after := range map[string]map[string]access.User{
		"RoleChanged": {"support": {Hash: hash, Role: access.Billing}},
		"Removed":     {"axbills": {Hash: hash}},
	} {
		t.Run(name, func(t *testing.T) {
			b := authServer(t, db, nil, func(o *Options) { o.Users = after })
			if rec := postAs(b, "/bill/api/types_list/", remote, tok, ""); rec.Code != http.StatusUnauthorized {
				t.Fatalf("got %d, want 401", rec.Code)
			}
		})
	}
	t.Run("Revoked", func(t *testing.T) {
		if _, err := db.RevokeUser(context.Background(), "support"); err != nil {
			t.Fatal(err)
		}
		if rec := postAs(a, "/bill/api/types_list/", remote, tok, ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("after tokens revoke: %d, want 401", rec.Code)
		}
		again := tokenOf(t, postAs(a, "/bill/api/auth/", remote, "", `{"username":"support","password":"pw"}`))
		if again == tok {
			t.Fatal("a login after the revoke answered the revoked token")
		}
	})
}

// FuzzLoginBody feeds arbitrary bodies to auth/'s reader: a refusal is
// always a 400's ErrInvalid, and what it accepts holds no NUL and is UTF-8.
func FuzzLoginBody(f *testing.F) {
	for _, seed := range []string{`[{"username":"axbills","password":"p"}]`, `{"username":42,"password":7}`, `[]`, `[{}]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := httptest.NewRequest(http.MethodPost, "/bill/api/auth/", bytes.NewReader(data))
		user, password, err := readLogin(r)
		if err != nil {
			if !errors.Is(err, reconcile.ErrInvalid) {
				t.Fatalf("refusal %v is not a 400", err)
			}
			return
		}
		for _, s := range []string{user, password} {
			if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}
