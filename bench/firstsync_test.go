package bench_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"yardsync/bench"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// firstSyncFloors are the fewest requests a first sync can send to an empty
// panel of each family for n keys: the writes its protocol needs, with no
// read at all. A family yardsync learns to drive is one entry here (and one
// panelsim family).
var firstSyncFloors = []struct {
	family string
	floor  func(n int) int
	why    string
}{
	{panelsim.Beward, func(n int) int { return n + 1 }, "one add per key, one save"},
	{panelsim.BewardMifare, func(n int) int { return 2*n + 1 }, "one add per key to each of the two tables, one save"},
	{panelsim.Sokol, func(n int) int { return 1 }, "one merge holds every key"},
	{panelsim.Qtech, func(n int) int { return n }, "one add per key, no save"},
	{panelsim.Rubetek, func(n int) int { return (n + 399) / 400 }, "one pack per 400 keys"},
	{panelsim.Akuvox, func(n int) int { return 1 }, "one user add holds every key (E12: up to its 1,000 users)"},
	{panelsim.AkuvoxS532, func(n int) int { return (n + 999) / 1000 }, "one add per batch of 1,000 users"},
}

// BenchmarkFirstSyncFamilies counts the HTTP requests a first sync (a
// freshly started daemon, no ownership records, empty panels) sends to one
// panel of each family holding 50 and 1,000 keys, against the family's floor
// (firstSyncFloors), over real HTTP and real PostgreSQL. Latency 0: it
// counts, it does not time.
// Run: go test -run '^$' -bench FirstSyncFamilies -benchtime 1x ./bench/
func BenchmarkFirstSyncFamilies(b *testing.B) {
	var fams []string
	for _, f := range firstSyncFloors {
		fams = append(fams, f.family)
	}
	for _, keys := range []int{50, 1000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			s := bench.Scale{Panels: len(fams), ContractsPerPanel: keys, KeysPerContract: 1, Seed: 1,
				Families: fams, AllActive: true}
			w := bench.NewWorld(b, s, 0)
			for range b.N {
				if err := w.Reset(bg); err != nil {
					b.Fatal(err)
				}
				res, err := w.FreshRunner(benchConcurrency).Run(bg, reconcile.Request{Trigger: "cli"})
				if err != nil || res.Status != reconcile.StatusOK {
					b.Fatalf("first sync: %v %+v %v", err, res.Summary, res.Failed)
				}
			}
			reportFamilies(b, w, keys)
		})
	}
}

// reportFamilies reports, for the last run, each family's requests per
// panel, its floor and their ratio, and checks every panel holds its keys.
// The log names the requests beyond the key writes and saves: the reads.
func reportFamilies(b *testing.B, w *bench.World, keys int) {
	for i, f := range firstSyncFloors {
		sim := w.Sim(i)
		if got := len(sim.Keys()); got != keys {
			b.Fatalf("%s panel holds %d keys, want %d", f.family, got, keys)
		}
		log := sim.Requests()
		var reads []string
		for _, r := range log {
			if !r.Write && !strings.Contains(r.Path, "config_cgi") {
				reads = append(reads, strings.TrimSpace(r.Method+" "+r.Path+" "+readAction(r)))
			}
		}
		floor := f.floor(keys)
		b.ReportMetric(float64(len(log)), f.family+"_req/panel")
		b.ReportMetric(float64(floor), f.family+"_floor")
		b.ReportMetric(float64(len(log))/float64(floor), f.family+"_x_floor")
		b.Logf("%s: %d keys, %d requests, floor %d (%s); reads: %s", f.family, keys, len(log), floor, f.why,
			strings.Join(reads, ", "))
	}
	w.Traffic() // empties the request logs
}

// readAction is what a read asks for where the path does not say it: a
// Beward action, or the command of a Qtech POST /api envelope.
func readAction(r panelsim.Request) string {
	if r.Query != "" {
		return "?" + r.Query
	}
	var env struct {
		Target string `json:"target"`
		Action string `json:"action"`
	}
	if json.Unmarshal([]byte(r.Body), &env) == nil && env.Action != "" {
		return env.Target + " " + env.Action
	}
	return ""
}
