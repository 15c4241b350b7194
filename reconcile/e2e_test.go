package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"yardsync/billing"
	"yardsync/internal/testdb"
	"yardsync/internal/testnet"
	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
	"yardsync/store"
	"yardsync/store/storetest"
)

var bg = context.Background()

// world is one end-to-end setup: a billing database, a store and a fleet of
// emulated panels of one family, each panel a device with rights.
type world struct {
	t       *testing.T
	billing *pgx.Conn
	bill    *billing.Client
	db      *store.DB
	fleet   *panelsim.Fleet
	port    int
	dsn     string // the store's database, for a second instance
	panels  []int  // device ids, fleet order
	runner  *reconcile.Runner
}

func newWorld(t *testing.T, family string, count int) *world {
	t.Helper()
	w := &world{t: t, dsn: storetest.MigratedDSN(t)}
	w.db = storetest.MustOpenDSN(t, w.dsn)
	dsn := testdb.Postgres(t)
	conn, err := pgx.Connect(bg, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(bg) })
	w.billing = conn
	w.exec(`CREATE TABLE contracts (uid int PRIMARY KEY, flat text, cams_open boolean, cams_paid boolean)`)
	w.bill, err = billing.Open(bg, billing.Config{Driver: "postgres", DSN: dsn, Timeout: 5 * time.Second,
		Queries: billing.Queries{Snapshot: `SELECT uid, flat, cams_open, cams_paid FROM contracts`}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.bill.Close)
	base, port := testnet.Base(t)
	w.fleet, err = panelsim.StartFleet(bg, family, count, base, port, panelsim.Options{Login: "admin", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.fleet.Close)
	w.port = port
	paneltype := simPaneltype(t, family)
	for _, addr := range w.fleet.Addrs() {
		host, _, _ := net.SplitHostPort(addr)
		id, err := w.db.AddDevice(bg, reconcile.Device{UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", rand.IntN(1e12)),
			Type: 1, IsActive: ptrTo(true), PanelType: ptrTo(paneltype), PanelIP: ptrTo(host),
			PanelLogin: ptrTo("admin"), PanelPasswd: ptrTo("secret")})
		if err != nil {
			t.Fatal(err)
		}
		w.panels = append(w.panels, id)
	}
	w.runner = &reconcile.Runner{Billing: w.bill, Store: w.db,
		Dial: panels.Dialer(panels.Options{Port: port, Scheme: "http", Timeout: 500 * time.Millisecond}),
		Opts: reconcile.Options{Concurrency: 8, PanelTimeout: 500 * time.Millisecond, Retries: 1, Backoff: 10 * time.Millisecond,
			Prune: reconcile.PruneOwned, MaxRevoke: 0.5, LockWait: 5 * time.Second,
			// The emulators apply every write at once unless a test makes
			// them late: a record may go as soon as its key is seen gone.
			Settle: time.Millisecond},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return w
}

// simPaneltype is the default paneltype of an emulated family.
func simPaneltype(t *testing.T, family string) int {
	t.Helper()
	name, _, _ := strings.Cut(family, "-") // beward-mifare, akuvox-s532: a model of the family
	f, ok := reconcile.ParseFamily(name)
	if !ok {
		t.Fatalf("no paneltype for emulated family %q", family)
	}
	return int(f)
}

// settle is how long after a write its key may still land: a record of a
// key deleted sooner stays (see Options.Settle).
func (w *world) settle() time.Duration {
	return w.runner.Opts.Settle
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	if _, err := w.billing.Exec(bg, sql, args...); err != nil {
		w.t.Fatal(err)
	}
}

// contract adds a billing contract with rights on the given panels (fleet
// indexes) and one key.
func (w *world) contract(uid int, flat string, open, paid bool, key string, panelIdx ...int) {
	w.t.Helper()
	w.exec(`INSERT INTO contracts VALUES ($1, $2, $3, $4)`, uid, flat, open, paid)
	var devices []int
	for _, i := range panelIdx {
		devices = append(devices, w.panels[i])
	}
	if err := w.db.AddRights(bg, int64(uid), devices); err != nil {
		w.t.Fatal(err)
	}
	if err := w.db.AddKey(bg, int64(uid), key, nil); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) run(req reconcile.Request) reconcile.Result {
	w.t.Helper()
	if req.Trigger == "" {
		req.Trigger = "cli"
	}
	res, err := w.runner.Run(bg, req)
	if err != nil {
		w.t.Fatalf("run: %v", err)
	}
	return res
}

// writesBegin returns a channel closed when the first key write reaches any
// panel of the fleet.
func (w *world) writesBegin() <-chan struct{} {
	began := make(chan struct{})
	var once sync.Once
	w.fleet.SetHook(func(_ context.Context, r panelsim.Request) {
		if r.Write {
			once.Do(func() { close(began) })
		}
	})
	return began
}

// keys renders a panel's keys as code=flat pairs.
func (w *world) keys(i int) string {
	var list []string
	for _, k := range w.fleet.Panel(i).Keys() {
		code := k.Code
		if len(code) < 6 { // an Akuvox keeps 0000000000BB01 as BB01: padded back as its driver lists it
			code = strings.Repeat("0", reconcile.KeyLen-len(code)) + code
		}
		list = append(list, code+"="+strconv.Itoa(k.Flat)+" ")
	}
	slices.Sort(list)
	return strings.Join(list, "")
}

func TestEndToEnd(t *testing.T) {
	for _, family := range []string{"beward", "beward-mifare", "sokol"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			testLifecycle(t, newWorld(t, family, 3))
		})
	}
}

