package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"yardsync/internal/access"
	"yardsync/reconcile"
)

// matrixRoute is one route of the role matrix and the least role it needs
// (Full here: no token at all).
type matrixRoute struct {
	method, path, body string
	need               access.Role
	open               bool // served without a token (auth/, health, the page)
}

// matrixRoutes is every route with a body that makes an allowed call
// succeed. The roles are written out here, apart from calls(), so that a
// route given the wrong role there fails this test.
func matrixRoutes() []matrixRoute {
	v, o, b := access.Viewer, access.Operator, access.Billing
	post := func(path, body string, need access.Role) matrixRoute {
		return matrixRoute{http.MethodPost, "/bill/api/" + path + "/", body, need, false}
	}
	return []matrixRoute{
		post("devices_list", ``, v), post("doors_list", ``, v), post("rights_list", `{"uid":"5"}`, v),
		post("keys_list", `{"uid":"5"}`, v), post("types_list", ``, v), post("billing_list", `{"phone":"89101234567"}`, v),
		post("address_devices_list", `{"address":"ул. Тверская, д 1"}`, v),
		post("explain", `{"uid":5}`, v), post("log", `{}`, v), post("panels", `{}`, v),
		post("sync", `{"uid":5}`, o),
		post("devices_add", specLock, b), post("devices_mod", `{"device_id":1,"title":"Подъезд 1"}`, b),
		post("devices_del", `{"device_id":"999"}`, b),
		post("doors_add", `{"device_id":2,"cam":1,"open":"http://lock/open"}`, b), post("doors_mod", `{"doors_id":999,"name":"x"}`, b),
		post("doors_del", `{"doors_id":999}`, b),
		post("rights_add", `{"uid":"6","device_id":[1]}`, b), post("rights_del", `{"uid":"5","device_id":"[1]"}`, b),
		post("keys_add", `{"uid":"6","key":"0a1b2c3d4e"}`, b), post("keys_del", `{"uid":"5","key":"a1b2c3d4"}`, b),
		post("uids", `{"phone":"89101234567"}`, b), post("cams", `{"uid":5}`, b),
		post("address_devices_update", `{"data":[{"device_id":"1","latitude":"55.75","longitude":"37.61"}]}`, b),
		post("users/clients", `{}`, b), post("users/clients/create", `{"uid":"7"}`, b), post("users/clients/edit", `{"uid":"7"}`, b),
		post("users/clients/change_password", `{"uid":"7"}`, b), post("users/clients/delete", `{"uid":"7"}`, b),
		{http.MethodGet, "/metrics", ``, v, false}, {http.MethodGet, "/bill/api/openapi.json", ``, v, false},
		{http.MethodGet, "/healthz", ``, v, true}, {http.MethodGet, "/readyz", ``, v, true},
		{http.MethodPost, "/bill/api/auth/", `[{"username":"axbills","password":"matrix-pw"}]`, v, true},
		{http.MethodGet, "/ui/", ``, v, true},
	}
}

// matrixServer serves every route to a static token of each role and to
// users of each role, over a store holding a panel (with passwords), a
// lock, a door and contract 5's right and key.
func matrixServer(t *testing.T) (*server, map[string]access.Role) {
	t.Helper()
	hash := mustHash(t, "matrix-pw", bcrypt.MinCost)
	roles := map[access.Role]string{access.Viewer: "viewer", access.Operator: "operator", access.Billing: "billing", access.Full: "full"}
	var tokens []access.Token
	users := map[string]access.User{}
	for role, name := range roles {
		tokens = append(tokens, access.Token{Secret: "static-token-of-" + name, Role: role})
		users["user-"+name] = access.User{Hash: hash, Role: role}
	}
	users["axbills"] = access.User{Hash: hash, Role: access.Billing}
	s := newServer(t, func(o *Options) {
		o.Tokens, o.Users, o.TokenStore = tokens, users, o.Store.(TokenStore)
		o.Billing = &fakeBilling{}
		o.Explain = func(_ context.Context, uid int64) (reconcile.Explanation, error) {
			return reconcile.Explanation{UID: uid}, nil
		}
		o.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("yardsync_up 1\n")) })
		o.UI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("the page")) })
	})
	if _, err := s.db.Pool().Exec(t.Context(), `
		INSERT INTO devices (device_id, device_uuid, device_type, is_active, title, address, paneltype, panelip, panelpasswd, sippassword) VALUES
			(1, '00000000-0000-4000-8000-000000000001', 1, true, 'Подъезд 1', 'ул. Тверская, д 1', 1, '10.0.0.1', 'panel-secret', 'sip-secret'),
			(2, '00000000-0000-4000-8000-000000000002', 3, true, 'Калитка', 'ул. Тверская, д 1', NULL, NULL, NULL, NULL);
		INSERT INTO rights VALUES (5, '{1}');
		INSERT INTO keys VALUES (decode('a1b2c3d4', 'hex'), 5, 'card')`); err != nil {
		t.Fatal(err)
	}
	s.token = "static-token-of-full" // for s.snapshot
	callers := map[string]access.Role{}
	for role, name := range roles {
		callers["static-token-of-"+name] = role
		rec := postAs(s.h, "/bill/api/auth/", remote, "", `{"username":"user-`+name+`","password":"matrix-pw"}`)
		callers[tokenOf(t, rec)] = role
	}
	return s, callers
}

