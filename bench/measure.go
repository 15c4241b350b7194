package bench

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"yardsync/reconcile"
)

// RunStats is one measured run: its time, outcome and the fleet's traffic.
type RunStats struct {
	Took      time.Duration
	Result    reconcile.Result
	Requests  int   // requests the fleet received
	Writes    int   // of which changed a panel
	Predicted int   // requests PredictRequests expects from the plan
	Queries   int64 // billing queries
	Limit     Limit
	// FamilyRequests is Requests by panelsim family.
	FamilyRequests map[string]int
	// CPU is the CPU time (user and system) this process used during the
	// run: yardsync's and the emulated panels' work, not PostgreSQL's. It
	// varies far less than the wall time when other work shares the cores.
	CPU time.Duration
}

// MeasureRun runs req on r and gathers what the fleet and the billing saw.
func (w *World) MeasureRun(ctx context.Context, r *reconcile.Runner, req reconcile.Request) (RunStats, error) {
	w.Traffic()
	w.Billing.Queries()
	warm := w.warmFor(r)
	start, cpu := time.Now(), CPUTime()
	res, err := r.Run(ctx, req)
	st := RunStats{Took: time.Since(start), CPU: CPUTime() - cpu, Result: res, Queries: w.Billing.Queries()}
	if err != nil {
		return st, err
	}
	if res.Status != reconcile.StatusOK {
		return st, fmt.Errorf("bench: run %s: %s %v", res.Status, res.Error, firstFailure(res.Failed))
	}
	requests, writes := w.Traffic()
	st.Limit = LimitOf(requests, w.Latency, r.Opts.Concurrency)
	st.Requests, st.Writes = sum(requests), sum(writes)
	st.FamilyRequests = map[string]int{}
	for i, n := range requests {
		st.FamilyRequests[w.Layout.Panels[i].Family] += n
	}
	st.Predicted = w.predict(res.Plan, warm)
	return st, nil
}

func (w *World) predict(p reconcile.Plan, warm map[int]bool) int {
	plans := map[int]reconcile.PanelPlan{}
	for _, pp := range p.Panels {
		plans[pp.Device.ID] = pp
	}
	n := 0
	for _, sp := range w.Layout.Panels {
		n += PredictRequests(sp.Family, plans[sp.DeviceID], w.BewardUpdate, warm[sp.DeviceID])
	}
	return n
}

func firstFailure(failed map[int]string) string {
	for id, msg := range failed {
		return fmt.Sprintf("(%d panels failed, e.g. %d: %s)", len(failed), id, msg)
	}
	return ""
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

// Percentile returns the p-th percentile (0..100) of ds, nearest rank.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// CPUTime is the CPU this process has used so far, user and system.
func CPUTime() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// PeakRSS returns the process's peak resident set (VmHWM) in MiB, or 0
// where /proc is not there.
func PeakRSS() float64 { return procStatus("self", "VmHWM:") }

// PeakRSSOf returns another process's peak resident set in MiB.
func PeakRSSOf(pid int) float64 { return procStatus(strconv.Itoa(pid), "VmHWM:") }

// RSS returns the process's current resident set (VmRSS) in MiB.
func RSS() float64 { return procStatus("self", "VmRSS:") }

func procStatus(pid, field string) float64 {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
