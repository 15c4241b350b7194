package panels_test

import (
	"context"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// Other panels (and other emulators) may answer within panels.md but not as
// panelsim does; these serve such answers over real HTTP, in front of panelsim.

func TestMifareProbeRefused(t *testing.T) {
	sim := panelsim.New(panelsim.BewardMifare, panelsim.Options{Password: testPassword})
	sim.SetKeys(makeKeys(1, 0))
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/extrfid_cgi" && r.URL.RawQuery == "" {
			http.Error(w, "Request failed: no action", http.StatusBadRequest)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	c := mustClient(t, srv, reconcile.PanelBeward, "admin", testPassword, time.Second)
	keys, err := c.ListKeys(context.Background())
	if err != nil || !slices.Equal(keys, makeKeys(1, 0)) {
		t.Errorf("ListKeys = %v, %v; want the mifare table", keys, err)
	}
}

func TestSokolLooseJSON(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/system/info":
			_, _ = w.Write([]byte(`{"deviceID": 1234, "model": "ISCom X1"}`))
		case "/key/store":
			_, _ = w.Write([]byte(`[{"uuid":"0000003375A686","panelCode":"12"},{"uuid":"04A1B2C3D4E5F6","panelCode":null,"extra":{}}]`))
		}
	}))
	c := mustClient(t, srv, reconcile.PanelSokol, "root", testPassword, time.Second)
	info, err := c.Ping(context.Background())
	if err != nil || info.DeviceID != "1234" || info.Model != "ISCom X1" {
		t.Errorf("Ping = %+v, %v", info, err)
	}
	keys, err := c.ListKeys(context.Background())
	want := []reconcile.PanelKey{{Code: "0000003375A686", Flat: 12}, {Code: "04A1B2C3D4E5F6"}}
	if err != nil || !slices.Equal(keys, want) {
		t.Errorf("ListKeys = %v, %v; want %v", keys, err, want)
	}
}

func TestSokolEmptyAndBadBodies(t *testing.T) {
	var body atomic.Value
	body.Store("")
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(body.Load().(string)))
	}))
	c := mustClient(t, srv, reconcile.PanelSokol, "root", testPassword, time.Second)
	if keys, err := c.ListKeys(context.Background()); err != nil || len(keys) != 0 {
		t.Errorf("empty store: %v, %v", keys, err)
	}
	body.Store(`{"uuid":"0000003375A686"}`)
	_, err := c.ListKeys(context.Background())
	checkErr(t, err, reconcile.ErrPermanent, c, "unparsable")
	body.Store(`[1, "x"]`)
	_, err = c.ListKeys(context.Background())
	checkErr(t, err, reconcile.ErrPermanent, c, "unparsable")
	// entries with no uuid, or a panelCode that is no number, are another
	// system's: skipped and counted, not fatal (Skipped)
	body.Store(`[{"panelCode":3},{"uuid":null},{"uuid":7},{"uuid":"0000003375A686","panelCode":"12a"},{"uuid":"04A1B2C3D4E5F6","panelCode":4}]`)
	keys, err := c.ListKeys(context.Background())
	if want := []reconcile.PanelKey{{Code: "04A1B2C3D4E5F6", Flat: 4}}; err != nil || !slices.Equal(keys, want) || c.Skipped() != 4 {
		t.Errorf("ListKeys = %v, %v, %d skipped; want %v, 4 skipped", keys, err, c.Skipped(), want)
	}
}

// TestBewardListsNoFlats: firmware that lists keys without Apartment<n>
// lines gives keys whose flat is unlisted, not flat 0 (which would be a key
// bound to no flat, and look misbound on every run).
func TestBewardListsNoFlats(t *testing.T) {
	sim, c := startPanel(t, panelsim.Beward, reconcile.PanelBeward, panelsim.Options{Faults: panelsim.Faults{HideFlats: true}}, time.Second)
	sim.SetKeys([]reconcile.PanelKey{{Code: "0000003375A686", Flat: 12}, {Code: "04A1B2C3D4E5F6", Flat: 0}})
	keys, err := c.ListKeys(context.Background())
	want := []reconcile.PanelKey{{Code: "0000003375A686", Flat: reconcile.FlatUnlisted}, {Code: "04A1B2C3D4E5F6", Flat: reconcile.FlatUnlisted}}
	if err != nil || !slices.Equal(keys, want) {
		t.Errorf("ListKeys = %v, %v; want %v", keys, err, want)
	}
	sim.SetFaults(panelsim.Faults{})
	keys, err = c.ListKeys(context.Background())
	if want := []reconcile.PanelKey{{Code: "0000003375A686", Flat: 12}, {Code: "04A1B2C3D4E5F6", Flat: 0}}; err != nil || !slices.Equal(keys, want) {
		t.Errorf("with flats listed: ListKeys = %v, %v; want %v", keys, err, want)
	}
}
