package ui

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"yardsync/api"
	"yardsync/internal/access"
	"yardsync/internal/realip"
	"yardsync/reconcile"
)

// The page shows each role only what it may do: a viewer reads and has no
// sync button (and a forged sync is a 403 that runs nothing), an operator
// syncs, and the billing's account has no page at all.
func TestPageRoles(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	panel := "/ui/panels/" + itoa(w.panels[0])
	as := func(user string) *browser {
		b := newBrowser(t, srv)
		if a := b.login(user, testPassword); a.StatusCode != http.StatusSeeOther {
			t.Fatalf("login as %s: %d %s", user, a.StatusCode, a.body)
		}
		return b
	}
	t.Run("ViewerReadsWithoutSync", func(t *testing.T) {
		b := as(viewerUser)
		for _, path := range []string{"/ui/", panel, "/ui/contracts?by=uid&q=501"} {
			if a := b.get(path); a.StatusCode != http.StatusOK {
				t.Errorf("viewer GET %s: %d", path, a.StatusCode)
			}
		}
		page := b.get(panel).body
		if strings.Contains(page, `id="sync"`) || strings.Contains(page, "/sync\"") || strings.Contains(page, text("en", "no_sync")) {
			t.Errorf("a viewer's panel page offers a sync (or says runs are unavailable):\n%s", page)
		}
		a := b.post(panel+"/sync", url.Values{"csrf": {b.csrf("/ui/")}})
		if a.StatusCode != http.StatusForbidden || !strings.Contains(a.body, text("en", "role_refused")) {
			t.Errorf("viewer's sync: %d %s, want 403 saying the role may not", a.StatusCode, a.body)
		}
		if runs, err := w.db.RecentRuns(bg, 10); err != nil || len(runs) != 0 {
			t.Errorf("a viewer's refused sync made runs: %+v %v", runs, err)
		}
	})
	t.Run("OperatorSyncs", func(t *testing.T) {
		b := as(operatorUser)
		mustContain(t, "operator's panel page", b.get(panel).body, `id="sync"`)
		a := b.post(panel+"/sync", url.Values{"csrf": {b.csrf(panel)}})
		if a.StatusCode != http.StatusSeeOther {
			t.Fatalf("operator's sync: %d %s", a.StatusCode, a.body)
		}
		mustContain(t, "panel after the operator's sync", b.get(a.Header.Get("Location")).body, `id="sync-result"`, "finished: ok")
	})
	t.Run("ErrBillingHasNoPage", func(t *testing.T) {
		b := newBrowser(t, srv)
		a := b.login(billingUser, testPassword)
		if a.StatusCode != http.StatusForbidden || sessionOf(a) != nil || !strings.Contains(a.body, "role billing") {
			t.Fatalf("billing's login: %d, session %v: %s; want 403, no session, and why", a.StatusCode, sessionOf(a), a.body)
		}
		if a := b.get("/ui/"); a.StatusCode != http.StatusSeeOther {
			t.Errorf("GET /ui/ after billing's refused login: %d, want 303 to the login", a.StatusCode)
		}
	})
}

// A session ends on the next request, on every instance, when its user is
// removed, its password hash changes or its role changes.
func TestSessionEndsWithItsUser(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	hash := func(pw string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	before := access.User{Hash: hash(testPassword), Role: access.Operator}
	instance := func(users map[string]access.User) *httptest.Server {
		srv := httptest.NewServer(New(Options{Store: w.db, Sessions: w.db, Users: api.NewUserVerifier(users), Log: testLog(t)}))
		t.Cleanup(srv.Close)
		return srv
	}
	a := instance(map[string]access.User{"support": before})
	for name, after := range map[string]map[string]access.User{
		"Removed":     {},
		"HashChanged": {"support": {Hash: hash("a new password"), Role: before.Role}},
		"RoleChanged": {"support": {Hash: before.Hash, Role: access.Viewer}},
	} {
		t.Run(name, func(t *testing.T) {
			login := newBrowser(t, a)
			if got := login.login("support", testPassword); got.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: %d", got.StatusCode)
			}
			same := login // the instance whose config did not change
			if got := same.get("/ui/"); got.StatusCode != http.StatusOK {
				t.Fatalf("the unchanged instance: %d, want 200", got.StatusCode)
			}
			other := newBrowser(t, instance(after))
			other.c.Jar = login.c.Jar // one browser, another instance on one host
			if got := other.get("/ui/"); got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/ui/login" {
				t.Fatalf("GET /ui/ where the user changed: %d to %q, want 303 to the login", got.StatusCode, got.Header.Get("Location"))
			}
			if got := same.get("/ui/"); got.StatusCode != http.StatusSeeOther {
				t.Errorf("the session, ended on one instance, still holds on the other: %d", got.StatusCode)
			}
		})
	}
}

// The panel page says what the store holds about a sync, never what a
// link's query says: ?sync_error=, ?status= and a run id the store does
// not have show nothing.
func TestPanelResultFromStore(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin()
	panel := "/ui/panels/" + itoa(w.panels[0])
	page := b.get(panel + "?sync_error=" + url.QueryEscape("Panel hacked, call 8-800-FAKE") + "&run=987654&status=" + url.QueryEscape("ok, call 8-800-FAKE"))
	if strings.Contains(page.body, "8-800-FAKE") || strings.Contains(page.body, `id="sync-result"`) {
		t.Fatalf("the panel page shows the query's text:\n%s", page.body)
	}
	t.Run("SyncErrorInTheAnswer", func(t *testing.T) {
		failing := New(Options{Store: w.db, Users: testUsers(t), Sync: failingSync{}, Log: testLog(t)})
		srv := httptest.NewServer(failing)
		t.Cleanup(srv.Close)
		b := newBrowser(t, srv)
		b.mustLogin()
		a := b.post(panel+"/sync", url.Values{"csrf": {b.csrf(panel)}})
		if a.StatusCode != http.StatusBadGateway || !strings.Contains(a.body, "the lock is held by instance 2") {
			t.Fatalf("a sync that made no run: %d %s, want 502 saying why", a.StatusCode, a.body)
		}
	})
}

type failingSync struct{}

func (failingSync) SyncPanel(context.Context, int, bool) (reconcile.SyncAnswer, error) {
	return reconcile.SyncAnswer{}, errors.New("the lock is held by instance 2")
}

// Behind a trusted proxy that says the client came over TLS (the API's
// listener reads that into realip), the session cookie is Secure.
func TestSecureCookieBehindProxy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	overTLS := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.ui.ServeHTTP(rw, realip.With(r, realip.Client{Addr: realip.Peer(r), TLS: true}))
	})
	srv := httptest.NewServer(overTLS)
	t.Cleanup(srv.Close)
	c := sessionOf(newBrowser(t, srv).login(testUser, testPassword))
	if c == nil || !c.Secure {
		t.Fatalf("session cookie %+v behind a TLS proxy: want Secure", c)
	}
}
