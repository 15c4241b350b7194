package panels_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestWire pins the requests each driver sends to the paths and parameters of
// panels.md, in order, for a session: add, rebind, delete, finish.
func TestWire(t *testing.T) {
	const k = "0000003375A686"
	// every merge opens every door and gate, as SmartYard-Server's rev.5 driver sends
	const access = `"access":{"main":true,"second":true,"gates":{"0":true,"1":true,"2":true,"3":true}}`
	cases := []struct {
		sim  string
		kind int
		want []string
	}{
		{panelsim.Beward, reconcile.PanelBeward, []string{
			"GET /cgi-bin/extrfid_cgi?",
			"GET /cgi-bin/rfid_cgi?action=list",
			"GET /cgi-bin/rfid_cgi?action=add&Key=" + k + "&Apartment=12",
			"GET /cgi-bin/rfid_cgi?action=delete&Key=" + k,
			"GET /cgi-bin/rfid_cgi?action=add&Key=" + k + "&Apartment=13",
			"GET /cgi-bin/rfid_cgi?action=delete&Key=" + k,
			"GET /cgi-bin/config_cgi?action=forcesave",
		}},
		{panelsim.BewardMifare, reconcile.PanelBeward, []string{
			"GET /cgi-bin/extrfid_cgi?",
			"GET /cgi-bin/mifare_cgi?action=list",
			"GET /cgi-bin/rfid_cgi?action=list", // a second table? 404: no, and remembered
			"GET /cgi-bin/extrfid_cgi?action=add&Key=" + k + "&Type=1&Apartment=12",
			"GET /cgi-bin/mifare_cgi?action=add&Key=" + k + "&Type=1&Apartment=12",
			"GET /cgi-bin/extrfid_cgi?action=delete&Key=" + k,
			"GET /cgi-bin/mifare_cgi?action=delete&Key=" + k,
			"GET /cgi-bin/extrfid_cgi?action=add&Key=" + k + "&Type=1&Apartment=13",
			"GET /cgi-bin/mifare_cgi?action=add&Key=" + k + "&Type=1&Apartment=13",
			"GET /cgi-bin/extrfid_cgi?action=delete&Key=" + k,
			"GET /cgi-bin/mifare_cgi?action=delete&Key=" + k,
			"GET /cgi-bin/config_cgi?action=forcesave",
		}},
		{panelsim.Sokol, reconcile.PanelSokol, []string{
			"GET /system/info?",  // rev.2 or rev.5, probed once per address (here by the add, before any list)
			"GET /key/settings?", // key mode 2 (7-byte UID), checked once per address
			"GET /key/store?",    // which uuids are held: a rebind deletes first
			`PUT /key/store/merge? [{"uuid":"` + k + `","panelCode":12,"encryption":false,` + access + `}]`,
			"DELETE /key/store/" + k + "?",
			`PUT /key/store/merge? [{"uuid":"` + k + `","panelCode":13,"encryption":false,` + access + `}]`,
			"DELETE /key/store/" + k + "?",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.sim, func(t *testing.T) {
			sim, c := startPanel(t, tc.sim, tc.kind, panelsim.Options{}, time.Second)
			session(t, c, k)
			if got := requestLines(sim); !slices.Equal(got, tc.want) {
				t.Errorf("requests:\n got %q\nwant %q", got, tc.want)
			}
			for _, r := range sim.Requests() {
				if !r.Authed {
					t.Errorf("%s %s sent without the right Basic auth", r.Method, r.Path)
				}
			}
		})
	}
}

func session(t *testing.T, c *panels.Client, code string) {
	t.Helper()
	ctx := context.Background()
	mustAdd(t, c, []reconcile.PanelKey{{Code: code, Flat: 12}})
	mustAdd(t, c, []reconcile.PanelKey{{Code: code, Flat: 13}})
	if err := c.DeleteKey(ctx, code); err != nil {
		t.Fatal(err)
	}
	if err := c.Finish(ctx); err != nil {
		t.Fatal(err)
	}
}

func requestLines(sim *panelsim.Panel) []string {
	var out []string
	for _, r := range sim.Requests() {
		line := r.Method + " " + r.Path + "?" + r.Query
		if r.Body != "" {
			line += " " + r.Body
		}
		out = append(out, line)
	}
	return out
}

// TestProbeOnce checks the Beward key-table probe is made once per client.
func TestProbeOnce(t *testing.T) {
	sim, c := startPanel(t, panelsim.Beward, reconcile.PanelBeward, panelsim.Options{}, time.Second)
	for range 3 {
		if _, err := c.ListKeys(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var probes int
	for _, r := range sim.Requests() {
		if r.Path == "/cgi-bin/extrfid_cgi" {
			probes++
		}
	}
	if probes != 1 {
		t.Errorf("probed %d times, want 1", probes)
	}
}

// TestProbeGarbageNotCached checks a confused probe answer is an error and
// the next call probes again.
func TestProbeGarbageNotCached(t *testing.T) {
	sim, c := startPanel(t, panelsim.Beward, reconcile.PanelBeward, panelsim.Options{}, time.Second)
	sim.SetFaults(panelsim.Faults{Garbage: true})
	_, err := c.ListKeys(context.Background())
	checkErr(t, err, reconcile.ErrPermanent, c, "unparsable")
	sim.SetFaults(panelsim.Faults{})
	sim.SetKeys(makeKeys(1, 0))
	keys, err := c.ListKeys(context.Background())
	if err != nil || len(keys) != 1 {
		t.Errorf("after garbage: %v, %v; want one key", keys, err)
	}
}

// TestOneRequestInFlight runs operations from many goroutines, on one client
// and on two clients from one Dialer, and checks the panel never sees two
// requests at once.
func TestOneRequestInFlight(t *testing.T) {
	for _, f := range families {
		t.Run(f.sim, func(t *testing.T) {
			sim := panelsim.New(f.sim, panelsim.Options{Password: testPassword, Faults: panelsim.Faults{Latency: 2 * time.Millisecond}})
			gauge := newInFlight(sim)
			srv := newServer(t, gauge)
			host, port := hostPort(t, srv.Listener.Addr())
			dial := panels.Dialer(panels.Options{Port: port, Timeout: 5 * time.Second})
			d := reconcile.PanelDevice{Family: f.kind, IP: host, Login: "admin", Password: testPassword}
			var wg sync.WaitGroup
			for i := range 8 {
				p, err := dial(d)
				if err != nil {
					t.Fatal(err)
				}
				wg.Go(func() { hammer(t, p, i) })
			}
			wg.Wait()
			if got := gauge.peak(); got != 1 {
				t.Errorf("panel saw %d requests at once, want 1", got)
			}
		})
	}
}

func hammer(t *testing.T, p reconcile.Panel, i int) {
	ctx := context.Background()
	if err := p.AddKeys(ctx, makeKeys(2, 10*i)); err != nil {
		t.Error(err)
	}
	if _, err := p.ListKeys(ctx); err != nil {
		t.Error(err)
	}
}

// TestMifareHalfWritten recovers from an external table that a failed
// session left out of step with the listed mifare table.
func TestMifareHalfWritten(t *testing.T) {
	ctx := context.Background()
	sim, c := startPanel(t, panelsim.BewardMifare, reconcile.PanelBeward, panelsim.Options{}, time.Second)
	keys := makeKeys(2, 0)
	sim.SetKeys(keys[1:])    // key 1 in both tables, then extrfid loses it
	sim.SetExtKeys(keys[:1]) // and holds key 0 only: an add whose mifare half failed
	mustAdd(t, c, keys[:1])  // add must get past extrfid refusing a duplicate
	if err := c.DeleteKey(ctx, keys[1].Code); err != nil {
		t.Fatal(err) // extrfid no longer holds key 1, mifare does
	}
	if got := sim.Keys(); !slices.Equal(got, keys[:1]) {
		t.Errorf("mifare holds %v, want %v", got, keys[:1])
	}
	if got := sim.ExtKeys(); !slices.Equal(got, keys[:1]) {
		t.Errorf("extrfid holds %v, want %v", got, keys[:1])
	}
}

// TestBewardSessionTable checks that an add after a list uses what the list
// read, and that a failed write makes the next add read the panel again.
func TestBewardSessionTable(t *testing.T) {
	ctx := context.Background()
	sim, c := startPanel(t, panelsim.Beward, reconcile.PanelBeward, panelsim.Options{}, time.Second)
	sim.SetKeys([]reconcile.PanelKey{{Code: "0000000000AA01", Flat: 1}})
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	sim.ResetRequests()
	mustAdd(t, c, []reconcile.PanelKey{{Code: "0000000000AA01", Flat: 1}, {Code: "0000000000AA02", Flat: 2}})
	if got := requestLines(sim); len(got) != 1 || got[0] != "GET /cgi-bin/rfid_cgi?action=add&Key=0000000000AA02&Apartment=2" {
		t.Fatalf("after a list: got %q, want only the missing key added", got)
	}
	sim.SetFaults(panelsim.Faults{ErrorRate: 1})
	if err := c.AddKeys(ctx, []reconcile.PanelKey{{Code: "0000000000AA03", Flat: 3}}); err == nil {
		t.Fatal("an add to a failing panel succeeded")
	}
	sim.SetFaults(panelsim.Faults{})
	sim.SetKeys([]reconcile.PanelKey{{Code: "0000000000AA03", Flat: 4}}) // changed by hand meanwhile
	sim.ResetRequests()
	mustAdd(t, c, []reconcile.PanelKey{{Code: "0000000000AA03", Flat: 3}})
	want := []string{
		"GET /cgi-bin/rfid_cgi?action=list",
		"GET /cgi-bin/rfid_cgi?action=delete&Key=0000000000AA03",
		"GET /cgi-bin/rfid_cgi?action=add&Key=0000000000AA03&Apartment=3",
	}
	if got := requestLines(sim); !slices.Equal(got, want) {
		t.Fatalf("after a failed write:\n got %q\nwant %q", got, want)
	}
}

// TestDialerRemembersProbe checks that clients of one Dialer probe a Beward
// panel's key table once, and probe again after the panel stops answering
// the remembered table (as when a panel is swapped for another model).
func TestDialerRemembersProbe(t *testing.T) {
	ctx := context.Background()
	sim := panelsim.New(panelsim.Beward, panelsim.Options{Login: "admin", Password: testPassword})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	host, port := hostPort(t, srv.Listener.Addr())
	dial := panels.Dialer(panels.Options{Port: port, Scheme: "http", Timeout: time.Second})
	d := reconcile.PanelDevice{ID: 1, Family: reconcile.PanelBeward, IP: host, Login: "admin", Password: testPassword}
	probes := func() int {
		n := 0
		for _, r := range sim.Requests() {
			if r.Path == "/cgi-bin/extrfid_cgi" && r.Query == "" {
				n++
			}
		}
		return n
	}
	for range 3 {
		c, err := dial(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListKeys(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := probes(); n != 1 {
		t.Fatalf("three clients probed %d times, want 1", n)
	}
	sim.SetFaults(panelsim.Faults{Garbage: true})
	c, _ := dial(d)
	if _, err := c.ListKeys(ctx); err == nil {
		t.Fatal("a garbled list succeeded")
	}
	sim.SetFaults(panelsim.Faults{})
	c, _ = dial(d)
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if n := probes(); n != 2 {
		t.Fatalf("after a garbled list: %d probes, want a second one", n)
	}
}
