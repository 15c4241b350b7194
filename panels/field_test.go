package panels_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// Firmware variants of issue 13, each against panelsim switched to it.

// TestBewardBothTables: a mifare panel that also serves rfid_cgi, where the
// AXIOSTV server wrote. Both tables are listed, each key's table is named,
// a delete goes to the table holding the key, and a rebind moves a key out
// of rfid_cgi into the table yardsync adds to.
func TestBewardBothTables(t *testing.T) {
	ctx := context.Background()
	sim, c := startPanel(t, panelsim.BewardMifare, reconcile.PanelBeward,
		panelsim.Options{Firmware: panelsim.Firmware{BothTables: true}}, time.Second)
	sim.SetKeys([]reconcile.PanelKey{{Code: "0000003375A686", Flat: 3}})
	sim.SetRfidKeys([]reconcile.PanelKey{{Code: "0a1b2c3d4e", Flat: 5}, {Code: "00000000C0FFEE", Flat: 6}})
	keys, err := c.ListKeys(ctx)
	want := []reconcile.PanelKey{{Code: "0000003375A686", Flat: 3}, {Code: "00000000C0FFEE", Flat: 6}, {Code: "0a1b2c3d4e", Flat: 5}}
	if err != nil || !slices.Equal(keys, want) {
		t.Fatalf("ListKeys = %v, %v; want both tables %v", keys, err, want)
	}
	if got := c.Tables("0a1b2c3d4e"); !slices.Equal(got, []string{"rfid"}) {
		t.Errorf("Tables(0a1b2c3d4e) = %v, want [rfid]", got)
	}
	if got := c.Tables("0000003375A686"); !slices.Equal(got, []string{"mifare"}) {
		t.Errorf("Tables(0000003375A686) = %v, want [mifare]", got)
	}
	sim.ResetRequests()
	if err := c.DeleteKey(ctx, "0a1b2c3d4e"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddKeys(ctx, []reconcile.PanelKey{{Code: "00000000C0FFEE", Flat: 7}}); err != nil {
		t.Fatal(err)
	}
	wantReq := []string{
		"GET /cgi-bin/rfid_cgi?action=delete&Key=0a1b2c3d4e",
		"GET /cgi-bin/rfid_cgi?action=delete&Key=00000000C0FFEE",
		"GET /cgi-bin/extrfid_cgi?action=add&Key=00000000C0FFEE&Type=1&Apartment=7",
		"GET /cgi-bin/mifare_cgi?action=add&Key=00000000C0FFEE&Type=1&Apartment=7",
	}
	if got := requestLines(sim); !slices.Equal(got, wantReq) {
		t.Errorf("requests:\n got %q\nwant %q", got, wantReq)
	}
	if len(sim.RfidKeys()) != 0 || !slices.Contains(sim.Keys(), reconcile.PanelKey{Code: "00000000C0FFEE", Flat: 7}) {
		t.Errorf("rfid %v, mifare %v: want rfid_cgi empty and the rebound key in mifare_cgi", sim.RfidKeys(), sim.Keys())
	}
}

// TestBewardWriteBodies: no production driver requires the body "OK"; a 200
// whose body does not say "Request failed" is accepted (the read-back
// proves the write). Failed before issue 13: only "OK" was accepted.
func TestBewardWriteBodies(t *testing.T) {
	for _, body := range []string{panelsim.BodyEmpty, "Success", "ok, saved"} {
		for _, fam := range []string{panelsim.Beward, panelsim.BewardMifare} {
			t.Run(fam+"/"+body, func(t *testing.T) {
				sim, c := startPanel(t, fam, reconcile.PanelBeward, panelsim.Options{Firmware: panelsim.Firmware{WriteBody: body}}, time.Second)
				session(t, c, "0000003375A686")
				if len(sim.Keys()) != 0 || sim.Saves() != 1 {
					t.Errorf("keys %v, saves %d: want the session done and saved", sim.Keys(), sim.Saves())
				}
			})
		}
	}
}

// TestBewardExtNoApartment: firmware whose extrfid_cgi refuses Apartment
// still gets the key into the listed table, and the next add sends no
// Apartment there (remembered).
func TestBewardExtNoApartment(t *testing.T) {
	ctx := context.Background()
	sim, c := startPanel(t, panelsim.BewardMifare, reconcile.PanelBeward,
		panelsim.Options{Firmware: panelsim.Firmware{ExtNoApartment: true}}, time.Second)
	keys := makeKeys(2, 0)
	mustAdd(t, c, keys[:1])
	sim.ResetRequests()
	mustAdd(t, c, keys[1:])
	want := []string{
		"GET /cgi-bin/extrfid_cgi?action=add&Key=" + keys[1].Code + "&Type=1",
		"GET /cgi-bin/mifare_cgi?action=add&Key=" + keys[1].Code + "&Type=1&Apartment=" + strconv.Itoa(keys[1].Flat),
	}
	if got := requestLines(sim); !slices.Equal(got, want) {
		t.Errorf("second add:\n got %q\nwant %q", got, want)
	}
	if got, err := c.ListKeys(ctx); err != nil || !slices.Equal(got, keys) || len(sim.ExtKeys()) != 2 {
		t.Errorf("listed %v, %v; ext %v: want both keys in both tables", got, err, sim.ExtKeys())
	}
}

// TestBewardExtRefusesAll: an external table that refuses every add does
// not keep the key out of the listed table.
func TestBewardExtRefusesAll(t *testing.T) {
	sim, c := startPanel(t, panelsim.BewardMifare, reconcile.PanelBeward, panelsim.Options{}, time.Second)
	sim.SetExtKeys(makeKeys(1, 0)) // an add there is refused: "already held"
	sim.SetFirmware(panelsim.Firmware{ExtNoApartment: true})
	sim.SetFaults(panelsim.Faults{DropDeletes: true}) // and its delete keeps it
	mustAdd(t, c, makeKeys(1, 0))
	if !slices.Equal(sim.Keys(), makeKeys(1, 0)) {
		t.Errorf("mifare %v: want the key listed", sim.Keys())
	}
}

// TestBewardNoFlatsLooseCodes: an AXIOSTV-written list (no flats, short
// lower-case codes, a heading line) reads, and deletes name the code as listed.
func TestBewardNoFlatsLooseCodes(t *testing.T) {
	ctx := context.Background()
	sim, c := startPanel(t, panelsim.Beward, reconcile.PanelBeward,
		panelsim.Options{Faults: panelsim.Faults{HideFlats: true}, Firmware: panelsim.Firmware{LooseCodes: true}}, time.Second)
	sim.SetKeys([]reconcile.PanelKey{{Code: "0a1b2c3d4e"}})
	keys, err := c.ListKeys(ctx)
	if err != nil || !slices.Equal(keys, []reconcile.PanelKey{{Code: "0a1b2c3d4e", Flat: reconcile.FlatUnlisted}}) {
		t.Fatalf("ListKeys = %v, %v", keys, err)
	}
	if err := c.DeleteKey(ctx, "0a1b2c3d4e"); err != nil || len(sim.Keys()) != 0 {
		t.Errorf("delete: %v, keys %v", err, sim.Keys())
	}
	if last := requestLines(sim); !strings.HasSuffix(last[len(last)-1], "delete&Key=0a1b2c3d4e") {
		t.Errorf("requests %q", last)
	}
}

// TestSokolKeyMode: the key mode is checked when the panel is first read;
// another mode than 2 (7-byte UID) is an error naming it and nothing is
// written; firmware without /key/settings is taken as it is.
func TestSokolKeyMode(t *testing.T) {
	ctx := context.Background()
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{Firmware: panelsim.Firmware{KeyMode: 1}}, time.Second)
	_, err := c.ListKeys(ctx)
	checkErr(t, err, reconcile.ErrPermanent, c, "key mode 1, want 2 (7-byte UID)")
	for _, r := range sim.Requests() {
		if r.Method != "GET" {
			t.Errorf("%s %s: a mode mismatch must change nothing", r.Method, r.Path)
		}
	}
	sim.SetFirmware(panelsim.Firmware{NoKeySettings: true})
	if _, err := c.ListKeys(ctx); err != nil {
		t.Errorf("no /key/settings: %v", err)
	}
	sim.ResetRequests()
	if _, err := c.ListKeys(ctx); err != nil || len(sim.Requests()) != 1 {
		t.Errorf("second list: %v, %d requests: the check is remembered", err, len(sim.Requests()))
	}
}

