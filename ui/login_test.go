package ui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
	"yardsync/internal/throttle"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)

	t.Run("PagesNeedLogin", func(t *testing.T) {
		b := newBrowser(t, srv)
		for _, path := range []string{"/ui/", "/ui/panels/1", "/ui/contracts"} {
			if a := b.get(path); a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/ui/login" {
				t.Errorf("GET %s without a session: %d to %q, want 303 to /ui/login", path, a.StatusCode, a.Header.Get("Location"))
			}
		}
	})
	t.Run("BadPasswordRefused", func(t *testing.T) {
		b := newBrowser(t, srv)
		for _, c := range [][2]string{{testUser, "wrong"}, {"nobody", testPassword}, {testUser, ""}} {
			a := b.login(c[0], c[1])
			if a.StatusCode != http.StatusUnauthorized || sessionOf(a) != nil {
				t.Errorf("login %q/%q: %d with session %v, want 401 and none", c[0], c[1], a.StatusCode, sessionOf(a))
			}
			mustContain(t, "refused login", a.body, "Invalid username or password.")
		}
		if a := b.get("/ui/"); a.StatusCode != http.StatusSeeOther {
			t.Errorf("after refused logins GET /ui/ answered %d, want 303 to the login", a.StatusCode)
		}
	})
	t.Run("CookieFlags", func(t *testing.T) {
		b := newBrowser(t, srv)
		a := b.login(testUser, testPassword)
		c := sessionOf(a)
		if a.StatusCode != http.StatusSeeOther || c == nil {
			t.Fatalf("login: %d, session %v", a.StatusCode, c)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/ui/" || c.Expires.IsZero() {
			t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain HTTP, Path /ui/, an expiry", c)
		}
		if a := b.get("/ui/"); a.StatusCode != http.StatusOK {
			t.Errorf("GET /ui/ with the session: %d", a.StatusCode)
		}
	})
	t.Run("SecureOverTLS", func(t *testing.T) {
		tls := httptest.NewTLSServer(w.ui)
		t.Cleanup(tls.Close)
		b := newBrowser(t, tls)
		c := sessionOf(b.login(testUser, testPassword))
		if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Errorf("session cookie over TLS %+v: want Secure, HttpOnly, SameSite=Strict", c)
		}
	})
	t.Run("Logout", func(t *testing.T) {
		b := newBrowser(t, srv)
		b.mustLogin()
		token := b.csrf("/ui/")
		if a := b.post("/ui/logout", url.Values{"csrf": {token}}); a.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d %s", a.StatusCode, a.body)
		}
		if a := b.get("/ui/"); a.StatusCode != http.StatusSeeOther {
			t.Errorf("GET /ui/ after logout: %d, want 303 to the login", a.StatusCode)
		}
	})
}

func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ui.throttle = throttle.New(3, time.Hour)
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin() // a success costs nothing
	for i := range 3 {
		if a := b.login(testUser, "guess"); a.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, a.StatusCode)
		}
	}
	a := b.login(testUser, testPassword)
	if a.StatusCode != http.StatusTooManyRequests || a.Header.Get("Retry-After") == "" || sessionOf(a) != nil {
		t.Fatalf("login after 3 failures: %d, Retry-After %q, session %v; want 429 with Retry-After and no session",
			a.StatusCode, a.Header.Get("Retry-After"), sessionOf(a))
	}
	mustContain(t, "throttled login", a.body, "Too many failed logins")
}

func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	form := url.Values{"username": {testUser}, "password": {testPassword}}
	if a := b.post("/ui/login", form); a.StatusCode != http.StatusForbidden || sessionOf(a) != nil {
		t.Errorf("login without a CSRF token: %d, session %v; want 403 and none", a.StatusCode, sessionOf(a))
	}
	b.csrf("/ui/login") // the login cookie is set, but the form must carry the same token
	form.Set("csrf", "forged")
	if a := b.post("/ui/login", form); a.StatusCode != http.StatusForbidden || sessionOf(a) != nil {
		t.Errorf("login with a forged CSRF token: %d, want 403", a.StatusCode)
	}
	b.mustLogin()
	path := "/ui/panels/" + itoa(w.panels[0]) + "/sync"
	for _, f := range []url.Values{{}, {"csrf": {"forged"}}} {
		if a := b.post(path, f); a.StatusCode != http.StatusForbidden {
			t.Errorf("sync with CSRF %q: %d, want 403", f.Get("csrf"), a.StatusCode)
		}
		if a := b.post("/ui/logout", f); a.StatusCode != http.StatusForbidden {
			t.Errorf("logout with CSRF %q: %d, want 403", f.Get("csrf"), a.StatusCode)
		}
	}
	runs, err := w.db.RecentRuns(bg, 10)
	if err != nil || len(runs) != 0 {
		t.Errorf("refused syncs made runs: %+v, %v", runs, err)
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin()
	w.ui.sessions.mu.Lock()
	w.ui.sessions.now = func() time.Time { return time.Now().Add(DefaultSessionTTL + time.Second) }
	w.ui.sessions.mu.Unlock()
	if a := b.get("/ui/"); a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/ui/login" {
		t.Errorf("GET /ui/ after the session expired: %d to %q, want 303 to /ui/login", a.StatusCode, a.Header.Get("Location"))
	}
}

func sessionOf(a answer) *http.Cookie {
	for _, c := range a.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c
		}
	}
	return nil
}

// TestSessionsSharedByInstances: with a session store (as serve wires it),
// a login made on one instance holds on another behind the same address,
// a logout on either ends it, and the store keeps no session id itself.
func TestSessionsSharedByInstances(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	instance := func() *httptest.Server {
		srv := httptest.NewServer(New(Options{Store: w.db, Sessions: w.db, Users: testUsers(t), Log: testLog(t)}))
		t.Cleanup(srv.Close)
		return srv
	}
	a, b := newBrowser(t, instance()), newBrowser(t, instance())
	b.c.Jar = a.c.Jar // one browser, two instances on one host
	login := a.login(testUser, testPassword)
	c := sessionOf(login)
	if login.StatusCode != http.StatusSeeOther || c == nil {
		t.Fatalf("login on instance a: %d, session %v", login.StatusCode, c)
	}
	if got := b.get("/ui/"); got.StatusCode != http.StatusOK {
		t.Fatalf("GET /ui/ on instance b with a's login: %d, want 200", got.StatusCode)
	}
	var stored int
	if err := w.db.Pool().QueryRow(bg, `SELECT count(*) FROM yardsync_ui_sessions WHERE id_hash = $1::bytea OR csrf = $2`,
		[]byte(c.Value), c.Value).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("the store holds the session id itself (%d rows, %v)", stored, err)
	}
	if got := b.post("/ui/logout", url.Values{"csrf": {b.csrf("/ui/")}}); got.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout on instance b: %d %s", got.StatusCode, got.body)
	}
	if got := a.get("/ui/"); got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/ui/login" {
		t.Errorf("GET /ui/ on instance a after logging out on b: %d to %q, want 303 to /ui/login", got.StatusCode, got.Header.Get("Location"))
	}
}
