package panels_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

func TestNew(t *testing.T) {
	d := reconcile.PanelDevice{ID: 7, Family: reconcile.PanelBeward, IP: "10.0.0.5", Login: "admin", Password: testPassword}
	t.Run("OK", func(t *testing.T) {
		c, err := panels.New(d, panels.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Family() != "beward" || c.Addr() != "10.0.0.5:80" {
			t.Errorf("got %s %s, want beward 10.0.0.5:80", c.Family(), c.Addr())
		}
	})
	t.Run("ErrUnknownFamily", func(t *testing.T) {
		d := d
		d.Family = 9
		_, err := panels.New(d, panels.Options{})
		if !errors.Is(err, reconcile.ErrPermanent) {
			t.Errorf("got %v, want ErrPermanent", err)
		}
	})
	t.Run("ErrScheme", func(t *testing.T) {
		_, err := panels.New(d, panels.Options{Scheme: "ftp"})
		if !errors.Is(err, reconcile.ErrPermanent) {
			t.Errorf("got %v, want ErrPermanent", err)
		}
	})
	t.Run("ErrAddress", func(t *testing.T) {
		d := d
		d.IP = "10.0.0.5/24"
		_, err := panels.New(d, panels.Options{})
		if !errors.Is(err, reconcile.ErrPermanent) {
			t.Errorf("got %v, want ErrPermanent", err)
		}
	})
}

func TestPing(t *testing.T) {
	for _, f := range families {
		t.Run(f.sim, func(t *testing.T) {
			_, c := startPanel(t, f.sim, f.kind, panelsim.Options{DeviceID: "dev-42"}, time.Second)
			info, err := c.Ping(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if info.DeviceID != "dev-42" || info.Model == "" {
				t.Errorf("got %+v, want device id dev-42 and a model", info)
			}
		})
	}
}

// TestKeys walks a session on each family: list, add, idempotent add,
// rebind, delete, finish.
func TestKeys(t *testing.T) {
	ctx := context.Background()
	for _, f := range families {
		t.Run(f.sim, func(t *testing.T) {
			sim, c := startPanel(t, f.sim, f.kind, panelsim.Options{}, time.Second)
			keys := []reconcile.PanelKey{{Code: "0000003375A686", Flat: 12}, {Code: "04A1B2C3D4E5F6", Flat: 7}}
			mustAdd(t, c, keys)
			wantKeys(t, sim, c, keys)

			sim.ResetRequests()
			mustAdd(t, c, keys[:1])
			if f.kind == reconcile.PanelBeward && len(writes(sim)) != 0 {
				t.Errorf("idempotent add wrote %v", writes(sim))
			}

			keys[0].Flat = 13
			mustAdd(t, c, keys[:1])
			wantKeys(t, sim, c, keys)

			if err := c.DeleteKey(ctx, keys[1].Code); err != nil {
				t.Fatal(err)
			}
			wantKeys(t, sim, c, keys[:1])
			if f.sim == panelsim.BewardMifare && !slices.Equal(sim.ExtKeys(), keys[:1]) {
				t.Errorf("extrfid table %v, want %v", sim.ExtKeys(), keys[:1])
			}
			checkFinish(t, sim, c)
		})
	}
}

func mustAdd(t *testing.T, c *panels.Client, keys []reconcile.PanelKey) {
	t.Helper()
	if err := c.AddKeys(context.Background(), keys); err != nil {
		t.Fatal(err)
	}
}

// wantKeys compares both the emulator's table and the client's reading of it.
func wantKeys(t *testing.T, sim *panelsim.Panel, c *panels.Client, want []reconcile.PanelKey) {
	t.Helper()
	want = slices.Clone(want)
	slices.SortFunc(want, func(a, b reconcile.PanelKey) int { return compare(a.Code, b.Code) })
	if got := sim.Keys(); !slices.Equal(got, want) {
		t.Errorf("panel holds %v, want %v", got, want)
	}
	got, err := c.ListKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListKeys = %v, want %v", got, want)
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writes lists the requests that change a panel.
func writes(sim *panelsim.Panel) []string {
	var out []string
	for _, r := range sim.Requests() {
		q, _ := url.ParseQuery(r.Query)
		if a := q.Get("action"); a == "add" || a == "delete" || r.Method != "GET" {
			out = append(out, r.Method+" "+r.Path+"?"+r.Query)
		}
	}
	return out
}

func checkFinish(t *testing.T, sim *panelsim.Panel, c *panels.Client) {
	t.Helper()
	for range 2 {
		if err := c.Finish(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := 0
	if sim.Family() != panelsim.Sokol {
		want = 1 // the second Finish has nothing to save
	}
	if got := sim.Saves(); got != want {
		t.Errorf("forcesave sent %d times, want %d", got, want)
	}
}

func TestAddKeysBulk(t *testing.T) {
	for _, f := range families {
		t.Run(f.sim, func(t *testing.T) {
			sim, c := startPanel(t, f.sim, f.kind, panelsim.Options{}, 5*time.Second)
			keys := makeKeys(1000, 0)
			mustAdd(t, c, keys)
			if got := len(sim.Keys()); got != 1000 {
				t.Fatalf("panel holds %d keys, want 1000", got)
			}
			wantKeys(t, sim, c, keys)
			if f.kind == reconcile.PanelSokol && len(writes(sim)) != 1 {
				t.Errorf("sokol sent %d writes, want one merge", len(writes(sim)))
			}
		})
	}
}

func TestAddKeysInvalid(t *testing.T) {
	for _, keys := range [][]reconcile.PanelKey{
		{{Code: "3375a686", Flat: 1}},
		{{Code: "0000003375A686", Flat: 10000}},
		{{Code: "0000003375A686", Flat: 1}, {Code: "0000003375A686", Flat: 2}},
	} {
		sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{}, time.Second)
		err := c.AddKeys(context.Background(), keys)
		checkErr(t, err, reconcile.ErrPermanent, c, "add keys")
		if n := len(sim.Requests()); n != 0 {
			t.Errorf("invalid keys %v sent %d requests", keys, n)
		}
	}
}
