// Package api serves the /bill/api management calls, /healthz, /readyz and /metrics.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"yardsync/internal/access"
	"yardsync/internal/realip"
	"yardsync/internal/throttle"
	"yardsync/reconcile"
)

// Billing is the read side of the billing the API answers from.
type Billing interface {
	UIDs(ctx context.Context, phone string) ([]int64, error)
	Cams(ctx context.Context, uid int64) (reconcile.CamsState, error)
	List(ctx context.Context, phone string) ([]reconcile.BillingRow, error)
	Forget(uid int64)
	ForgetPhone(phone string)
}

// Syncer runs reconciles for the API.
type Syncer interface {
	// Sync asks for a run (uid 0: full) and, with wait, returns when it is
	// done, or at api.sync_wait with what is done so far.
	Sync(ctx context.Context, uid int64, wait bool) (reconcile.SyncAnswer, error)
	// Touch schedules debounced targeted runs after a change to these contracts.
	Touch(uids ...int64)
	// Revoke is Touch for a revocation named by its contract (rights_del,
	// keys_del, users/clients/delete): its run is never guarded.
	Revoke(uids ...int64)
	// SyncPanel asks for a run of one panel and, with wait, answers as Sync does.
	SyncPanel(ctx context.Context, deviceID int, wait bool) (reconcile.SyncAnswer, error)
}

// Options are the handler's dependencies; Billing and Syncer may be nil
// until configured, and their calls then answer 503.
type Options struct {
	Store Store
	// Families names the family of each paneltype in panels/ answers; nil:
	// the defaults.
	Families reconcile.Families
	Billing  Billing
	Syncer   Syncer
	Explain  Explainer      // explain/; nil until billing is configured
	Metrics  http.Handler   // served at /metrics when set
	UI       http.Handler   // the status page at /ui/ when set; it has its own login, so only api.allow guards it
	Tokens   []access.Token // static bearer tokens, each with its role
	Allow    []netip.Prefix // api.allow: clients served; empty: any
	// HealthAllow is api.health_allow: the clients /healthz and /readyz
	// answer; empty: those of Allow.
	HealthAllow []netip.Prefix
	// TrustedProxies are the reverse proxies whose X-Forwarded-For,
	// X-Real-IP and X-Forwarded-Proto are believed: behind them the client
	// is the forwarded address, for api.allow, the throttle and the logs.
	TrustedProxies []netip.Prefix
	// Listen is api.listen: without tokens, a write must name its host (or
	// a loopback name) in Host.
	Listen string
	// Throttle counts failed logins and wrong bearer tokens per client;
	// serve shares it with the status page. Nil: the handler's own.
	Throttle *throttle.Limiter
	Log      *slog.Logger

	// Users may log in at auth/ for a token. With neither Tokens nor Users
	// only loopback clients are served; with either, every call but auth/
	// needs a token, from loopback too.
	Users      map[string]access.User
	TokenTTL   time.Duration // life of a token from auth/; 0: DefaultTokenTTL
	TokenStore TokenStore    // where those tokens live; required with Users
}

type handler struct {
	Options
	db       Store // the calls' view of Options.Store
	mux      *http.ServeMux
	digests  []tokenDigest // of the static tokens
	logins   *logins
	throttle *throttle.Limiter
	proxies  proxies
}

// NewHandler builds the HTTP handler of every route.
func NewHandler(o Options) http.Handler { return newHandler(o) }

func newHandler(o Options) *handler {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Throttle == nil {
		o.Throttle = throttle.New(LoginBurst, LoginRefill)
	}
	h := &handler{Options: o, db: o.Store, mux: http.NewServeMux(), digests: tokenDigests(o.Tokens),
		logins: newLogins(o.Users, o.TokenTTL, o.TokenStore), throttle: o.Throttle, proxies: o.TrustedProxies}
	h.mux.Handle("/healthz", h.healthOnly(getOnly(http.HandlerFunc(h.healthz))))
	h.mux.Handle("/readyz", h.healthOnly(getOnly(http.HandlerFunc(h.readyz))))
	if o.Metrics != nil {
		h.mux.Handle("/metrics", h.guard(getOnly(o.Metrics)))
	}
	if o.UI != nil {
		h.mux.Handle("/ui/", h.allowOnly(o.UI))
	}
	h.mux.Handle("/bill/api/openapi.json", h.guard(getOnly(http.HandlerFunc(serveOpenAPI))))
	for name, rt := range h.calls() {
		h.route(name, rt)
	}
	h.routeAuth()
	// Guarded, so that without a token an unknown path is a 401 like any other.
	h.mux.Handle("/", h.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such call: "+r.URL.Path)
	})))
	return h
}