func testLifecycle(t *testing.T, w *world) {
	w.contract(101, "12", true, true, "0000000000AA01", 0, 1)
	w.contract(102, "7а", true, true, "0000000000AA02", 0)
	w.contract(103, "5", true, false, "0000000000AA03", 2)
	w.fleet.Panel(2).SetKeys([]reconcile.PanelKey{{Code: "0000000000FFFF", Flat: 9}}) // a key yardsync does not own

	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusOK || res.Added != 2 || len(res.Plan.BadFlats) != 1 {
		t.Fatalf("first run: got %+v bad flats %v failed %v", res.Summary, res.Plan.BadFlats, res.Failed)
	}
	if got := w.keys(0); got != "0000000000AA01=12 " {
		t.Fatalf("panel 0: got %q", got)
	}
	if got := w.keys(2); got != "0000000000FFFF=9 " {
		t.Fatalf("panel 2 must keep the key yardsync does not own, got %q", got)
	}
	t.Run("StopsPaying", func(t *testing.T) {
		w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 101`)
		res := w.run(namedRun(101))
		if res.Deleted != 2 || w.keys(0) != "" || w.keys(1) != "" {
			t.Fatalf("got %+v, panels %q %q", res.Summary, w.keys(0), w.keys(1))
		}
		access, _ := w.db.Access(bg, 101)
		if len(access) != 2 || access[0].State != reconcile.AccessUnpaid {
			t.Fatalf("got access %v, want state 1 on both", access)
		}
	})
	t.Run("Pays", func(t *testing.T) {
		w.exec(`UPDATE contracts SET cams_paid = true WHERE uid = 101`)
		res := w.run(namedRun(101))
		if res.Added != 2 || w.keys(1) != "0000000000AA01=12 " {
			t.Fatalf("got %+v, panel 1 %q", res.Summary, w.keys(1))
		}
	})
	t.Run("HandEditRepaired", func(t *testing.T) {
		w.fleet.Panel(1).SetKeys([]reconcile.PanelKey{{Code: "0000000000AA01", Flat: 99}})
		res := w.run(reconcile.Request{})
		if res.Rebound != 1 || w.keys(1) != "0000000000AA01=12 " {
			t.Fatalf("got %+v, panel 1 %q", res.Summary, w.keys(1))
		}
	})
	t.Run("PanelDownThenRepaired", func(t *testing.T) {
		w.fleet.Panel(0).SetKeys(nil)
		w.fleet.Panel(1).SetKeys(nil)
		w.fleet.Panel(1).SetFaults(panelsim.Faults{ErrorRate: 1})
		res := w.run(reconcile.Request{})
		if res.Status != reconcile.StatusPartial || res.FailedPanels != 1 || w.keys(0) != "0000000000AA01=12 " {
			t.Fatalf("got %+v, panel 0 %q", res.Summary, w.keys(0))
		}
		w.fleet.Panel(1).SetFaults(panelsim.Faults{})
		if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || w.keys(1) != "0000000000AA01=12 " {
			t.Fatalf("got %+v, panel 1 %q", res.Summary, w.keys(1))
		}
	})
	t.Run("BillingDownChangesNothing", func(t *testing.T) {
		w.exec(`ALTER TABLE contracts RENAME TO contracts_gone`)
		defer w.exec(`ALTER TABLE contracts_gone RENAME TO contracts`)
		before := w.keys(0) + w.keys(1)
		res := w.run(reconcile.Request{})
		if res.Status != reconcile.StatusFailed || w.keys(0)+w.keys(1) != before {
			t.Fatalf("got %+v, keys %q, want failed and nothing changed", res.Summary, w.keys(0)+w.keys(1))
		}
	})
	t.Run("EmptySnapshotGuarded", func(t *testing.T) {
		w.exec(`DELETE FROM contracts`)
		res := w.run(reconcile.Request{})
		if res.Status != reconcile.StatusGuarded || res.Deleted != 0 || w.keys(0) != "0000000000AA01=12 " {
			t.Fatalf("got %+v, panel 0 %q", res.Summary, w.keys(0))
		}
		res = w.run(reconcile.Request{Force: true})
		if res.Deleted != 2 || w.keys(0) != "" || w.keys(2) != "0000000000FFFF=9 " {
			t.Fatalf("forced: got %+v, panels %q %q", res.Summary, w.keys(0), w.keys(2))
		}
	})
}

// A key is owned before it is pushed: if the push happens but the run dies
// before anything else, the next run still knows the key and removes it
// when its contract stops paying.
func TestInterruptedRunLosesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 2)
	w.contract(201, "3", true, true, "0000000000BB01", 0, 1)
	// Simulate a run killed right after the push: the claim and the panel
	// write happened, nothing after it did.
	claim := []reconcile.OwnedKey{{DeviceID: w.panels[0], Code: "0000000000BB01", Flat: 3, UID: 201}}
	if err := w.db.ClaimKeys(bg, claim, true); err != nil {
		t.Fatal(err)
	}
	w.fleet.Panel(0).SetKeys([]reconcile.PanelKey{{Code: "0000000000BB01", Flat: 3}})
	if _, err := w.db.StartRun(bg, 0, "cli", nil); err != nil { // left 'running' by the dead process
		t.Fatal(err)
	}
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusOK || res.Added != 1 || w.keys(1) != "0000000000BB01=3 " {
		t.Fatalf("got %+v", res.Summary)
	}
	w.exec(`UPDATE contracts SET cams_open = false`)
	res = w.run(namedRun(201))
	if res.Deleted != 2 || w.keys(0) != "" || w.keys(1) != "" {
		t.Fatalf("got %+v, panels %q %q", res.Summary, w.keys(0), w.keys(1))
	}
}

func TestOneRunAtATime(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 1)
	lock, err := w.db.RunLock(bg, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	_, err = w.runner.Run(bg, reconcile.Request{Trigger: "cron", Skip: true})
	if !errors.Is(err, reconcile.ErrBusy) {
		t.Fatalf("got %v, want busy", err)
	}
	t.Logf("busy error: %v", err)
}

// Stopping serve drains a run: requests in flight finish, nothing new
// starts, the run is recorded as not complete, and the next run finishes.
func TestStopDrainsRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "beward", 4)
	for i := range 4 {
		w.contract(300+i, strconv.Itoa(i+1), true, true, fmt.Sprintf("0000000000CC%02d", i), i)
		w.fleet.Panel(i).SetFaults(panelsim.Faults{Latency: 60 * time.Millisecond})
	}
	w.runner.Opts.Concurrency = 1
	began := w.writesBegin()
	sched := reconcile.NewScheduler(w.runner, time.Hour)
	ctx, cancel := context.WithCancel(bg)
	stopped := make(chan error)
	go func() { stopped <- sched.Start(ctx) }()
	sum, err := sched.Sync(bg, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	select { // the reads are done and the writes have begun
	case <-began:
	case <-time.After(30 * time.Second):
		t.Fatal("no panel got a write")
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	got, err := w.db.Run(bg, sum.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status == reconcile.StatusOK || got.Status == "running" {
		t.Fatalf("drained run recorded as %+v, want it partial or failed", got)
	}
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("next run: got %+v", res.Summary)
	}
	for i := range 4 {
		if len(w.fleet.Panel(i).Keys()) != 1 {
			t.Fatalf("panel %d: got %v after the next run", i, w.fleet.Panel(i).Keys())
		}
	}
}

// A sync/ that joins a queued scheduled run gets a run id to answer and
// makes the run wait for the lock instead of skipping.
func TestSyncJoinsQueuedCronRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 1)
	w.contract(401, "4", true, true, "0000000000DD01", 0)
	hold, err := w.db.RunLock(bg, 0) // another instance is running
	if err != nil {
		t.Fatal(err)
	}
	release := hold.Release // safe to call twice
	defer release()
	sched := reconcile.NewScheduler(w.runner, time.Hour)
	sched.Tick() // queued, not started: the scheduler loop is not running yet
	sum, err := sched.Sync(bg, 0, false)
	if err != nil || sum.RunID == 0 {
		t.Fatalf("got %+v %v, want a run id", sum, err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	go func() { _ = sched.Start(ctx) }()
	time.AfterFunc(300*time.Millisecond, release)
	got, err := sched.Sync(bg, 0, true)
	if err != nil || got.Status != reconcile.StatusOK {
		t.Fatalf("got %+v %v", got, err)
	}
	if keys := w.fleet.Panel(0).Keys(); len(keys) != 1 {
		t.Fatalf("panel holds %v", keys)
	}
	if first, err := w.db.Run(bg, sum.RunID); err != nil || first.Status != reconcile.StatusOK {
		t.Fatalf("the joined run %d: got %+v %v, want it run, not skipped", sum.RunID, first, err)
	}
}

// A targeted run reaches panels through doors, and takes keys off a panel
// the contract no longer reaches.
func TestTargetedRunThroughDoors(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 2)
	lock, err := w.db.AddDevice(bg, reconcile.Device{UUID: "00000000-0000-4000-8000-00000000abcd", Type: 3, IsActive: ptrTo(true)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.db.AddDoor(bg, reconcile.Door{DeviceID: lock, Cam: w.panels[1], Open: "http://x/open"}); err != nil {
		t.Fatal(err)
	}
	w.contract(501, "8", true, true, "0000000000EE01", 0)
	if err := w.db.AddRights(bg, 501, []int{lock}); err != nil {
		t.Fatal(err)
	}
	if res := w.run(namedRun(501)); res.Added != 2 || w.keys(1) != "0000000000EE01=8 " {
		t.Fatalf("got %+v, gate panel %q", res.Summary, w.keys(1))
	}
	if err := w.db.DeleteRights(bg, 501, []int{lock}); err != nil {
		t.Fatal(err)
	}
	res := w.run(namedRun(501))
	if res.Deleted != 1 || w.keys(1) != "" || w.keys(0) != "0000000000EE01=8 " {
		t.Fatalf("got %+v, panels %q %q", res.Summary, w.keys(0), w.keys(1))
	}
	owned, _ := w.db.OwnedKeys(bg)
	if len(owned) != 1 || owned[0].DeviceID != w.panels[0] {
		t.Fatalf("owned %v, want only the key on panel 0", owned)
	}
}

func ptrTo[T any](v T) *T { return &v }