// TestRoleMatrix: every route for every role, as a static token and as a
// user's token from auth/. A call within the role is served; one beyond it
// is a 403 naming the role needed, and writes and schedules nothing.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	s, callers := matrixServer(t)
	routes := matrixRoutes()
	for name := range s.h.(*handler).calls() {
		if !slices.ContainsFunc(routes, func(r matrixRoute) bool { return r.path == "/bill/api/"+name+"/" }) {
			t.Errorf("call %s is missing from the role matrix", name)
		}
	}
	for tok, role := range callers {
		for _, rt := range routes {
			before := s.snapshot(5, 6, 7)
			req := httptest.NewRequest(rt.method, rt.path, strings.NewReader(rt.body))
			req.RemoteAddr = remote
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.h.ServeHTTP(rec, req)
			allowed := rt.open || role.Allows(rt.need)
			switch {
			case allowed && (rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden || rec.Code >= 500):
				t.Errorf("%s %s as %s: %d %s, want it served", rt.method, rt.path, role, rec.Code, rec.Body)
			case !allowed && (rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "needs role "+string(rt.need))):
				t.Errorf("%s %s as %s: %d %s, want 403 naming role %s", rt.method, rt.path, role, rec.Code, rec.Body, rt.need)
			case !allowed && s.snapshot(5, 6, 7) != before:
				t.Errorf("%s %s as %s: refused, but it wrote", rt.method, rt.path, role)
			case !allowed && len(s.syncer.takeTouched()) > 0:
				t.Errorf("%s %s as %s: refused, but it scheduled a run", rt.method, rt.path, role)
			}
			s.syncer.takeTouched()
		}
	}
}

// TestViewerSeesNoSecrets: devices_list answers panelpasswd and sippassword
// as "" to the viewer and the operator, and as stored to billing and to a
// token without a role.
func TestViewerSeesNoSecrets(t *testing.T) {
	t.Parallel()
	s, callers := matrixServer(t)
	for tok, role := range callers {
		rec := postAs(s.h, "/bill/api/devices_list/", remote, tok, "")
		var out struct {
			Devices []struct {
				ID          int     `json:"device_id"`
				PanelPasswd *string `json:"panelpasswd"`
				SIPPassword *string `json:"sippassword"`
				PanelIP     *string `json:"panelip"`
			} `json:"devices"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Devices) != 2 || out.Devices[0].ID != 1 {
			t.Fatalf("devices_list as %s: %d %s", role, rec.Code, rec.Body)
		}
		d := out.Devices[0]
		secret := role == access.Billing || role == access.Full
		want := map[bool][2]string{true: {"panel-secret", "sip-secret"}, false: {"", ""}}[secret]
		if d.PanelPasswd == nil || d.SIPPassword == nil || *d.PanelPasswd != want[0] || *d.SIPPassword != want[1] {
			t.Errorf("devices_list as %s: panelpasswd %v sippassword %v, want %q and %q", role, d.PanelPasswd, d.SIPPassword, want[0], want[1])
		}
		if d.PanelIP == nil || *d.PanelIP != "10.0.0.1" {
			t.Errorf("devices_list as %s: panelip %v, want the rest of the device as stored", role, d.PanelIP)
		}
	}
}

// TestOpenAPIRoles: each call's x-role in openapi.json is the role the
// handler asks for.
func TestOpenAPIRoles(t *testing.T) {
	var doc struct {
		Paths map[string]struct {
			Post struct {
				Role string `json:"x-role"`
			} `json:"post"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for name, rt := range (&handler{}).calls() {
		if got := doc.Paths["/bill/api/"+name+"/"].Post.Role; got != string(rt.need) {
			t.Errorf("%s: x-role %q in openapi.json, want %q", name, got, rt.need)
		}
	}
}
