package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"yardsync/billing"
	"yardsync/internal/testdb"
	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
	"yardsync/store"
	"yardsync/store/storetest"
)

// World is a generated billing and store with a running panelsim fleet.
type World struct {
	Scale    Scale
	Layout   Layout
	Latency  time.Duration
	Port     int
	Store    *store.DB
	StoreDSN string
	Billing  *Counting // the cached client, counting the queries a run makes
	sims     []*panelsim.Panel
	billCfg  billing.Config
	Took     time.Duration // time to generate the databases
	// BewardUpdate makes Runner rebind Beward keys with rfid_cgi
	// action=update (panels.beward_update); set the sims' Firmware.Update too.
	BewardUpdate bool
	// desires and dialers are what every Runner of the world shares, as the
	// runs of one daemon do: the desired-state cache, and one panel dialer
	// (its connections and what it learnt of each panel's firmware) per
	// BewardUpdate setting.
	desires *reconcile.DesireCache
	dialers map[bool]reconcile.PanelDialer
	mu      sync.Mutex
	dialed  map[bool]map[int]bool      // device ids each shared dialer has dialed
	fresh   map[*reconcile.Runner]bool // FreshRunner's runners: their dialer knows no panel
}

// families in the order their fleets get address bases.
var families = panelsim.Families()

// NewWorld builds a world on fresh databases (dropped when tb ends) and a
// fleet with latency per request, closed when tb ends.
func NewWorld(tb testing.TB, s Scale, latency time.Duration) *World {
	tb.Helper()
	ctx := context.Background()
	w := &World{Scale: s, Latency: latency, desires: reconcile.NewDesireCache(),
		dialers: map[bool]reconcile.PanelDialer{}, dialed: map[bool]map[int]bool{}, fresh: map[*reconcile.Runner]bool{}}
	bases, port := freeBases(tb)
	w.Port = port
	w.Layout = Plan(s, bases)
	billDSN, storeDSN := testdb.Postgres(tb), testdb.Postgres(tb)
	w.Store, w.StoreDSN = storetest.MustOpenDSN(tb, storeDSN), storeDSN
	start := time.Now()
	bc, sc := mustConnect(tb, billDSN), mustConnect(tb, storeDSN)
	var err error
	if w.Layout, err = Generate(ctx, bc, sc, s, w.Layout); err != nil {
		tb.Fatal(err)
	}
	w.Took = time.Since(start)
	w.startFleets(tb, bases)
	uids, cams, snapshot := BillingQueries()
	w.billCfg = billing.Config{Driver: "postgres", DSN: billDSN, PhonePrefix: "8",
		Queries: billing.Queries{UIDs: uids, Cams: cams, Snapshot: snapshot}}
	w.Billing = &Counting{Cached: w.NewBilling(tb, 10000)}
	return w
}

// NewBilling opens a client on the world's billing behind a fresh uid cache
// of size entries, closed when tb ends.
func (w *World) NewBilling(tb testing.TB, size int) *billing.Cached {
	tb.Helper()
	c, err := billing.Open(context.Background(), w.billCfg)
	if err != nil {
		tb.Fatal(err)
	}
	cached := billing.NewCached(c, size, 5*time.Minute)
	tb.Cleanup(cached.Close)
	return cached
}