// TestSokolRebindWhereMergeKeepsFlat: nothing shows a merge overwrites the
// panelCode of a uuid the store holds; on firmware where it does not, a
// rebind (delete, then merge) still lands. Failed before issue 13: the
// rebind was a bare merge, and the key stayed on its old flat.
func TestSokolRebindWhereMergeKeepsFlat(t *testing.T) {
	ctx := context.Background()
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{Firmware: panelsim.Firmware{MergeKeepsFlat: true}}, time.Second)
	sim.SetKeys([]reconcile.PanelKey{{Code: "0000003375A686", Flat: 3}})
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, c, []reconcile.PanelKey{{Code: "0000003375A686", Flat: 4}, {Code: "04A1B2C3D4E5F6", Flat: 5}})
	want := []reconcile.PanelKey{{Code: "0000003375A686", Flat: 4}, {Code: "04A1B2C3D4E5F6", Flat: 5}}
	if !slices.Equal(sim.Keys(), want) {
		t.Errorf("store %v, want %v", sim.Keys(), want)
	}
}

// TestSokolReplaceKeys: after the session's listing, a clear and one merge,
// two requests however many keys.
func TestSokolReplaceKeys(t *testing.T) {
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{}, time.Second)
	sim.SetKeys(makeKeys(30, 0))
	if _, err := c.ListKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	sim.ResetRequests()
	if err := c.ReplaceKeys(context.Background(), makeKeys(3, 100)); err != nil {
		t.Fatal(err)
	}
	if got := requestLines(sim); len(got) != 2 || got[0] != "DELETE /key/store/clear?" || !strings.HasPrefix(got[1], "PUT /key/store/merge?") {
		t.Errorf("requests %q", got)
	}
	if !slices.Equal(sim.Keys(), makeKeys(3, 100)) {
		t.Errorf("store %v", sim.Keys())
	}
	_, bc := startPanel(t, panelsim.Beward, reconcile.PanelBeward, panelsim.Options{}, time.Second)
	checkErr(t, bc.ReplaceKeys(context.Background(), nil), reconcile.ErrPermanent, bc, "only a Sokol")
}

