package panels_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/reconcile"
)

// reply is a captured answer: a status and a file of testdata/panels.
type reply struct {
	status int
	file   string
}

// captures serves the files under testdata/panels/dir by each request's
// route (route names it, e.g. "GET /api/v1/rfids"); a request with no
// route is a 404 and fails the test. header, when set, adds headers to an
// answer.
func captures(t *testing.T, dir string, routes map[string]reply, route func(*http.Request) string, header func(http.Header, reply)) *httptest.Server {
	t.Helper()
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := route(r)
		rep, ok := routes[key]
		if !ok {
			t.Errorf("unexpected request %s", key)
			http.NotFound(w, r)
			return
		}
		body, err := os.ReadFile(filepath.Join("..", "testdata", "panels", dir, rep.file))
		if err != nil {
			t.Error(err)
		}
		if header != nil {
			header(w.Header(), rep)
		}
		w.WriteHeader(rep.status)
		_, _ = w.Write(body)
	}))
}

// byPath routes a request by "METHOD path".
func byPath(r *http.Request) string { return r.Method + " " + r.URL.Path }

// capturePanel serves captured answers by "METHOD path" plus, for Beward,
// "?action=<action>"; any other request is a 404 and fails the test.
func capturePanel(t *testing.T, routes map[string]reply) *panels.Client {
	t.Helper()
	srv := captures(t, "", routes, func(r *http.Request) string {
		key := byPath(r)
		if a := r.URL.Query().Get("action"); a != "" {
			key += "?action=" + a
		}
		return key
	}, nil)
	kind := reconcile.PanelBeward
	if filepath.Dir(firstFile(routes)) == "sokol" {
		kind = reconcile.PanelSokol
	}
	return mustClient(t, srv, kind, "admin", testPassword, time.Second)
}

func firstFile(routes map[string]reply) string {
	for _, r := range routes {
		return r.file
	}
	return ""
}

const (
	codeA, codeB = "0000003375A686", "04A1B2C3D4E5F6"
	unlisted     = reconcile.FlatUnlisted
)

// TestCapturedLists reads each captured key list through the client.
func TestCapturedLists(t *testing.T) {
	internal := reply{404, "beward/extrfid-not-defined.txt"}
	cases := []struct {
		name   string
		routes map[string]reply
		want   []reconcile.PanelKey
	}{
		{"beward/rfid", map[string]reply{"GET /cgi-bin/extrfid_cgi": internal, "GET /cgi-bin/rfid_cgi?action=list": {200, "beward/rfid-list.txt"}},
			[]reconcile.PanelKey{{Code: codeA, Flat: 12}, {Code: codeB, Flat: 0}}},
		{"beward/noflats", map[string]reply{"GET /cgi-bin/extrfid_cgi": internal, "GET /cgi-bin/rfid_cgi?action=list": {200, "beward/rfid-list-noflats.txt"}},
			[]reconcile.PanelKey{{Code: codeA, Flat: unlisted}, {Code: codeB, Flat: unlisted}}},
		{"beward/axiostv", map[string]reply{"GET /cgi-bin/extrfid_cgi": internal, "GET /cgi-bin/rfid_cgi?action=list": {200, "beward/rfid-list-axiostv.txt"}},
			[]reconcile.PanelKey{{Code: "0a1b2c3d4e", Flat: unlisted}, {Code: "3375a686", Flat: unlisted}}},
		{"beward/stray", map[string]reply{"GET /cgi-bin/extrfid_cgi": internal, "GET /cgi-bin/rfid_cgi?action=list": {200, "beward/rfid-list-stray.txt"}},
			[]reconcile.PanelKey{{Code: codeA, Flat: 12}, {Code: codeB, Flat: 3}}},
		{"beward-mifare", map[string]reply{"GET /cgi-bin/extrfid_cgi": {200, "beward/extrfid-list.txt"},
			"GET /cgi-bin/mifare_cgi?action=list": {200, "beward/mifare-list.txt"}, "GET /cgi-bin/rfid_cgi?action=list": {404, "beward/rfid-not-defined.txt"}},
			[]reconcile.PanelKey{{Code: codeA, Flat: 12}, {Code: codeB, Flat: 7}}},
		{"beward-mifare/both-tables", map[string]reply{"GET /cgi-bin/extrfid_cgi": {200, "beward/extrfid-list.txt"},
			"GET /cgi-bin/mifare_cgi?action=list": {200, "beward/mifare-list.txt"}, "GET /cgi-bin/rfid_cgi?action=list": {200, "beward/rfid-list-axiostv.txt"}},
			[]reconcile.PanelKey{{Code: codeA, Flat: 12}, {Code: codeB, Flat: 7}, {Code: "0a1b2c3d4e", Flat: unlisted}, {Code: "3375a686", Flat: unlisted}}},
		{"sokol/rev5", map[string]reply{"GET /key/settings": {200, "sokol/key-settings.json"}, "GET /key/store": {200, "sokol/key-store.json"},
			"GET /system/info": {200, "sokol/system-info.json"}},
			[]reconcile.PanelKey{{Code: codeA, Flat: 12}, {Code: codeB, Flat: 0}}},
		{"sokol/legacy", map[string]reply{"GET /key/settings": {404, "sokol/error-404.json"}, "GET /key/store": {200, "sokol/key-store-legacy.json"},
			"GET /system/info": {404, "sokol/error-404.json"}},
			[]reconcile.PanelKey{{Code: codeA, Flat: 12}, {Code: codeB, Flat: 0}}},
		{"sokol/axiostv", map[string]reply{"GET /key/settings": {200, "sokol/key-settings.json"}, "GET /key/store": {200, "sokol/key-store-axiostv.json"},
			"GET /system/info": {404, "sokol/error-404.json"}},
			[]reconcile.PanelKey{{Code: "0a1b2c3d4e", Flat: 0}, {Code: "3375a686", Flat: 0}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := capturePanel(t, tc.routes)
			keys, err := c.ListKeys(context.Background())
			if err != nil || !slices.Equal(keys, tc.want) {
				t.Errorf("ListKeys = %v, %v; want %v", keys, err, tc.want)
			}
		})
	}
}

