package bench_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"yardsync/bench"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// The fault matrix's settings: field time scaled down 10× (panel_timeout
// 10 s, reconcile.retries 3), except the full-run interval, which is
// reconcile.schedule's 5 m in the field.
var (
	faultTimeout = time.Duration(envInt("YARDSYNC_BENCH_FAULT_TIMEOUT_MS", 1000)) * time.Millisecond
	faultEvery   = time.Duration(envInt("YARDSYNC_BENCH_FAULT_EVERY_MS", 5000)) * time.Millisecond
	faultLimit   = time.Duration(envInt("YARDSYNC_BENCH_FAULT_LIMIT_S", 120)) * time.Second
)

// faultPanels is the size of each scenario's world: a Beward, a Sokol, a
// Beward mifare and a Sokol, 50 contracts behind each.
const faultPanels = 4

// faultMatrix is the matrix's rows for a panel_timeout: each panelsim fault
// on one panel, and the same scenario with no fault for reference.
func faultMatrix(timeout time.Duration) []bench.Fault {
	late, slow := 3*timeout, 3*timeout/2
	lose := func(w panelsim.Writes) panelsim.Faults { return panelsim.Faults{LoseAnswer: w} }
	return []bench.Fault{
		{Name: "none/beward", Family: panelsim.Beward},
		{Name: "none/sokol", Family: panelsim.Sokol},
		{Name: "late-apply/beward", Family: panelsim.Beward, Faults: panelsim.Faults{LateApply: late}},
		{Name: "late-apply/sokol", Family: panelsim.Sokol, Faults: panelsim.Faults{LateApply: late}},
		{Name: "slow-write/beward", Family: panelsim.Beward, Faults: panelsim.Faults{WriteDelay: slow}},
		{Name: "slow-write/sokol", Family: panelsim.Sokol, Faults: panelsim.Faults{WriteDelay: slow}},
		{Name: "lost-answer/beward-add", Family: panelsim.Beward, Faults: lose(panelsim.WriteAdd)},
		{Name: "lost-answer/beward-delete", Family: panelsim.Beward, Faults: lose(panelsim.WriteDelete)},
		{Name: "lost-answer/sokol-merge", Family: panelsim.Sokol, Faults: lose(panelsim.WriteAdd)},
		{Name: "lost-answer/sokol-delete", Family: panelsim.Sokol, Faults: lose(panelsim.WriteDelete), Foreign: true},
		{Name: "lost-answer/sokol-clear", Family: panelsim.Sokol, Faults: lose(panelsim.WriteClear)},
		{Name: "reboot/beward", Family: panelsim.Beward, Faults: panelsim.Faults{RebootAfter: 2}},
		{Name: "reboot/sokol", Family: panelsim.Sokol, Faults: panelsim.Faults{RebootAfter: 2}},
		{Name: "junk/beward", Family: panelsim.Beward, Faults: panelsim.Faults{Junk: 3}},
		{Name: "junk/sokol", Family: panelsim.Sokol, Faults: panelsim.Faults{Junk: 3}},
	}
}

// BenchmarkFaultMatrix plays each fault of panelsim on one panel of a small
// world (real PostgreSQL store and billing, panelsim over HTTP, a scheduler
// as serve wires one): a contract behind that panel stops paying and another
// pays again in one billing change, a full run follows at once, then a full
// run every YARDSYNC_BENCH_FAULT_EVERY_MS (and the scheduler's own rechecks)
// until the panel is right and a run says ok, or YARDSYNC_BENCH_FAULT_LIMIT_S
// passes. BENCHMARKS.md "Fault matrix" is written from its output.
// Run: go test -run '^$' -bench FaultMatrix -benchtime 1x ./bench/
func BenchmarkFaultMatrix(b *testing.B) {
	for _, f := range faultMatrix(faultTimeout) {
		b.Run(f.Name, func(b *testing.B) {
			var out bench.Outcome
			for range b.N {
				out = playFault(b, f, bench.FaultTiming{Every: faultEvery, Limit: faultLimit}, benchLatency)
			}
			reportOutcome(b, out)
		})
	}
}

