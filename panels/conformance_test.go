package panels_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// conformance lists every family's emulator with what its driver must
// show: whether the family binds keys to flats, and a code as another
// system may have written it there, with its normalised form.
var conformance = []struct {
	sim           string
	kind          int
	flats         bool
	foreign, norm string
}{
	{panelsim.Beward, reconcile.PanelBeward, true, "00000A1B2C3D4E", "00000A1B2C3D4E"},
	{panelsim.BewardMifare, reconcile.PanelBeward, true, "00000A1B2C3D4E", "00000A1B2C3D4E"},
	{panelsim.Sokol, reconcile.PanelSokol, true, "00000A1B2C3D4E", "00000A1B2C3D4E"},
	{panelsim.Qtech, reconcile.PanelQtech, false, "0a1b2c3d4e", "00000A1B2C3D4E"},
	{panelsim.Rubetek, reconcile.PanelRubetek, false, "0A1B2C3D4E", "00000A1B2C3D4E"},
	{panelsim.Akuvox, reconcile.PanelAkuvox, false, "0a1b2c3d4e", "00000A1B2C3D4E"},
	{panelsim.AkuvoxR20A, reconcile.PanelAkuvox, false, "0a1b2c3d4e", "00000A1B2C3D4E"},
	{panelsim.AkuvoxS532, reconcile.PanelAkuvox, false, "0a1b2c3d4e", "00000A1B2C3D4E"},
}

// TestConformance runs one driver contract against every family's
// emulator over real HTTP.
func TestConformance(t *testing.T) {
	for _, f := range conformance {
		t.Run(f.sim, func(t *testing.T) {
			t.Run("OK", func(t *testing.T) { conformAddListDelete(t, f.sim, f.kind, f.flats) })
			t.Run("Idempotent", func(t *testing.T) { conformIdempotent(t, f.sim, f.kind) })
			t.Run("Normalised", func(t *testing.T) { conformForeign(t, f.sim, f.kind, f.foreign, f.norm) })
			t.Run("ErrRefused", func(t *testing.T) { conformRefused(t, f.sim, f.kind) })
			t.Run("ErrFull", func(t *testing.T) { conformFull(t, f.sim, f.kind) })
			t.Run("ErrCredentials", func(t *testing.T) { conformCredentials(t, f.sim, f.kind) })
			t.Run("Unkept", func(t *testing.T) { conformUnkept(t, f.sim, f.kind) })
			t.Run("Junk", func(t *testing.T) { conformJunk(t, f.sim, f.kind) })
		})
	}
}

func conformStart(t *testing.T, sim string, kind int, opts panelsim.Options) (*panelsim.Panel, *panels.Client) {
	t.Helper()
	return startPanel(t, sim, kind, opts, 2*time.Second)
}

// listed lists the panel through the client, codes normalised, sorted.
func listed(t *testing.T, c *panels.Client) []reconcile.PanelKey {
	t.Helper()
	keys, err := c.ListKeys(context.Background())
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	for i, k := range keys {
		n, err := reconcile.NormalizeKey(k.Code)
		if err != nil {
			t.Fatalf("listed code %q: %v", k.Code, err)
		}
		keys[i].Code = n
	}
	slices.SortFunc(keys, func(a, b reconcile.PanelKey) int { return compareCodes(a.Code, b.Code) })
	return keys
}