// TestBewardUpdate: with Options.BewardUpdate a rebind on the internal table
// is one rfid_cgi action=update (emulator only: unverified on firmware);
// firmware refusing it gets delete + add; a panel that lists no flats, where
// the read-back could not show the flat an update set, always gets delete + add.
func TestBewardUpdate(t *testing.T) {
	const k = "0000003375A686"
	rebind := []string{"GET /cgi-bin/rfid_cgi?action=update&Key=" + k + "&Apartment=4"}
	fallback := []string{rebind[0], "GET /cgi-bin/rfid_cgi?action=delete&Key=" + k, "GET /cgi-bin/rfid_cgi?action=add&Key=" + k + "&Apartment=4"}
	cases := []struct {
		name  string
		fw    panelsim.Firmware
		flats bool
		want  []string
	}{
		{"update", panelsim.Firmware{Update: true}, true, rebind},
		{"refused", panelsim.Firmware{}, true, fallback},
		{"no flats listed", panelsim.Firmware{Update: true}, false, fallback[1:]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := panelsim.New(panelsim.Beward, panelsim.Options{Password: testPassword, Firmware: tc.fw, Faults: panelsim.Faults{HideFlats: !tc.flats}})
			srv := newServer(t, sim)
			host, port := hostPort(t, srv.Listener.Addr())
			c, err := panels.New(reconcile.PanelDevice{ID: 1, Family: reconcile.PanelBeward, IP: host, Login: "admin", Password: testPassword},
				panels.Options{Port: port, Timeout: time.Second, BewardUpdate: true})
			if err != nil {
				t.Fatal(err)
			}
			sim.SetKeys([]reconcile.PanelKey{{Code: k, Flat: 3}})
			if _, err := c.ListKeys(context.Background()); err != nil {
				t.Fatal(err)
			}
			sim.ResetRequests()
			mustAdd(t, c, []reconcile.PanelKey{{Code: k, Flat: 4}})
			if got := requestLines(sim); !slices.Equal(got, tc.want) {
				t.Errorf("requests:\n got %q\nwant %q", got, tc.want)
			}
			if !slices.Equal(sim.Keys(), []reconcile.PanelKey{{Code: k, Flat: 4}}) {
				t.Errorf("keys %v", sim.Keys())
			}
		})
	}
}
