package bench_test

import (
	"strings"
	"testing"

	"yardsync/bench"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// BenchmarkFirstSyncRequests counts the requests a first sync makes per
// panel family (BENCHMARKS.md "First sync on panels that already hold keys"), on an empty
// fleet, on one whose keys all sit on other flats, and on one pre-filled as the AXIOSTV server leaves it (each panel
// already holds its keys in short lower-case form with no flat, Beward
// mifare panels in their rfid_cgi table), with and without
// panels.beward_update. Latency 0: it counts, it does not time.
// Run: go test -run '^$' -bench FirstSyncRequests -benchtime 1x ./bench/
func BenchmarkFirstSyncRequests(b *testing.B) {
	for _, update := range []bool{false, true} {
		name := map[bool]string{false: "delete+add", true: "beward_update"}[update]
		b.Run(name, func(b *testing.B) {
			w := bench.NewWorld(b, bench.DefaultScale(benchPanels), 0)
			w.BewardUpdate = update
			for i := range w.Layout.Panels {
				w.Sim(i).SetFirmware(panelsim.Firmware{BothTables: true, LooseCodes: true, Update: update})
			}
			b.Run("empty", func(b *testing.B) { reportFirstSync(b, w) })
			moveFlats(w)
			b.Run("moved", func(b *testing.B) { reportFirstSync(b, w) })
			prefillAsAXIOSTV(b, w)
			b.Run("axiostv", func(b *testing.B) { reportFirstSync(b, w) })
		})
	}
}

// reportFirstSync runs once and reports requests per panel, by family.
func reportFirstSync(b *testing.B, w *bench.World) {
	w.Traffic()
	res, err := w.Runner(benchConcurrency).Run(bg, reconcile.Request{Trigger: "cli"})
	if err != nil || res.Status != reconcile.StatusOK {
		b.Fatalf("run: %v %+v %v", err, res.Summary, res.Failed)
	}
	requests, _ := w.Traffic()
	total, panels := map[string]int{}, map[string]int{}
	for i, p := range w.Layout.Panels {
		total[p.Family] += requests[i]
		panels[p.Family]++
	}
	for fam, n := range total {
		b.ReportMetric(float64(n)/float64(panels[fam]), fam+"_req/panel")
	}
	b.Logf("added %d, rebound %d, deleted %d", res.Added, res.Rebound, res.Deleted)
}

// moveFlats puts every key on each panel on another flat (flats listed), so
// the next run rebinds every key it owns: where panels.beward_update counts.
func moveFlats(w *bench.World) {
	for i := range w.Layout.Panels {
		var keys []reconcile.PanelKey
		for _, k := range w.Sim(i).Keys() {
			keys = append(keys, reconcile.PanelKey{Code: k.Code, Flat: k.Flat%9999 + 1})
		}
		w.Sim(i).SetKeys(keys)
	}
}

// prefillAsAXIOSTV rewrites every panel's keys as the AXIOSTV server left
// them and forgets yardsync's ownership, so the next run is a first sync.
func prefillAsAXIOSTV(b *testing.B, w *bench.World) {
	b.Helper()
	for i, p := range w.Layout.Panels {
		sim := w.Sim(i)
		var keys []reconcile.PanelKey
		for _, k := range sim.Keys() {
			keys = append(keys, reconcile.PanelKey{Code: axiostvForm(k.Code)})
		}
		sim.SetFaults(panelsim.Faults{HideFlats: p.Family != panelsim.Sokol})
		if p.Family == panelsim.BewardMifare {
			sim.SetKeys(nil)
			sim.SetRfidKeys(keys)
			continue
		}
		sim.SetKeys(keys)
	}
	if _, err := w.Store.Pool().Exec(bg, `TRUNCATE yardsync_owned_keys`); err != nil {
		b.Fatal(err)
	}
}

// axiostvForm is a code as the billing gave it: lower case, without the
// padding yardsync adds (at least 10 digits, as in 0a1b2c3d4e).
func axiostvForm(code string) string {
	s := strings.ToLower(strings.TrimLeft(code, "0"))
	if len(s) < 10 {
		s = strings.Repeat("0", 10-len(s)) + s
	}
	return s
}