// ServeHTTP works out the request's real client once (behind a trusted
// proxy: the forwarded one), for every route and the status page, and
// routes the request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, realip.With(r, h.proxies.client(r)))
}

// call is one /bill/api handler: it returns the answer (nil: empty 200) or an error.
type call func(r *http.Request, b body) (status int, answer any, err error)

// route is a call and the least role that may make it.
type route struct {
	fn   call
	need access.Role
}

// calls lists every /bill/api call with the role it needs: reads are the
// viewer's, runs the operator's, every change the billing's.
func (h *handler) calls() map[string]route {
	read := func(fn call) route { return route{fn, access.Viewer} }
	run := func(fn call) route { return route{fn, access.Operator} }
	write := func(fn call) route { return route{fn, access.Billing} }
	return map[string]route{
		"devices_list": read(h.devicesList), "devices_add": write(h.devicesAdd), "devices_mod": write(h.devicesMod), "devices_del": write(h.devicesDel),
		"doors_list": read(h.doorsList), "doors_add": write(h.doorsAdd), "doors_mod": write(h.doorsMod), "doors_del": write(h.doorsDel),
		"rights_list": read(h.rightsList), "rights_add": write(h.rightsAdd), "rights_del": write(h.rightsDel),
		"keys_list": read(h.keysList), "keys_add": write(h.keysAdd), "keys_del": write(h.keysDel),
		"types_list": read(h.typesList),
		"uids":       write(h.uids), "cams": write(h.cams), "billing_list": read(h.billingList), "sync": run(h.sync),
		"address_devices_list": read(h.addressDevicesList), "address_devices_update": write(h.addressDevicesUpdate),
		"users/clients": write(h.clientsList), "users/clients/create": write(h.clientsCreate), "users/clients/edit": write(h.clientsEdit),
		"users/clients/change_password": write(h.clientsEdit), "users/clients/delete": write(h.clientsDelete),
		"explain": read(h.explain), "log": read(h.changeLog), "panels": read(h.panels),
	}
}

// route serves a call at /bill/api/NAME/ and /bill/api/NAME, POST only. A
// caller whose role falls short is refused before the body is read.
func (h *handler) route(name string, rt route) {
	serve := h.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use POST")
			return
		}
		if msg, ok := h.permitted(r, rt.need); !ok {
			writeError(w, http.StatusForbidden, msg)
			return
		}
		b, err := decodeBody(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		status, answer, err := rt.fn(r, b)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, status, answer)
	}))
	h.mux.Handle("/bill/api/"+name+"/{$}", serve)
	h.mux.Handle("/bill/api/"+name, serve)
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	if err := h.Store.Ping(r.Context()); err != nil {
		h.Log.Warn("store not ready", slog.Any("error", err))
		writeError(w, http.StatusServiceUnavailable, "store unreachable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// fail maps an error to its status in one place and logs what is ours to fix.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		h.Log.Error("api call failed", slog.String("path", r.URL.Path), slog.Any("error", err))
		msg = "internal error"
	}
	writeError(w, status, msg)
}

func statusOf(err error) int {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, reconcile.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, reconcile.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, reconcile.ErrConflict), errors.Is(err, reconcile.ErrBusy):
		return http.StatusConflict
	case errors.Is(err, reconcile.ErrUnprocessable):
		return http.StatusUnprocessableEntity
	case errors.Is(err, reconcile.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeJSON answers v as JSON; a nil v is the spec's empty 200 body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	if v == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
