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
// with a dialer that has listed the panel before), by family (see
// requestModels): the listing, with the family's probes when cold (the
// harness builds a new Dialer per first sync, which a daemon does once),
// then a session of writes, deletes first (Replace and Delete), and, after
// any write, the save where the family has one and one read-back list.
// update says Beward rebinds use rfid_cgi action=update
// (panels.beward_update): one request on the internal table.
func PredictRequests(family string, pp reconcile.PanelPlan, update, warm bool) int {
	m := modelOf(family)
	n := m.cold(pp, update)
	if warm {
		n -= m.probes
	}
	return n
}

// requestModel is one panelsim family's requests in a run.
type requestModel struct {
	family string
	// probes are the requests a dialer makes only the first time it lists
	// a panel, and remembers.
	probes int
	// cold is the requests of a run on a dialer that has not listed the
	// panel yet, probes included.
	cold func(pp reconcile.PanelPlan, update bool) int
}

// requestModels are the families the bench drives, in the order a mixed
// fleet deals them out (Driven). A family yardsync learns to drive is one
// entry here, read off its driver in panels/ and checked by
// BenchmarkFirstSyncFamilies and TestWorldMixed.
var requestModels = []requestModel{
	// The key-table probe (extrfid_cgi), a list, then one request per key
	// added or deleted and a delete + add per rebind (one update with
	// update), a save and a read-back.
	{panelsim.Beward, 1, func(pp reconcile.PanelPlan, update bool) int {
		if update {
			return 2 + deletes(pp) + pushes(pp) + 2*readBack(pp)
		}
		return 2 + deletes(pp) + pushes(pp) + len(pp.Rebind) + 2*readBack(pp)
	}},
	// The probe and the rfid_cgi list that shows that table missing, the
	// mifare_cgi list, then every write twice (mifare_cgi and its
	// extrfid_cgi mirror), a rebind deletes first; a save and a read-back.
	{panelsim.BewardMifare, 2, func(pp reconcile.PanelPlan, _ bool) int {
		return 3 + 2*deletes(pp) + 2*pushes(pp) + 2*len(pp.Rebind) + 2*readBack(pp)
	}},
	// The key-mode probe (/key/settings) and the revision probe
	// (/system/info), a list, the writes (sokolWrites) and a read-back. The
	// emulator plays a rev.2 unless told: a rev.5's sessions are counted in
	// docs/panels.md.
	{panelsim.Sokol, 2, func(pp reconcile.PanelPlan, _ bool) int {
		return 3 + sokolWrites(pp) + readBack(pp)
	}},
	// No probe. A list, a delete per key, an add per key (a rebound key is
	// held, the panel binds no flat, so it is not sent; the driver knows
	// what the list read) and a read-back.
	{panelsim.Qtech, 0, func(pp reconcile.PanelPlan, _ bool) int {
		return 1 + deletes(pp) + len(pp.Add) + readBack(pp)
	}},
	// As Qtech, but adds go in packs of at most 400 (one key alone by
	// POST /rfids).
	{panelsim.Rubetek, 0, func(pp reconcile.PanelPlan, _ bool) int {
		return 1 + deletes(pp) + rubetekPacks(len(pp.Add)) + readBack(pp)
	}},
	// Akuvox E12, R20A and S532 alike: the Digest challenge and the model
	// probe (system/info), which a dialer does once per panel; a list; per
	// deleted key the lookup of its user and a del; adds in batches of
	// 1,000 users (held codes not sent, as Qtech); a read-back.
	{panelsim.Akuvox, 2, akuvoxCold},
	{panelsim.AkuvoxR20A, 2, akuvoxCold},
	{panelsim.AkuvoxS532, 2, akuvoxCold},
}

func akuvoxCold(pp reconcile.PanelPlan, _ bool) int {
	return 3 + 2*deletes(pp) + (len(pp.Add)+999)/1000 + readBack(pp)
}

// Driven lists the families the bench has a request model for: the mix of
// a fleet of every family (Scale.Families).
func Driven() []string {
	out := make([]string, 0, len(requestModels))
	for _, m := range requestModels {
		out = append(out, m.family)
	}
	return out
}

func modelOf(family string) requestModel {
	for _, m := range requestModels {
		if m.family == family {
			return m
		}
	}
	panic("bench: no request model for panelsim family " + family + ": add one to requestModels")
}

// pushes are the keys a session adds or rebinds.
func pushes(pp reconcile.PanelPlan) int { return len(pp.Add) + len(pp.Rebind) }

// deletes are the per-key deletions: deleted keys and other listed forms.
func deletes(pp reconcile.PanelPlan) int { return len(pp.Delete) + len(pp.Replace) }

// readBack is 1 when the plan writes: the read-back (a Beward also saves).
func readBack(pp reconcile.PanelPlan) int {
	if pushes(pp)+deletes(pp) > 0 {
		return 1
	}
	return 0
}

// rubetekPacks is the requests that add n keys to a Rubetek.
func rubetekPacks(n int) int {
	if n == 1 {
		return 1
	}
	return (n + 399) / 400
}

// sokolWrites is the write requests of a Sokol session: a clear and one
// merge where the plan has Whole, else a delete per deleted or rebound key,
// a merge for the rebinds and one for the adds.
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

// IsWrite reports whether a request the panel received changes it: a key
// write as the emulator tells it (add, delete, clear, update, whatever the
// family's method; a Qtech list is a POST), or a Beward save.
func IsWrite(r panelsim.Request) bool {
	return r.Write || strings.Contains(r.Path, "config_cgi")
}
