package bench

import (
	"strings"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// Limit is the physical floor of a run over a fleet whose every request
// costs Latency and where each panel takes one request at a time: the
// slowest panel's serial work, or all requests spread over Concurrency
// panel sessions, whichever is longer.
type Limit struct {
	Requests    int           // requests the run made, over the whole fleet
	Slowest     int           // requests made to the busiest panel
	Latency     time.Duration // per request
	Concurrency int           // panels worked on at once
}

// Serial is the slowest panel's serial work.
func (l Limit) Serial() time.Duration { return time.Duration(l.Slowest) * l.Latency }

// Parallel is all requests × latency / concurrency.
func (l Limit) Parallel() time.Duration {
	if l.Concurrency < 1 {
		return 0
	}
	return time.Duration(l.Requests) * l.Latency / time.Duration(l.Concurrency)
}

// Bound is max(Serial, Parallel).
func (l Limit) Bound() time.Duration { return max(l.Serial(), l.Parallel()) }

// LimitOf computes the limit from per-panel request counts.
func LimitOf(counts []int, latency time.Duration, concurrency int) Limit {
	l := Limit{Latency: latency, Concurrency: concurrency}
	for _, n := range counts {
		l.Requests += n
		l.Slowest = max(l.Slowest, n)
	}
	return l
}

// PredictRequests is what a run makes on one panel with this plan (warm:
// with a dialer that has listed the panel before), by
// family: the listing (Beward probes its key table first, a mifare panel
// also whether rfid_cgi is a second table, a Sokol checks its key mode and,
// at its first write, its revision: the harness builds a new Dialer per
// run, which a daemon does once), then a
// session of writes — deletes first (Replace and Delete), Beward one request
// per key added (two on mifare: extrfid then mifare) and a save; Sokol a
// delete per rebound key, a merge for the rebinds and one for the adds, or
// a clear and one merge where the plan has Whole (the emulator plays a
// rev.2 unless told: a rev.5's sessions are counted in docs/panels.md) —
// and, after any write, one read-back list. update says Beward rebinds use rfid_cgi action=update
// (panels.beward_update): one request on the internal table.
func PredictRequests(family string, pp reconcile.PanelPlan, update, warm bool) int {
	n := predictCold(family, pp, update)
	if warm {
		n -= probes(family, pp)
	}
	return n
}

// probes is the requests a dialer makes only the first time it lists a
// panel, and remembers: the Beward key-table probe (and on mifare the
// rfid_cgi list that shows the table missing), the Sokol key mode and, in a
// session that writes, its revision (GET /system/info).
func probes(family string, pp reconcile.PanelPlan) int {
	switch family {
	case panelsim.BewardMifare:
		return 2
	case panelsim.Sokol:
		return 1 + sokolProbe(pp)
	}
	return 1
}

// sokolProbe is the revision probe a Sokol session makes before its first
// write: 1 when the plan writes keys, else 0.
func sokolProbe(pp reconcile.PanelPlan) int {
	if len(pp.Whole)+len(pp.Add)+len(pp.Rebind)+len(pp.Delete)+len(pp.Replace) > 0 {
		return 1
	}
	return 0
}

func predictCold(family string, pp reconcile.PanelPlan, update bool) int {
	push := len(pp.Add) + len(pp.Rebind)
	deletes := len(pp.Delete) + len(pp.Replace)
	session := 0
	if push+deletes > 0 {
		session = 1 // the read-back
	}
	switch family {
	case panelsim.Sokol:
		return 2 + sokolProbe(pp) + sokolWrites(pp) + session
	case panelsim.BewardMifare:
		return 3 + 2*deletes + 2*push + 2*len(pp.Rebind) + 2*session // a rebind deletes first; save and read-back
	}
	if update {
		return 2 + deletes + push + 2*session // a rebind is one update
	}
	return 2 + deletes + push + len(pp.Rebind) + 2*session // a rebind deletes first; save and read-back
}

// sokolWrites is the write requests of a Sokol session.
func sokolWrites(pp reconcile.PanelPlan) int {
	if len(pp.Whole) > 0 {
		return 2
	}
	n := len(pp.Delete) + len(pp.Replace) + len(pp.Rebind)
	if len(pp.Add) > 0 {
		n++
	}
	if len(pp.Rebind) > 0 {
		n++
	}
	return n
}

// IsWrite reports whether a request the panel received changes it.
func IsWrite(r panelsim.Request) bool {
	if r.Method != "GET" {
		return true
	}
	return strings.Contains(r.Query, "action=add") || strings.Contains(r.Query, "action=delete") ||
		strings.Contains(r.Path, "config_cgi")
}
