package panels_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/reconcile"
)

// qtechCaptures serves captured Qtech answers by the envelope's "target
// action"; any other request fails the test.
func qtechCaptures(t *testing.T, routes map[string]reply) *panels.Client {
	t.Helper()
	srv := captures(t, "qtech", routes, func(r *http.Request) string {
		var env struct{ Target, Action string }
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/api" || json.Unmarshal(body, &env) != nil {
			return byPath(r) + " " + string(body)
		}
		return env.Target + " " + env.Action
	}, nil)
	return mustClient(t, srv, reconcile.PanelQtech, "admin", testPassword, time.Second)
}

func TestQtechCaptures(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		checkUnboundCapture(t, qtechCaptures(t, map[string]reply{"firmware status": {200, "firmware-status.json"}, "rfkey get": {200, "rfkey-get.json"}}), "001c12abcdef", "QDB-27C-H")
	})
	t.Run("ErrFull", func(t *testing.T) {
		c := qtechCaptures(t, map[string]reply{"rfkey get": {200, "rfkey-get.json"}, "rfkey add": {200, "rfkey-full.json"}})
		err := c.AddKeys(ctx, []reconcile.PanelKey{{Code: "0000000000AA01", Flat: 3}})
		checkErr(t, err, reconcile.ErrPermanent, c, "full key table")
	})
	t.Run("DeleteAbsent", func(t *testing.T) {
		c := qtechCaptures(t, map[string]reply{"rfkey get": {200, "rfkey-get.json"}, "rfkey del": {200, "rfkey-not-exist.json"}})
		if err := c.DeleteKey(ctx, "0000000000AA01"); err != nil {
			t.Errorf("delete of a key the panel lists not: %v", err)
		}
		err := c.DeleteKey(ctx, "0000003375A686")
		checkErr(t, err, reconcile.ErrPermanent, c, "rfkey not exist")
	})
	t.Run("ErrCredentials", func(t *testing.T) {
		c := qtechCaptures(t, map[string]reply{"rfkey get": {401, "unauthorized.html"}})
		_, err := c.ListKeys(ctx)
		checkErr(t, err, reconcile.ErrPermanent, c, "bad credentials")
	})
}
