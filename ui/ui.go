// Package ui serves the operators' status page at /ui/: the last runs,
// failing panels first, a panel's keys and changes with a "sync this panel"
// button, and a contract search (by uid, phone or key) that shows explain.
// Under every error it knows it says what to do; it speaks English and
// Russian throughout and shows times in Options.Location with their offset.
// It is server-rendered HTML and works without JavaScript; logins are
// api.users with a session cookie, and every form carries a CSRF token.
package ui

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"yardsync/internal/access"
	"yardsync/internal/throttle"
	"yardsync/reconcile"
	"yardsync/store"
)

// Store is what the pages read from yardsync's tables.
type Store interface {
	RecentRuns(ctx context.Context, limit int) ([]store.RunRecord, error)
	PanelStatuses(ctx context.Context, failingOnly bool) ([]reconcile.PanelStatus, error)
	OwnedKeysOn(ctx context.Context, deviceID int) ([]reconcile.OwnedKey, error)
	Changes(ctx context.Context, f reconcile.ChangeFilter) ([]reconcile.Change, error)
	LastHeld(ctx context.Context, uid int64) (*store.HeldGuard, error)
	RunRecord(ctx context.Context, id int64) (store.RunRecord, error)
	KeyHolders(ctx context.Context, code string) ([]int64, error)
}

// Verifier checks a login of api.users (any error refuses it) and says
// what a user is granted now: a session whose user is gone, or whose
// password hash or role changed since, ends.
type Verifier interface {
	Verify(ctx context.Context, user, password string) error
	Account(user string) (access.Account, bool)
}

// PanelSyncer runs one panel, as `reconcile --panel ID` does.
type PanelSyncer interface {
	SyncPanel(ctx context.Context, deviceID int, wait bool) (reconcile.SyncAnswer, error)
}

// Options are the page's dependencies. Sync, PanelKeys, Explain and UIDs may
// be nil (billing not configured): the page then says so where they are used.
type Options struct {
	Store     Store
	Users     Verifier
	Sync      PanelSyncer
	PanelKeys func(ctx context.Context, deviceID int) ([]reconcile.PanelKey, error) // live read; bounded by LiveTimeout
	Explain   func(ctx context.Context, uid int64) (reconcile.Explanation, error)
	UIDs      func(ctx context.Context, phone string) ([]int64, error) // billing uids of a phone
	// Sessions keeps logins for every instance (store.DB); nil keeps them
	// in this process only (a restart, or another instance, asks again).
	Sessions SessionStore
	// SessionTTL is how long a login lasts; DefaultSessionTTL when zero.
	SessionTTL time.Duration
	// Location is the zone the pages show times in (ui.time_zone); nil
	// is the host's.
	Location *time.Location
	// Throttle counts failed logins per client; serve shares one with the
	// API, so a client's guesses count once wherever they are made. Nil:
	// the page's own.
	Throttle *throttle.Limiter
	Log      *slog.Logger
}

// DefaultSessionTTL is how long a login lasts when Options.SessionTTL is zero.
const DefaultSessionTTL = 12 * time.Hour

// LiveTimeout bounds the live read of a panel's keys on its page.
const LiveTimeout = 3 * time.Second

// Login throttle: a client network gets loginBurst failures at once and
// earns one back every loginRefill, as auth/ allows.
const (
	loginBurst  = 10
	loginRefill = 6 * time.Second
)

// Handler serves every /ui/ path.
type Handler struct {
	opts     Options
	sessions *sessions
	throttle *throttle.Limiter
	mux      *http.ServeMux
}

// New builds the handler. Paths are absolute: mount it at /ui/.
func New(o Options) *Handler {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.Throttle == nil {
		o.Throttle = throttle.New(loginBurst, loginRefill)
	}
	h := &Handler{opts: o, sessions: newSessions(o.SessionTTL, o.Sessions), throttle: o.Throttle, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /ui/style.css", serveCSS)
	h.mux.HandleFunc("GET /ui/login", h.loginForm)
	h.mux.HandleFunc("POST /ui/login", h.login)
	h.mux.Handle("POST /ui/logout", h.authed(h.logout))
	h.mux.Handle("GET /ui/{$}", h.authed(h.home))
	h.mux.Handle("GET /ui/panels/{id}", h.authed(h.panel))
	h.mux.Handle("POST /ui/panels/{id}/sync", h.authed(h.syncPanel))
	h.mux.Handle("GET /ui/contracts", h.authed(h.contracts))
	h.mux.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusNotFound, "not_found", nil)
	})
	return h
}

// ServeHTTP sets headers every page shares and routes the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// authedFunc is a page handler that knows its session.
type authedFunc func(w http.ResponseWriter, r *http.Request, s session)

// authed requires a live session: a GET without one is sent to the login
// form, and every POST must carry the session's CSRF token.
func (h *Handler) authed(next authedFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok, err := h.session(r)
		if err != nil {
			h.fail(w, r, http.StatusServiceUnavailable, "internal", err)
			return
		}
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
				return
			}
			h.fail(w, r, http.StatusForbidden, "session_expired", nil)
			return
		}
		if r.Method == http.MethodPost && !sameToken(r.PostFormValue(csrfField), s.csrf) {
			h.fail(w, r, http.StatusForbidden, "csrf_refused", nil)
			return
		}
		next(w, r, s)
	})
}

// session is the request's session if its user still holds the account it
// logged in with (same password hash and role) and may use the page; its
// role is the user's now. A session whose user changed is deleted.
func (h *Handler) session(r *http.Request) (session, bool, error) {
	s, ok, err := h.sessions.fromRequest(r)
	if err != nil || !ok {
		return session{}, false, err
	}
	var acc access.Account
	if h.opts.Users != nil {
		acc, ok = h.opts.Users.Account(s.user)
	}
	if !ok || !sameToken(acc.Cred, s.cred) || !acc.Role.UsesPage() {
		if err := h.sessions.remove(r.Context(), s.id); err != nil {
			return session{}, false, err
		}
		return session{}, false, nil
	}
	s.role = acc.Role
	return s, true, nil
}

// fail renders an error page; internal errors are logged, not shown.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	if err != nil {
		h.opts.Log.Error("status page failed", slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	s, _, _ := h.session(r)
	h.render(w, r, status, "error", &s, map[string]string{"Message": msg})
}
