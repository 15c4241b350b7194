package panels_test

import (
	"context"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/reconcile"
)

// rubetekCaptures serves captured Rubetek answers by "METHOD path"; any
// other request fails the test.
func rubetekCaptures(t *testing.T, routes map[string]reply) *panels.Client {
	t.Helper()
	srv := captures(t, "rubetek", routes, byPath, nil)
	return mustClient(t, srv, reconcile.PanelRubetek, "api_user", testPassword, time.Second)
}

// TestRubetekCaptures reads the answers in testdata/panels/rubetek through
// the driver over real HTTP.
func TestRubetekCaptures(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		checkUnboundCapture(t, rubetekCaptures(t, map[string]reply{"GET /api/v1/version": {200, "version.json"}, "GET /api/v1/rfids": {200, "rfids.json"}}), "RV3434A0012345", "RV-3434")
	})
	t.Run("Empty", func(t *testing.T) {
		c := rubetekCaptures(t, map[string]reply{"GET /api/v1/rfids": {200, "rfids-empty.json"}})
		if keys, err := c.ListKeys(ctx); err != nil || len(keys) != 0 {
			t.Fatalf("got %v %v, want an empty table", keys, err)
		}
	})
	t.Run("AddRefused", func(t *testing.T) {
		c := rubetekCaptures(t, map[string]reply{"GET /api/v1/rfids": {200, "rfids.json"}, "POST /api/v1/rfids": {422, "error-full.json"}})
		err := c.AddKeys(ctx, []reconcile.PanelKey{{Code: "0000000000AA01", Flat: 3}})
		checkErr(t, err, reconcile.ErrPermanent, c, `panel refused it and says "rfid limit reached": a full key table refuses adds`)
	})
	t.Run("DeleteAbsent", func(t *testing.T) {
		c := rubetekCaptures(t, map[string]reply{"DELETE /api/v1/rfids/0000000000AA01": {404, "error-not-found.json"}})
		if err := c.DeleteKey(ctx, "0000000000AA01"); err != nil {
			t.Errorf("delete of a key the panel does not hold: %v", err)
		}
	})
	t.Run("ErrCredentials", func(t *testing.T) {
		c := rubetekCaptures(t, map[string]reply{"GET /api/v1/rfids": {401, "unauthorized.html"}})
		_, err := c.ListKeys(ctx)
		checkErr(t, err, reconcile.ErrPermanent, c, "bad credentials")
	})
}