// playFault stages f on a world of its own, timing only the play.
func playFault(b *testing.B, f bench.Fault, t bench.FaultTiming, latency time.Duration) bench.Outcome {
	b.StopTimer()
	w := bench.NewWorld(b, bench.DefaultScale(faultPanels), latency)
	scene, err := bench.Stage(bg, w, w.TimedRunner(benchConcurrency, faultTimeout), f)
	if err != nil {
		b.Fatal(err)
	}
	defer scene.Close()
	b.StartTimer()
	out, err := scene.Play(bg, t)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// statusCodes are the first_status metric's values, in order (the report
// script reads them back).
var statusCodes = []string{reconcile.StatusOK, reconcile.StatusPartial, reconcile.StatusGuarded, reconcile.StatusFailed}

func reportOutcome(b *testing.B, out bench.Outcome) {
	b.ReportMetric(yes(out.DebtorGone), "debtor_gone")
	b.ReportMetric(yes(out.PayersKept), "payers_kept")
	b.ReportMetric(yes(out.Converged), "converged")
	if out.Converged {
		b.ReportMetric(out.RightAfter.Seconds(), "converged_s")
	}
	code := slices.Index(statusCodes, out.First.Status)
	if code < 0 {
		code = len(statusCodes)
	}
	b.ReportMetric(float64(code), "first_status")
	b.ReportMetric(out.FirstTook.Seconds(), "first_run_s")
	b.ReportMetric(float64(len(out.Runs)), "runs")
	b.ReportMetric(out.PayerGap.Seconds(), "payer_gap_s")
	b.ReportMetric(float64(out.Unowned), "unowned_keys")
	b.ReportMetric(float64(out.Records), "debtor_records")
	b.ReportMetric(float64(out.MaxInFlight), "max_in_flight")
	// One line the report script reads: what the numbers cannot say.
	b.Logf("outcome: first %s (%s); runs %s; writes %s; settings timeout %s every %s limit %s",
		out.First.Status, strings.ReplaceAll(out.FirstError, "\n", " / "), strings.Join(out.Runs, " "),
		writes(out.Writes), faultTimeout, faultEvery, faultLimit)
}

func yes(ok bool) float64 {
	if ok {
		return 1
	}
	return 0
}

// writes says e.g. "2 delete, 2 add", in name order.
func writes(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// TestFaultScene checks the harness on one fault with no latency: a panel
// that reboots mid-session makes the first run partial, and the next full
// run puts every payer back.
func TestFaultScene(t *testing.T) {
	w := bench.NewWorld(t, bench.DefaultScale(faultPanels), 0)
	r := w.TimedRunner(8, 300*time.Millisecond)
	r.Opts.Settle = 100 * time.Millisecond
	f := bench.Fault{Name: "reboot/beward", Family: panelsim.Beward, Faults: panelsim.Faults{RebootAfter: 2}}
	scene, err := bench.Stage(bg, w, r, f)
	if err != nil {
		t.Fatal(err)
	}
	defer scene.Close()
	out, err := scene.Play(bg, bench.FaultTiming{Every: 100 * time.Millisecond, Limit: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Converged || !out.DebtorGone || !out.PayersKept || out.First.Status != reconcile.StatusPartial || len(out.Runs) < 2 {
		t.Fatalf("got %+v, want a partial first run, then converged with the debtor gone and every payer kept", out)
	}
	if out.PayerGap <= 0 || out.RightAfter < out.PayerGap || out.Writes["delete"] != 2 || out.MaxInFlight != 1 {
		t.Fatalf("payer gap %s, right after %s, writes %v, %d requests at once: want a gap, then right, after 2 deletes, one at a time",
			out.PayerGap, out.RightAfter, out.Writes, out.MaxInFlight)
	}
}
