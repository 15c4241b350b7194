package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"yardsync/reconcile"
	"yardsync/store"
	"yardsync/store/storetest"
)

// fakeSyncer records what the API asked for. Every test server is wired to
// one (newServerOn), so s.syncer.touched is what the handler really scheduled.
type fakeSyncer struct {
	mu      sync.Mutex
	SyncFn  func(uid int64, wait bool) (reconcile.SyncAnswer, error)
	touched []int64
	revoked []int64 // among touched: those scheduled by Revoke
	panels  []int   // SyncPanel calls
}

func (f *fakeSyncer) Sync(_ context.Context, uid int64, wait bool) (reconcile.SyncAnswer, error) {
	return f.SyncFn(uid, wait)
}
func (f *fakeSyncer) SyncPanel(_ context.Context, id int, wait bool) (reconcile.SyncAnswer, error) {
	f.mu.Lock()
	f.panels = append(f.panels, id)
	f.mu.Unlock()
	return reconcile.SyncAnswer{Summary: reconcile.Summary{RunID: 8, Status: "ok"}}, nil
}
func (f *fakeSyncer) Touch(uids ...int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.touched = append(f.touched, uids...)
}

func (f *fakeSyncer) Revoke(uids ...int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.touched = append(f.touched, uids...)
	f.revoked = append(f.revoked, uids...)
}

// takeRevoked returns and clears what was scheduled by Revoke since the last call.
func (f *fakeSyncer) takeRevoked() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.revoked
	f.revoked = nil
	return r
}

// takeTouched returns and clears what was scheduled since the last call.
func (f *fakeSyncer) takeTouched() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.touched
	f.touched = nil
	return t
}

type server struct {
	t      *testing.T
	h      http.Handler
	db     *store.DB
	syncer *fakeSyncer
	token  string // the bearer token call sends, when the server needs one
}

func newServer(t *testing.T, mutate ...func(*Options)) *server {
	t.Helper()
	return newServerOn(t, storetest.MustOpenDB(t), mutate...)
}

func newServerOn(t *testing.T, db *store.DB, mutate ...func(*Options)) *server {
	syncer := &fakeSyncer{SyncFn: func(uid int64, wait bool) (reconcile.SyncAnswer, error) {
		return reconcile.SyncAnswer{Summary: reconcile.Summary{RunID: 7, Status: "ok"}}, nil
	}}
	o := Options{Store: db, Syncer: syncer, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, m := range mutate {
		m(&o)
	}
	if f, ok := o.Syncer.(*fakeSyncer); ok {
		syncer = f // a test's own fake is the one its server calls
	}
	return &server{t: t, h: NewHandler(o), db: db, syncer: syncer}
}

// call posts body to /bill/api/path/ from loopback, as a program on this
// host does (JSON, Host 127.0.0.1), and decodes the answer.
func (s *server) call(path, body string) (int, map[string]any) {
	s.t.Helper()
	req := localRequest(path, body)
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			s.t.Fatalf("%s: answer is not JSON: %q", path, rec.Body.String())
		}
	}
	return rec.Code, out
}

// localRequest is a call from a program on this host: loopback, JSON, and
// a loopback Host, as a write without tokens must come.
func localRequest(path, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/bill/api/"+path+"/", strings.NewReader(body))
	req.RemoteAddr = "127.0.0.1:5555"
	req.Host = "127.0.0.1:8080"
	req.Header.Set("Content-Type", "application/json")
	return req
}

// must posts and fails the test unless the status is want.
func (s *server) must(want int, path, body string) map[string]any {
	s.t.Helper()
	got, out := s.call(path, body)
	if got != want {
		s.t.Fatalf("%s %s: got status %d (%v), want %d", path, body, got, out, want)
	}
	if got >= 400 {
		if msg, _ := out["error"].(string); msg == "" {
			s.t.Fatalf("%s: error answer without a message: %v", path, out)
		}
	}
	return out
}

