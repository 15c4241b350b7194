package ui

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"yardsync/internal/throttle"
)

// loginForm shows the form with a fresh login CSRF token, kept in a cookie
// until the form comes back (double submit: there is no session yet).
func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	h.showLogin(w, r, http.StatusOK, "")
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	token := randomToken()
	setCookie(w, r, loginCookie, token, time.Time{}) // a browser-session cookie
	h.render(w, r, status, "login", &session{csrf: token}, map[string]string{"Message": msg})
}

// login checks the form's CSRF token, then the throttle, then the password.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(r.PostFormValue(csrfField), c.Value) {
		h.fail(w, r, http.StatusForbidden, "csrf_refused", nil)
		return
	}
	ip := throttle.ClientIP(r)
	if wait, ok := h.throttle.Take(ip); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		h.showLogin(w, r, http.StatusTooManyRequests, "too_many_logins")
		return
	}
	user := r.PostFormValue("username")
	if h.opts.Users == nil || h.opts.Users.Verify(r.Context(), user, r.PostFormValue("password")) != nil {
		h.opts.Log.Warn("status page login refused", slog.String("client", ip.String()))
		h.showLogin(w, r, http.StatusUnauthorized, "bad_login")
		return
	}
	h.throttle.Refund(ip)
	acc, ok := h.opts.Users.Account(user)
	if !ok || !acc.Role.UsesPage() {
		h.opts.Log.Warn("status page login refused: the role has no page", slog.String("user", user), slog.String("role", acc.Role.String()))
		h.showLogin(w, r, http.StatusForbidden, "role_no_page")
		return
	}
	s, err := h.sessions.create(r.Context(), user, acc)
	if err != nil {
		h.fail(w, r, http.StatusServiceUnavailable, "internal", err)
		return
	}
	setCookie(w, r, loginCookie, "", time.Time{})
	setCookie(w, r, sessionCookie, s.id, s.expires)
	h.opts.Log.Info("status page login", slog.String("user", user), slog.String("client", ip.String()))
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, s session) {
	if err := h.sessions.remove(r.Context(), s.id); err != nil {
		h.fail(w, r, http.StatusServiceUnavailable, "internal", err)
		return
	}
	setCookie(w, r, sessionCookie, "", time.Time{})
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}
