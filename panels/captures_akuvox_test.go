package panels_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/reconcile"
)

// akuvoxCaptures serves captured Akuvox answers by "METHOD path" (POST
// /api by the body's "target action"); any other request fails the test.
// It asks for no credentials: Digest is TestAkuvoxDigest's. n counts the
// requests.
func akuvoxCaptures(t *testing.T, routes map[string]reply, n *atomic.Int32) *panels.Client {
	t.Helper()
	srv := captures(t, "akuvox", routes, func(r *http.Request) string {
		n.Add(1)
		route := byPath(r)
		if r.Method == http.MethodPost {
			var env struct{ Target, Action string }
			_ = decodeBody(r, &env)
			route += " " + env.Target + " " + env.Action
		}
		return route
	}, func(h http.Header, rep reply) {
		if rep.status == http.StatusUnauthorized {
			h.Set("WWW-Authenticate", `Digest realm="HTTPAPI", qop="auth", nonce="5f2a", algorithm=MD5`)
		}
	})
	return mustClient(t, srv, reconcile.PanelAkuvox, "admin", testPassword, time.Second)
}

func TestAkuvoxCaptures(t *testing.T) {
	ctx := context.Background()
	e12 := map[string]reply{"GET /api/system/info": {200, "system-info.json"}, "GET /api/user/get": {200, "user-get.json"}}
	t.Run("OK", func(t *testing.T) {
		var n atomic.Int32
		c := akuvoxCaptures(t, e12, &n)
		info, err := c.Ping(ctx)
		if err != nil || info.DeviceID != "0C1105123456" || info.Model != "E12W" {
			t.Fatalf("Ping: got %+v %v", info, err)
		}
		keys, err := c.ListKeys(ctx)
		want := []reconcile.PanelKey{{Code: "3375A686"}, {Code: "0A1B2C3D4E"}, {Code: "04A1B2C3D4E5F6"}, {Code: "0000000000BB01"}}
		for i := range want {
			want[i].Flat = reconcile.FlatUnlisted
		}
		if err != nil || !slices.Equal(keys, want) || c.Skipped() != 1 {
			t.Errorf("ListKeys: got %v %v, %d skipped; want %v, the guest card skipped", keys, err, c.Skipped(), want)
		}
	})
	t.Run("S532", func(t *testing.T) {
		var n atomic.Int32
		c := akuvoxCaptures(t, map[string]reply{"GET /api/system/info": {200, "system-info-s532.json"},
			"GET /api/user/get": {200, "user-get-s532.json"}, "POST /api user del": {200, "ok.json"}, "POST /api user add": {200, "ok.json"}}, &n)
		keys, err := c.ListKeys(ctx)
		want := []reconcile.PanelKey{{Code: "3375A686", Flat: reconcile.FlatUnlisted}, {Code: "0000000000BB01", Flat: reconcile.FlatUnlisted}}
		if err != nil || !slices.Equal(keys, want) || c.Skipped() != 0 {
			t.Errorf("ListKeys: got %v %v; want %v (the flat user holds no key)", keys, err, want)
		}
		if err := c.DeleteKey(ctx, "0000000000BB01"); err != nil {
			t.Errorf("DeleteKey: %v", err)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		var n atomic.Int32
		c := akuvoxCaptures(t, map[string]reply{"GET /api/system/info": {200, "system-info.json"}, "GET /api/user/get": {200, "user-get-empty.json"}}, &n)
		if keys, err := c.ListKeys(ctx); err != nil || len(keys) != 0 {
			t.Errorf("ListKeys: got %v %v, want no keys", keys, err)
		}
	})
	t.Run("ErrRefused", func(t *testing.T) {
		var n atomic.Int32
		c := akuvoxCaptures(t, map[string]reply{"GET /api/system/info": {200, "system-info.json"}, "GET /api/user/get": {200, "user-get.json"},
			"POST /api user add": {200, "error.json"}}, &n)
		err := c.AddKeys(ctx, []reconcile.PanelKey{{Code: "0000000000AA01", Flat: 3}})
		checkErr(t, err, reconcile.ErrPermanent, c, `POST /api user add: panel refused it and says "error"`)
	})
	t.Run("ErrCredentials", func(t *testing.T) {
		var n atomic.Int32
		c := akuvoxCaptures(t, map[string]reply{"GET /api/system/info": {401, "unauthorized.html"}}, &n)
		_, err := c.ListKeys(ctx)
		checkErr(t, err, reconcile.ErrPermanent, c, "bad credentials")
		if n.Load() != 2 {
			t.Errorf("%d requests, want the first and one answer to the challenge", n.Load())
		}
	})
}

func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
