package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/reconcile"
)

// skippingPanel lists its keys and says how many lines the listing skipped,
// as a client that meets foreign entries it cannot parse does.
type skippingPanel struct {
	keys    []reconcile.PanelKey
	skipped int
}

func (p skippingPanel) ListKeys(context.Context) ([]reconcile.PanelKey, error) { return p.keys, nil }
func (p skippingPanel) AddKeys(context.Context, []reconcile.PanelKey) error    { return nil }
func (p skippingPanel) DeleteKey(context.Context, string) error                { return nil }
func (p skippingPanel) Finish(context.Context) error                           { return nil }
func (p skippingPanel) Skipped() int                                           { return p.skipped }

var _ reconcile.LineSkipper = skippingPanel{}

// TestCheckSkippedLines: check names the panels whose key listing skipped
// unparseable lines, on their own line and in one warning, and still passes.
func TestCheckSkippedLines(t *testing.T) {
	skipped := map[int]int{3: 0, 7: 2, 9: 1}
	dial := func(d reconcile.PanelDevice) (reconcile.Panel, error) {
		return skippingPanel{keys: make([]reconcile.PanelKey, 4), skipped: skipped[d.ID]}, nil
	}
	list := []reconcile.PanelDevice{{ID: 3, Family: reconcile.PanelBeward}, {ID: 7, Family: reconcile.PanelBeward}, {ID: 9, Family: reconcile.PanelSokol}}
	probes := probePanels(context.Background(), dial, list, time.Second)
	got := map[string]string{}
	for _, p := range probes {
		got[p.Query] = p.Status + ": " + p.Detail
	}
	for query, want := range map[string]string{
		"panel 3":       "ok: beward : 4 keys",
		"panel 7":       "ok: beward : 4 keys, 2 unparseable lines skipped",
		"skipped lines": "warning: unparseable key table entries left on the panel as they are: panel 7 (2), panel 9 (1)",
	} {
		if got[query] != want {
			t.Errorf("%s: got %q, want %q", query, got[query], want)
		}
	}
	var out bytes.Buffer
	if err := reportProbes(&out, probes, false); err != nil || !strings.Contains(out.String(), "WARN") {
		t.Fatalf("check: %v, want it to pass with a WARN line:\n%s", err, out.String())
	}
	t.Run("NoneSkipped", func(t *testing.T) {
		skipped = map[int]int{}
		if probes := probePanels(context.Background(), dial, list, time.Second); len(probes) != len(list)+1 {
			t.Fatalf("got %+v, want a line per panel and the summary, no warning", probes)
		}
	})
}

// TestCheckNoCallSwitch: check names, as a warning that does not fail it,
// the panels whose model cannot turn a flat's calls off, and says nothing
// when every panel can (a real Sokol client).
func TestCheckNoCallSwitch(t *testing.T) {
	list := []reconcile.PanelDevice{{ID: 4, Family: reconcile.PanelAkuvox, IP: "127.0.0.4"}, {ID: 5, Family: reconcile.PanelSokol, IP: "127.0.0.5"}}
	dial := func(d reconcile.PanelDevice) (reconcile.Panel, error) {
		if d.Family == reconcile.PanelAkuvox {
			return skippingPanel{}, nil
		}
		return panels.New(d, panels.Options{})
	}
	w, ok := noCallSwitch(dial, list, true)
	if !ok || w.Status != "warning" || w.Problem() || !strings.Contains(w.Detail, "panel 4 (akuvox)") || strings.Contains(w.Detail, "panel 5") ||
		!strings.Contains(w.Detail, "block_calls is on") {
		t.Fatalf("got %+v %t, want a warning naming panel 4 only", w, ok)
	}
	if _, ok := noCallSwitch(dial, list[1:], true); ok {
		t.Fatal("a Sokol can switch calls: no warning expected")
	}
}