// snapshot is the whole visible state, to prove a failed call wrote nothing.
func (s *server) snapshot(uids ...int) string {
	s.t.Helper()
	var b strings.Builder
	for _, p := range []string{"devices_list", "doors_list"} {
		_, out := s.call(p, "")
		j, _ := json.Marshal(out)
		b.Write(j)
	}
	for _, uid := range uids {
		for _, p := range []string{"rights_list", "keys_list"} {
			_, out := s.call(p, `{"uid": `+jsonInt(uid)+`}`)
			j, _ := json.Marshal(out)
			b.Write(j)
		}
	}
	return b.String()
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

// specDevice is the spec's devices_add example.
const specDevice = `{"device_uuid": "8ee703fe-5e92-4f6e-a6bb-e194a8825be4", "device_type": 1, "url": "vd.sait.ru",
	"stream": "rtsp://ip:port/url", "is_active": true, "title": "Дверь в подьезд", "address": "г. Москва, .....",
	"longitude": 45.12345678, "latitude": 47.12345678, "record_days": 10, "domophoneid": 1, "sippassword": "Passwd",
	"dtmf": 1, "camshot": "url camshot", "paneltype": 1, "panelip": "192.168.1.1", "panellogin": "Login", "panelpasswd": "passwd"}`

const specLock = `{"device_type": "3", "url": "None", "stream": "None", "is_active": "True", "title": "Замок",
	"address": "None", "longitude": "None", "latitude": "None", "record_days": "None", "domophoneid": "None",
	"sippassword": "None", "dtmf": "None", "camshot": "None", "paneltype": "None", "panelip": "None",
	"panellogin": "None", "panelpasswd": "None"}`

func id(t *testing.T, out map[string]any, name string) int {
	t.Helper()
	f, ok := out[name].(float64)
	if !ok {
		t.Fatalf("answer %v has no numeric %q", out, name)
	}
	return int(f)
}

func TestRouting(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	t.Run("ErrMethod", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/bill/api/devices_list/", nil)
		req.RemoteAddr = "127.0.0.1:1"
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusMethodNotAllowed || !strings.Contains(rec.Body.String(), "error") {
			t.Fatalf("got %d %q, want 405 with a JSON error", rec.Code, rec.Body.String())
		}
	})
	t.Run("ErrUnknownCall", func(t *testing.T) { s.must(http.StatusNotFound, "nope", "{}") })
	t.Run("NoTrailingSlash", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/bill/api/types_list", nil)
		req.RemoteAddr = "127.0.0.1:1"
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("got %d, want 200", rec.Code)
		}
	})
	t.Run("Health", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/readyz"} {
			rec := httptest.NewRecorder()
			s.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: got %d, want 200", p, rec.Code)
			}
		}
	})
	t.Run("ErrBodyTooLarge", func(t *testing.T) {
		big := `{"title": "` + strings.Repeat("x", maxBody) + `"}`
		before := s.snapshot()
		s.must(http.StatusRequestEntityTooLarge, "devices_add", big)
		if s.snapshot() != before {
			t.Fatal("an oversized body wrote something")
		}
	})
	t.Run("ErrMalformedJSON", func(t *testing.T) {
		for _, b := range []string{`{`, `[1,2]`, `"x"`, `{"device_type": }`, `nonsense`} {
			s.must(http.StatusBadRequest, "devices_add", b)
		}
	})
}

func TestAuth(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	do := func(h http.Handler, remote, auth string) int {
		req := httptest.NewRequest(http.MethodPost, "/bill/api/types_list/", nil)
		req.RemoteAddr = remote
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 400 && strings.Contains(rec.Body.String(), "secret") {
			t.Fatalf("an auth failure told more than it should: %s", rec.Body.String())
		}
		return rec.Code
	}
	noTokens := newServerOn(t, db).h
	withTokens := newServerOn(t, db, func(o *Options) { o.Tokens = plain("secret-one", "secret-two") }).h
	allowOnly := newServerOn(t, db, func(o *Options) {
		o.Tokens = plain("secret-one")
		o.Allow = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	}).h
	cases := []struct {
		name         string
		h            http.Handler
		remote, auth string
		want         int
	}{
		{"LoopbackWithoutTokens", noTokens, "127.0.0.1:1", "", 200},
		{"IPv6LoopbackWithoutTokens", noTokens, "[::1]:1", "", 200},
		{"ErrRemoteWithoutTokens", noTokens, "192.0.2.1:1", "", 403},
		{"ValidToken", withTokens, "192.0.2.1:1", "Bearer secret-two", 200},
		{"ErrNoToken", withTokens, "127.0.0.1:1", "", 401},
		{"ErrWrongToken", withTokens, "192.0.2.1:1", "Bearer secret-three", 401},
		{"ErrNotBearer", withTokens, "192.0.2.1:1", "Basic secret-one", 401},
		{"AllowedNetwork", allowOnly, "10.1.2.3:1", "Bearer secret-one", 200},
		{"ErrOutsideAllow", allowOnly, "192.0.2.1:1", "Bearer secret-one", 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := do(c.h, c.remote, c.auth); got != c.want {
				t.Fatalf("got %d, want %d", got, c.want)
			}
		})
	}
}
