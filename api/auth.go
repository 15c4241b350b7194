package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"yardsync/reconcile"
)

// maxLoginBody bounds an auth/ body: a user name and a password.
const maxLoginBody = 64 << 10

// LoginBurst failed logins (and wrong bearer tokens) are allowed per
// client network at once, and one more comes back every LoginRefill.
const (
	LoginBurst  = 10
	LoginRefill = 6 * time.Second
)

// routeAuth serves auth/ with and without the trailing slash. It needs no
// token (it is how one is had) but api.allow still applies.
func (h *handler) routeAuth() {
	serve := h.allowOnly(http.HandlerFunc(h.auth))
	h.mux.Handle("/bill/api/auth/{$}", serve)
	h.mux.Handle("/bill/api/auth", serve)
}

// allowOnly enforces api.allow and nothing else.
func (h *handler) allowOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed(h.Allow, clientIP(r)) {
			writeError(w, http.StatusForbidden, "forbidden")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// auth answers {"token": ...} for a user of api.users. Every attempt spends
// one of the client's allowance; only failed ones keep it spent.
func (h *handler) auth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use POST")
		return
	}
	ip := clientIP(r)
	if retry, ok := h.throttle.Take(ip); !ok {
		tooMany(w, retry, "too many failed logins; try again later")
		return
	}
	user, password, err := readLogin(r)
	if err != nil {
		h.throttle.Refund(ip) // not a guess at a password
		h.fail(w, r, err)
		return
	}
	token, err := h.logins.login(r.Context(), user, password)
	switch {
	case errors.Is(err, errBadLogin):
		h.logRefused(user, ip.String())
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	case err != nil:
		h.throttle.Refund(ip)
		h.fail(w, r, err)
		return
	}
	h.throttle.Refund(ip)
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

// logRefused logs a failed login, naming the user only when it is one of
// api.users: an unknown "user" may well be a password typed in the wrong box.
func (h *handler) logRefused(user, client string) {
	name := "(unknown)"
	if _, known := h.logins.users[user]; known {
		name = user
	}
	h.Log.Warn("login refused", slog.String("username", name), slog.String("client", client))
}

// readLogin decodes [{"username", "password"}] (the AXbills client's form)
// or the bare object. A missing field is an empty one (and no login).
func readLogin(r *http.Request) (user, password string, err error) {
	data, err := readBody(r, maxLoginBody)
	if err != nil {
		return "", "", err
	}
	if !utf8.Valid(data) {
		return "", "", reconcile.Errorf(reconcile.ErrInvalid, "body is not valid UTF-8")
	}
	obj, err := loginObject(bytes.TrimSpace(data))
	if err != nil {
		return "", "", err
	}
	if user, err = loginField(obj, "username"); err != nil {
		return "", "", err
	}
	if password, err = loginField(obj, "password"); err != nil {
		return "", "", err
	}
	return user, password, nil
}

// loginObject unwraps the one-element array and decodes the object.
func loginObject(data []byte) (map[string]json.RawMessage, error) {
	if len(data) == 0 {
		return nil, nil // as every call reads it: an empty object, so no login
	}
	if data[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil || len(list) != 1 {
			return nil, reconcile.Errorf(reconcile.ErrInvalid, `body must be {"username", "password"} or a list of one such object`)
		}
		data = bytes.TrimSpace(list[0])
	}
	var obj map[string]json.RawMessage
	if len(data) == 0 || data[0] != '{' || json.Unmarshal(data, &obj) != nil {
		return nil, reconcile.Errorf(reconcile.ErrInvalid, `body must be {"username", "password"} or a list of one such object`)
	}
	return obj, nil
}

// loginField reads a string, or a number sent bare (a numeric login); null
// or absent is empty. A NUL is refused: C bcrypt implementations stop there.
func loginField(obj map[string]json.RawMessage, name string) (string, error) {
	raw := bytes.TrimSpace(obj[name])
	var s string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", nil
	case raw[0] == '"':
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", reconcile.Errorf(reconcile.ErrInvalid, "field %q: %s", name, jsonProblem(err))
		}
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", reconcile.Errorf(reconcile.ErrInvalid, "field %q: not a string", name)
		}
		s = n.String()
	default:
		return "", reconcile.Errorf(reconcile.ErrInvalid, "field %q: want a string", name)
	}
	if strings.ContainsRune(s, 0) {
		return "", reconcile.Errorf(reconcile.ErrInvalid, "field %q holds a NUL character", name)
	}
	return s, nil
}