func mustConnect(tb testing.TB, dsn string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// freeBases picks a loopback /16 per family and a port free on each base.
func freeBases(tb testing.TB) (map[string]netip.Addr, int) {
	tb.Helper()
	for range 50 {
		first := 20 + rand.IntN(200)
		port, ok := freePort(first)
		if !ok {
			continue
		}
		bases := map[string]netip.Addr{}
		for i, f := range families {
			bases[f] = netip.AddrFrom4([4]byte{127, byte(first + i), 0, 1})
		}
		return bases, port
	}
	tb.Fatal("bench: no free loopback port")
	return nil, 0
}

func freePort(first int) (int, bool) {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.%d.0.1:0", first))
	if err != nil {
		return 0, false
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	for i := 1; i < len(families); i++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.%d.0.1:%d", first+i, port))
		if err != nil {
			return 0, false
		}
		ln.Close()
	}
	return port, true
}

func (w *World) startFleets(tb testing.TB, bases map[string]netip.Addr) {
	tb.Helper()
	w.sims = startFleets(tb, w.Layout.Panels, bases, w.Port, w.Latency)
}

// startFleets starts one panelsim fleet per family the panels play, closed
// when tb ends, and returns each panel's emulator in the panels' order.
func startFleets(tb testing.TB, panels []SimPanel, bases map[string]netip.Addr, port int, latency time.Duration) []*panelsim.Panel {
	tb.Helper()
	count := map[string]int{}
	for _, p := range panels {
		count[p.Family]++
	}
	fleets := map[string]*panelsim.Fleet{}
	for _, f := range families {
		if count[f] == 0 {
			continue
		}
		fl, err := panelsim.StartFleet(context.Background(), f, count[f], bases[f].String(), port,
			panelsim.Options{Faults: panelsim.Faults{Latency: latency}})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(fl.Close)
		fleets[f] = fl
	}
	sims := make([]*panelsim.Panel, 0, len(panels))
	seen := map[string]int{}
	for _, p := range panels {
		sims = append(sims, fleets[p.Family].Panel(seen[p.Family]))
		seen[p.Family]++
	}
	return sims
}

// Sim returns the emulator of the i-th panel (device id i+1).
func (w *World) Sim(i int) *panelsim.Panel { return w.sims[i] }

// Runner builds a reconciler on the world, as cmd/yardsync wires one.
func (w *World) Runner(concurrency int) *reconcile.Runner {
	timeout := 10 * time.Second
	return &reconcile.Runner{
		Billing: w.Billing,
		Store:   w.Store,
		Dial:    w.dialer(timeout),
		Opts: reconcile.Options{Concurrency: concurrency, PanelTimeout: timeout, Retries: 3, Backoff: 200 * time.Millisecond,
			Prune: reconcile.PruneOwned, MaxRevoke: 0.2, LockWait: time.Minute},
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Desires: w.desires,
	}
}

// FreshRunner builds a reconciler as a yardsync process just started has
// it: a dialer that knows nothing of the panels yet, and no cache.
func (w *World) FreshRunner(concurrency int) *reconcile.Runner {
	r := w.Runner(concurrency)
	r.Dial = panels.Dialer(panels.Options{Port: w.Port, Timeout: r.Opts.PanelTimeout, BewardUpdate: w.BewardUpdate})
	r.Desires = nil
	w.mu.Lock()
	w.fresh[r] = true
	w.mu.Unlock()
	return r
}

// TimedRunner is Runner with panel requests that time out after timeout,
// on a dialer of its own with that timeout (the shared ones wait 10 s),
// and the daemon's default guard_min: for runs that must see a slow panel
// give up as serve would.
func (w *World) TimedRunner(concurrency int, timeout time.Duration) *reconcile.Runner {
	r := w.Runner(concurrency)
	r.Dial = panels.Dialer(panels.Options{Port: w.Port, Timeout: timeout, BewardUpdate: w.BewardUpdate})
	r.Opts.PanelTimeout = timeout
	r.Opts.GuardMin = reconcile.DefaultGuardMin
	return r
}

// warmFor returns the panels r's dialer has dialed before (and so probed).
func (w *World) warmFor(r *reconcile.Runner) map[int]bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fresh[r] {
		return nil
	}
	return maps.Clone(w.dialed[w.BewardUpdate])
}

// dialer returns the world's dialer for its BewardUpdate setting.
func (w *World) dialer(timeout time.Duration) reconcile.PanelDialer {
	update := w.BewardUpdate
	d, ok := w.dialers[update]
	if !ok {
		dial := panels.Dialer(panels.Options{Port: w.Port, Timeout: timeout, BewardUpdate: update})
		w.dialed[update] = map[int]bool{}
		d = func(pd reconcile.PanelDevice) (reconcile.Panel, error) {
			w.mu.Lock()
			w.dialed[update][pd.ID] = true
			w.mu.Unlock()
			return dial(pd)
		}
		w.dialers[update] = d
	}
	return d
}

// Reset empties every panel and yardsync's bookkeeping, so the next full
// run is a first sync again.
func (w *World) Reset(ctx context.Context) error {
	for _, s := range w.sims {
		s.SetKeys(nil)
		s.ResetRequests()
	}
	_, err := w.Store.Pool().Exec(ctx, `TRUNCATE yardsync_owned_keys, yardsync_access`)
	return err
}

// Traffic is what the fleet received since the last call: requests and
// writes per panel, in device order. It empties the request logs.
func (w *World) Traffic() (requests, writes []int) {
	for _, s := range w.sims {
		log := s.Requests()
		s.ResetRequests()
		n := 0
		for _, r := range log {
			if IsWrite(r) {
				n++
			}
		}
		requests, writes = append(requests, len(log)), append(writes, n)
	}
	return requests, writes
}

// Counting is the billing a benchmark hands the reconciler: it counts the
// queries a run makes (one per Snapshot or SnapshotOf).
type Counting struct {
	*billing.Cached
	queries atomic.Int64
}

var _ reconcile.ContractsReader = (*Counting)(nil)

// Snapshot reads every contract in one query.
func (c *Counting) Snapshot(ctx context.Context) ([]reconcile.Contract, error) {
	c.queries.Add(1)
	return c.Cached.Snapshot(ctx)
}

// SnapshotOf uses the billing's own SnapshotOf when it has one, else reads
// the snapshot and filters it, as the reconciler would.
func (c *Counting) SnapshotOf(ctx context.Context, uids []int64) ([]reconcile.Contract, error) {
	c.queries.Add(1)
	if cr, ok := any(c.Cached).(reconcile.ContractsReader); ok {
		return cr.SnapshotOf(ctx, uids)
	}
	all, err := c.Cached.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	want := map[int64]bool{}
	for _, u := range uids {
		want[u] = true
	}
	var out []reconcile.Contract
	for _, ct := range all {
		if want[ct.UID] {
			out = append(out, ct)
		}
	}
	return out, nil
}

// Queries returns and zeroes the count of billing queries.
func (c *Counting) Queries() int64 { return c.queries.Swap(0) }