func compareCodes(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func conformAddListDelete(t *testing.T, sim string, kind int, flats bool) {
	_, c := conformStart(t, sim, kind, panelsim.Options{})
	ctx := context.Background()
	want := makeKeys(3, 0)
	if err := c.AddKeys(ctx, want); err != nil {
		t.Fatalf("AddKeys: %v", err)
	}
	got := listed(t, c)
	if len(got) != len(want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	for i, k := range got {
		flat := want[i].Flat
		if !flats {
			flat = reconcile.FlatUnlisted
		}
		if k.Code != want[i].Code || k.Flat != flat {
			t.Errorf("key %d: got %+v, want %s on flat %d", i, k, want[i].Code, flat)
		}
	}
	if err := c.DeleteKey(ctx, want[1].Code); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	if err := c.DeleteKey(ctx, want[1].Code); err != nil {
		t.Fatalf("DeleteKey of an absent key: %v", err)
	}
	if got := listed(t, c); len(got) != 2 || got[0].Code != want[0].Code || got[1].Code != want[2].Code {
		t.Errorf("after delete: got %v, want %s and %s", got, want[0].Code, want[2].Code)
	}
}

func conformIdempotent(t *testing.T, sim string, kind int) {
	p, c := conformStart(t, sim, kind, panelsim.Options{})
	ctx := context.Background()
	keys := makeKeys(2, 10)
	for range 2 {
		if err := c.AddKeys(ctx, keys); err != nil {
			t.Fatalf("AddKeys: %v", err)
		}
	}
	if got := p.Keys(); len(got) != 2 {
		t.Errorf("panel holds %v after two adds of the same keys, want 2 keys", got)
	}
}

func conformForeign(t *testing.T, sim string, kind int, foreign, norm string) {
	p, c := conformStart(t, sim, kind, panelsim.Options{})
	p.SetKeys([]reconcile.PanelKey{{Code: foreign, Flat: 7}})
	ctx := context.Background()
	raw, err := c.ListKeys(ctx)
	if err != nil || len(raw) != 1 || raw[0].Code != foreign {
		t.Fatalf("ListKeys: got %v %v, want %s verbatim", raw, err, foreign)
	}
	if got := listed(t, c); got[0].Code != norm {
		t.Errorf("normalised: got %s, want %s", got[0].Code, norm)
	}
	if err := c.DeleteKey(ctx, raw[0].Code); err != nil {
		t.Fatalf("DeleteKey as listed: %v", err)
	}
	if got := p.Keys(); len(got) != 0 {
		t.Errorf("panel still holds %v", got)
	}
}

func conformRefused(t *testing.T, sim string, kind int) {
	p, c := conformStart(t, sim, kind, panelsim.Options{Faults: panelsim.Faults{RefuseWrites: true}})
	err := c.AddKeys(context.Background(), makeKeys(1, 20))
	checkErr(t, err, reconcile.ErrPermanent, c, "401")
	if got := p.Keys(); len(got) != 0 {
		t.Errorf("a refused add left %v", got)
	}
}

func conformFull(t *testing.T, sim string, kind int) {
	p, c := conformStart(t, sim, kind, panelsim.Options{Capacity: 2})
	ctx := context.Background()
	keys := makeKeys(3, 30)
	if err := c.AddKeys(ctx, keys[:2]); err != nil {
		t.Fatalf("AddKeys up to capacity: %v", err)
	}
	err := c.AddKeys(ctx, keys[2:])
	checkErr(t, err, reconcile.ErrPermanent, c, "")
	if err := c.DeleteKey(ctx, keys[0].Code); err != nil {
		t.Fatalf("a full table still deletes: %v", err)
	}
	if err := c.AddKeys(ctx, keys[2:]); err != nil {
		t.Fatalf("AddKeys after a delete made room: %v", err)
	}
	if got := p.Keys(); len(got) != 2 {
		t.Errorf("panel holds %v, want 2 keys", got)
	}
}

func conformCredentials(t *testing.T, sim string, kind int) {
	p := panelsim.New(sim, panelsim.Options{Login: "admin", Password: "right"})
	t.Cleanup(p.Close)
	srv := newServer(t, p)
	c := mustClient(t, srv, kind, "admin", testPassword, 2*time.Second)
	_, err := c.ListKeys(context.Background())
	checkErr(t, err, reconcile.ErrPermanent, c, "bad credentials")
}

func conformUnkept(t *testing.T, sim string, kind int) {
	_, c := conformStart(t, sim, kind, panelsim.Options{Faults: panelsim.Faults{DropAdds: true}})
	ctx := context.Background()
	if err := c.AddKeys(ctx, makeKeys(1, 40)); err != nil {
		t.Fatalf("AddKeys acknowledged: %v", err)
	}
	if got := listed(t, c); len(got) != 0 {
		t.Errorf("read-back shows %v, want the unkept key missing", got)
	}
}

func conformJunk(t *testing.T, sim string, kind int) {
	p, c := conformStart(t, sim, kind, panelsim.Options{Faults: panelsim.Faults{Junk: 2}})
	p.SetKeys(makeKeys(1, 50))
	if got := listed(t, c); len(got) != 1 {
		t.Errorf("listed %v, want the one readable key", got)
	}
	if c.Skipped() != 2 {
		t.Errorf("Skipped() = %d, want 2", c.Skipped())
	}
}

// TestConformanceCalls runs the call switch contract (reconcile.CallSwitch)
// against every family's emulator that has a per-flat call setting, over
// real HTTP: read, off, back exactly as found, refusals, bad credentials,
// an acknowledged write the panel did not keep.
func TestConformanceCalls(t *testing.T) {
	for _, f := range conformance {
		if noCallSwitch[f.sim] {
			t.Run(f.sim+"/NoSwitch", func(t *testing.T) { conformNoCallSwitch(t, f.sim, f.kind) })
			continue
		}
		t.Run(f.sim, func(t *testing.T) {
			t.Run("OK", func(t *testing.T) { conformCalls(t, f.sim, f.kind) })
			t.Run("ErrRefused", func(t *testing.T) { conformCallsRefused(t, f.sim, f.kind) })
			t.Run("ErrCredentials", func(t *testing.T) { conformCallsCredentials(t, f.sim, f.kind) })
			t.Run("ErrTransient", func(t *testing.T) { conformCallsTransient(t, f.sim, f.kind) })
			t.Run("Unkept", func(t *testing.T) { conformCallsUnkept(t, f.sim, f.kind) })
			t.Run("ErrFlat", func(t *testing.T) { conformCallsFlat(t, f.sim, f.kind) })
		})
	}
}

// noCallSwitch are the models whose driver cannot turn a flat's calls off:
// the Akuvox E12 and R20A have no per-flat call setting (DESIGN).
var noCallSwitch = map[string]bool{panelsim.Akuvox: true, panelsim.AkuvoxR20A: true}

// conformNoCallSwitch: a model without the switch says so, by
// reconcile.ErrNoCalls, and sends nothing.
func conformNoCallSwitch(t *testing.T, sim string, kind int) {
	p, c := conformStart(t, sim, kind, panelsim.Options{})
	if _, err := c.ListKeys(context.Background()); err != nil { // the model is probed with the first listing
		t.Fatal(err)
	}
	p.ResetRequests()
	if c.SwitchesCalls() {
		t.Fatalf("%s: the driver claims a call switch", sim)
	}
	if _, err := c.Calls(context.Background(), 12); !errors.Is(err, reconcile.ErrNoCalls) {
		t.Errorf("Calls: %v, want reconcile.ErrNoCalls", err)
	}
	if err := c.SetCalls(context.Background(), 12, reconcile.CallSetting{}); !errors.Is(err, reconcile.ErrNoCalls) {
		t.Errorf("SetCalls: %v, want reconcile.ErrNoCalls", err)
	}
	if n := len(p.Requests()); n != 0 {
		t.Errorf("%d requests sent to a panel that cannot switch calls", n)
	}
}

// conformCallsStart is a panel whose flat 12 takes handset calls only.
func conformCallsStart(t *testing.T, sim string, kind int, opts panelsim.Options) (*panelsim.Panel, *panels.Client) {
	t.Helper()
	p, c := conformStart(t, sim, kind, opts)
	p.SetFlatCalls(12, panelsim.FlatCalls{Handset: true})
	if !c.SwitchesCalls() {
		t.Fatalf("%s: the driver cannot switch calls", sim)
	}
	return p, c
}

func conformCalls(t *testing.T, sim string, kind int) {
	p, c := conformCallsStart(t, sim, kind, panelsim.Options{})
	ctx := context.Background()
	before, _ := p.FlatCalls(12)
	found, err := c.Calls(ctx, 12)
	if err != nil || !found.Handset || found.SIP {
		t.Fatalf("Calls: got %+v %v, want handset on, SIP off", found, err)
	}
	if err := c.SetCalls(ctx, 12, reconcile.CallSetting{}); err != nil {
		t.Fatalf("SetCalls off: %v", err)
	}
	if got, err := c.Calls(ctx, 12); err != nil || !got.Off() {
		t.Fatalf("read back after off: %+v %v", got, err)
	}
	if got, _ := p.FlatCalls(12); got.Handset || got.SIP {
		t.Fatalf("panel holds %+v after off", got)
	}
	if err := c.SetCalls(ctx, 12, found); err != nil {
		t.Fatalf("SetCalls back: %v", err)
	}
	if got, err := c.Calls(ctx, 12); err != nil || got != found {
		t.Fatalf("read back after on: %+v %v, want %+v", got, err, found)
	}
	if got, _ := p.FlatCalls(12); got != before {
		t.Fatalf("panel holds %+v, want %+v as it was", got, before)
	}
	if sim == panelsim.Qtech { // Replace1 and Replace2 travel back unchanged
		reqs := p.Requests()
		if last := reqs[len(reqs)-2].Body; !strings.Contains(last, `"Replace1":"12"`) || !strings.Contains(last, `"Replace2":"100000012"`) {
			t.Fatalf("dialreplace set lost the flat's numbers: %s", last)
		}
	}
}

func conformCallsRefused(t *testing.T, sim string, kind int) {
	p, c := conformCallsStart(t, sim, kind, panelsim.Options{Faults: panelsim.Faults{RefuseWrites: true}})
	err := c.SetCalls(context.Background(), 12, reconcile.CallSetting{})
	checkErr(t, err, reconcile.ErrPermanent, c, "401")
	if got, _ := p.FlatCalls(12); !got.Handset {
		t.Errorf("a refused write changed the flat: %+v", got)
	}
}

func conformCallsCredentials(t *testing.T, sim string, kind int) {
	p := panelsim.New(sim, panelsim.Options{Login: "admin", Password: "right"})
	t.Cleanup(p.Close)
	p.SetFlatCalls(12, panelsim.FlatCalls{Handset: true})
	c := mustClient(t, newServer(t, p), kind, "admin", testPassword, 2*time.Second)
	_, err := c.Calls(context.Background(), 12)
	checkErr(t, err, reconcile.ErrPermanent, c, "bad credentials")
}

func conformCallsTransient(t *testing.T, sim string, kind int) {
	_, c := conformCallsStart(t, sim, kind, panelsim.Options{Faults: panelsim.Faults{ErrorRate: 1}})
	_, err := c.Calls(context.Background(), 12)
	checkErr(t, err, reconcile.ErrTransient, c, "")
}

func conformCallsUnkept(t *testing.T, sim string, kind int) {
	_, c := conformCallsStart(t, sim, kind, panelsim.Options{Faults: panelsim.Faults{DropCalls: true}})
	ctx := context.Background()
	if err := c.SetCalls(ctx, 12, reconcile.CallSetting{}); err != nil {
		t.Fatalf("SetCalls acknowledged: %v", err)
	}
	if got, err := c.Calls(ctx, 12); err != nil || got.Off() {
		t.Errorf("read back shows %+v %v, want the unkept off missing", got, err)
	}
}

func conformCallsFlat(t *testing.T, sim string, kind int) {
	_, c := conformCallsStart(t, sim, kind, panelsim.Options{})
	err := c.SetCalls(context.Background(), 10000, reconcile.CallSetting{})
	checkErr(t, err, reconcile.ErrPermanent, c, "flat 10000")
	if sim == panelsim.Rubetek { // an apartment the panel does not hold is no default
		_, err := c.Calls(context.Background(), 77)
		checkErr(t, err, reconcile.ErrPermanent, c, "apartment 77")
	}
	if sim == panelsim.AkuvoxS532 { // nor is a flat without its FLAT user
		_, err := c.Calls(context.Background(), 77)
		checkErr(t, err, reconcile.ErrPermanent, c, "flat 77 has no user FLATx77")
	}
}