// TestCapturedPing reads each family's captured liveness answer.
func TestCapturedPing(t *testing.T) {
	for file, route := range map[string]string{"beward/systeminfo.txt": "GET /cgi-bin/systeminfo_cgi?action=get", "sokol/system-info.json": "GET /system/info"} {
		c := capturePanel(t, map[string]reply{route: {200, file}})
		if info, err := c.Ping(context.Background()); err != nil || info.DeviceID == "" || info.Model == "" {
			t.Errorf("%s: Ping = %+v, %v", file, info, err)
		}
	}
}

// TestCapturedWrites: each captured write answer is accepted or refused.
func TestCapturedWrites(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		file     string
		refusing bool
	}{{"beward/write-ok.txt", false}, {"beward/write-empty.txt", false}, {"beward/write-success.txt", false}, {"beward/write-failed.txt", true}} {
		t.Run(tc.file, func(t *testing.T) {
			c := capturePanel(t, map[string]reply{
				"GET /cgi-bin/extrfid_cgi":            {404, "beward/extrfid-not-defined.txt"},
				"GET /cgi-bin/rfid_cgi?action=list":   {200, "beward/rfid-list.txt"},
				"GET /cgi-bin/rfid_cgi?action=add":    {200, tc.file},
				"GET /cgi-bin/rfid_cgi?action=delete": {200, tc.file},
			})
			add := c.AddKeys(ctx, []reconcile.PanelKey{{Code: "00000000C0FFEE", Flat: 4}})
			del := c.DeleteKey(ctx, codeA)
			if tc.refusing {
				checkErr(t, add, reconcile.ErrPermanent, c, "Request failed")
				checkErr(t, del, reconcile.ErrPermanent, c, "Request failed")
			} else if add != nil || del != nil {
				t.Errorf("add: %v; delete: %v; want both accepted", add, del)
			}
		})
	}
}

// TestCapturedErrors: captured Sokol errors and a key mode other than 2.
func TestCapturedErrors(t *testing.T) {
	ctx := context.Background()
	c := capturePanel(t, map[string]reply{"GET /key/settings": {200, "sokol/key-settings-mode1.json"}})
	_, err := c.ListKeys(ctx)
	checkErr(t, err, reconcile.ErrPermanent, c, "key mode 1, want 2")
	c = capturePanel(t, map[string]reply{"GET /key/settings": {401, "sokol/error-401.json"}})
	_, err = c.ListKeys(ctx)
	checkErr(t, err, reconcile.ErrPermanent, c, "status 401")
	c = capturePanel(t, map[string]reply{"GET /key/settings": {200, "sokol/key-settings.json"}, "GET /key/store": {200, "sokol/key-store.json"},
		"GET /system/info":     {404, "sokol/error-404.json"}, // legacy firmware: a rev.2, written key by key
		"PUT /key/store/merge": {422, "sokol/error-422.json"}})
	err = c.AddKeys(ctx, []reconcile.PanelKey{{Code: "00000000C0FFEE", Flat: 4}})
	checkErr(t, err, reconcile.ErrPermanent, c, `(panel says "key store is full"): status 422`)
}

// checkUnboundCapture pings c and lists it, for a family that binds no key
// to a flat: the device id and model, then the two keys its capture holds
// (yardsync's and a short lower-case one), unbound, and two foreign entries
// skipped.
func checkUnboundCapture(t *testing.T, c *panels.Client, id, model string) {
	t.Helper()
	ctx := context.Background()
	info, err := c.Ping(ctx)
	if err != nil || info.DeviceID != id || info.Model != model {
		t.Fatalf("Ping: got %+v %v, want %s %s", info, err, id, model)
	}
	keys, err := c.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"0000003375A686": true, "0a1b2c3d4e": true}
	for _, k := range keys {
		if !want[k.Code] || k.Flat != reconcile.FlatUnlisted {
			t.Errorf("listed %+v, want one of %v unbound", k, want)
		}
	}
	if len(keys) != 2 || c.Skipped() != 2 {
		t.Errorf("got %d keys, %d skipped; want 2 and 2", len(keys), c.Skipped())
	}
}
