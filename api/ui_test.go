package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"yardsync/store/storetest"
)

// TestUIMount: the status page is served without a bearer token (it has its
// own login) but only to clients api.allow admits.
func TestUIMount(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("page " + r.URL.Path)) })
	h := newServerOn(t, db, func(o *Options) {
		o.Tokens = plain("secret-one")
		o.Allow = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		o.UI = page
	}).h
	bare := newServerOn(t, db).h
	cases := []struct {
		name, path, remote string
		h                  http.Handler
		want               int
	}{
		{"AllowedWithoutToken", "/ui/login", "10.1.2.3:1", h, 200},
		{"Subpath", "/ui/panels/3", "10.1.2.3:1", h, 200},
		{"ErrOutsideAllow", "/ui/login", "192.0.2.1:1", h, 403},
		{"ErrNoUIConfigured", "/ui/login", "127.0.0.1:1", bare, 404},
		{"APIStillNeedsToken", "/bill/api/types_list/", "10.1.2.3:1", h, 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			req.RemoteAddr = c.remote
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, req)
			if rec.Code != c.want {
				t.Fatalf("GET %s from %s: %d, want %d: %s", c.path, c.remote, rec.Code, c.want, rec.Body)
			}
		})
	}
}

func TestUserVerifier(t *testing.T) {
	t.Parallel()
	h, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	v := NewUserVerifier(withoutRoles(map[string]string{"a": string(h), "php": "$2y$" + strings.TrimPrefix(string(h), "$2a$")}))
	cases := []struct {
		user, password string
		ok             bool
	}{
		{"a", "right", true},
		{"php", "right", true},
		{"a", "wrong", false},
		{"a", "", false},
		{"nobody", "right", false},
		{"", "", false},
	}
	for _, c := range cases {
		if err := v.Verify(context.Background(), c.user, c.password); (err == nil) != c.ok {
			t.Errorf("Verify(%q, %q) = %v, want ok=%v", c.user, c.password, err, c.ok)
		}
	}
}
