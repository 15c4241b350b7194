package reconcile_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
	"yardsync/store"
)

// deadline bounds every wait of these tests; nothing is asserted about time.
const deadline = 60 * time.Second

// instance is a second yardsync process on the same store and fleet: its
// own pool, its own panel clients, its own log.
func (w *world) instance(name string, tr *trace, logged func(msg string)) *reconcile.Runner {
	w.t.Helper()
	db, err := store.Open(bg, w.dsn)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(db.Close)
	r := *w.runner
	r.Store = db
	r.Dial = tr.dialer(name, panels.Dialer(panels.Options{Port: w.port, Scheme: "http", Timeout: 10 * time.Second}))
	// A blocked panel request is the test's doing: the client must not time
	// out under it before the test says so.
	r.Opts.PanelTimeout, r.Opts.LockWait = 10*time.Second, deadline
	// Renew (and check the run lock) every second, well within a request's timeout.
	r.Opts.LeaseTTL = r.Opts.PanelTimeout + 3*time.Second
	r.Log = slog.New(hookHandler(logged))
	return &r
}

// killRunLock terminates the store session holding the run lock, as an
// operator's pg_terminate_backend or a dropped connection would.
func (w *world) killRunLock() {
	w.t.Helper()
	conn, err := pgx.Connect(bg, w.dsn)
	if err != nil {
		w.t.Fatal(err)
	}
	defer conn.Close(bg)
	var killed int // the timeout makes pg_terminate_backend wait until the session is gone
	err = conn.QueryRow(bg, `
		SELECT count(pg_terminate_backend(l.pid, 60000)) FROM pg_locks l
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
		uint32(0x79617264), uint32(0x73796e63)).Scan(&killed)
	if err != nil || killed != 1 {
		w.t.Fatalf("killed %d run lock sessions (%v), want 1", killed, err)
	}
}

// runningRun returns the id of the one run recorded as running.
func (w *world) runningRun() int64 {
	w.t.Helper()
	var id int64
	if err := w.db.Pool().QueryRow(bg, `SELECT id FROM yardsync_runs WHERE status = 'running'`).Scan(&id); err != nil {
		w.t.Fatalf("the running run: %v", err)
	}
	return id
}

// runRecord reads a run's recorded status and error.
func (w *world) runRecord(id int64) (status, why string) {
	w.t.Helper()
	if err := w.db.Pool().QueryRow(bg, `SELECT status, error FROM yardsync_runs WHERE id = $1`, id).Scan(&status, &why); err != nil {
		w.t.Fatal(err)
	}
	return status, why
}

func (w *world) runStatus(id int64) string {
	w.t.Helper()
	s, err := w.db.Run(bg, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return s.Status
}

// await fails the test unless ch is closed within the deadline.
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(deadline):
		t.Fatalf("gave up waiting: %s", what)
	}
}

// once returns a channel and the function that closes it (any number of calls).
func once() (chan struct{}, func()) {
	ch := make(chan struct{})
	var o sync.Once
	return ch, func() { o.Do(func() { close(ch) }) }
}

// holdRequests makes panel p hold every request matching match until
// released (or the client gives up); arrived is closed by the first.
func holdRequests(p *panelsim.Panel, match func(panelsim.Request) bool) (arrived, release chan struct{}, free func()) {
	arrived, got := once()
	release, free = once()
	p.SetHook(func(ctx context.Context, req panelsim.Request) {
		if !match(req) {
			return
		}
		got()
		select {
		case <-release:
		case <-ctx.Done():
		}
	})
	return arrived, release, free
}

func isWrite(req panelsim.Request) bool {
	return req.Method == http.MethodPut || req.Method == http.MethodDelete || strings.Contains(req.Query, "action=add")
}

type runOutcome struct {
	res reconcile.Result
	err error
}

func start(r *reconcile.Runner, req reconcile.Request) <-chan runOutcome {
	out := make(chan runOutcome, 1)
	go func() {
		res, err := r.Run(bg, req)
		out <- runOutcome{res, err}
	}()
	return out
}

func finished(t *testing.T, ch <-chan runOutcome, what string) reconcile.Result {
	t.Helper()
	select {
	case o := <-ch:
		if o.err != nil {
			t.Fatalf("%s: %v", what, o.err)
		}
		return o.res
	case <-time.After(deadline):
		t.Fatalf("gave up waiting: %s", what)
	}
	return reconcile.Result{}
}

// A run whose run-lock connection is killed mid-write stops before its next
// panel request; a new run does not write that panel until then; and
// neither run's record is overwritten by the other.
func TestLostRunLockStopsWritesBeforeTheNextRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "beward", 2)
	w.contract(601, "6", true, true, "0000000000A601", 0, 1)
	if err := w.db.AddKey(bg, 601, "0000000000A602", nil); err != nil {
		t.Fatal(err)
	}
	tr := &trace{}
	lost, lose := once()
	a := w.instance("A", tr, func(msg string) {
		if strings.Contains(msg, "run lock lost") {
			lose()
		}
	})
	b := w.instance("B", tr, func(string) {})
	writing, _, free := holdRequests(w.fleet.Panel(0), func(req panelsim.Request) bool { return strings.Contains(req.Query, "action=add") })
	defer free()
	doneA := start(a, reconcile.Request{Trigger: "cli"})
	await(t, writing, "run A writing panel 0")
	w.fleet.Panel(0).SetHook(nil) // only A's first add is held
	runA := w.runningRun()
	w.killRunLock()
	startedB, markB := once()
	tr.onCall(func(who string, _ int) {
		if who == "B" {
			markB()
		}
	})
	doneB := start(b, reconcile.Request{Trigger: "cli"})
	await(t, startedB, "run B reading panels")
	if status, why := w.runRecord(runA); why == "interrupted" {
		t.Fatalf("run A's record after run B started: %s %q, closed by run B while A lived", status, why)
	}
	await(t, lost, "run A noticing its lock is gone")
	free()
	resA, resB := finished(t, doneA, "run A"), finished(t, doneB, "run B")
	checkLostLockOutcome(t, w, tr, resA, resB)
}

func checkLostLockOutcome(t *testing.T, w *world, tr *trace, resA, resB reconcile.Result) {
	t.Helper()
	if _, failed := resA.Failed[w.panels[0]]; !failed || resA.Status == reconcile.StatusOK {
		t.Fatalf("run A: got %+v failed %v, want panel 0 failed", resA.Summary, resA.Failed)
	}
	if resB.Status != reconcile.StatusOK {
		t.Fatalf("run B: got %+v failed %v error %q", resB.Summary, resB.Failed, resB.Error)
	}
	for _, res := range []reconcile.Result{resA, resB} {
		if got, err := w.db.Run(bg, res.RunID); err != nil || got != res.Summary {
			t.Fatalf("run %d recorded as %+v (%v), want %+v", res.RunID, got, err, res.Summary)
		}
	}
	if got := w.keys(0); got != "0000000000A601=6 0000000000A602=6 " {
		t.Fatalf("panel 0 holds %q", got)
	}
	// After A's held add, the next write to panel 0 is B's, after B read it.
	reqs := w.fleet.Panel(0).Requests()
	first := firstIndex(reqs, 0, func(r panelsim.Request) bool { return strings.Contains(r.Query, "action=add") })
	next := firstIndex(reqs, first+1, func(r panelsim.Request) bool { return isWrite(r) || strings.Contains(r.Query, "action=list") })
	if next < 0 || !strings.Contains(reqs[next].Query, "action=list") {
		t.Fatalf("panel 0 requests after run A's held add: %+v, want run B's list before any write", reqs[first:])
	}
	tr.checkNoOverlap(t)
	for i := range w.fleet.Len() {
		if got := w.fleet.Panel(i).MaxInFlight(); got != 1 {
			t.Fatalf("panel %d answered %d requests at once", i, got)
		}
	}
}

func firstIndex(reqs []panelsim.Request, from int, match func(panelsim.Request) bool) int {
	for i := from; i >= 0 && i < len(reqs); i++ {
		if match(reqs[i]) {
			return i
		}
	}
	return -1
}

// A revocation (sync/ with wait for one contract) completes while a full
// run of the same scheduler is stuck on a slow panel it does not need.
func TestRevocationDoesNotWaitBehindASlowPanel(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 2)
	w.contract(701, "1", true, true, "0000000000B701", 0)
	w.contract(702, "2", true, true, "0000000000B702", 1)
	w.runner.Opts.PanelTimeout = 10 * time.Second
	w.runner.Dial = panels.Dialer(panels.Options{Port: w.port, Scheme: "http", Timeout: 10 * time.Second})
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v", res.Summary)
	}
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 702`)
	stuck, _, free := holdRequests(w.fleet.Panel(0), func(panelsim.Request) bool { return true })
	defer free()
	sched := reconcile.NewScheduler(w.runner, time.Hour)
	ctx, cancel := context.WithCancel(bg)
	stopped := make(chan error, 1)
	go func() { stopped <- sched.Start(ctx) }()
	full, err := sched.Sync(bg, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	await(t, stuck, "the full run reaching the slow panel")
	revoked := make(chan runOutcome, 1)
	go func() {
		s, err := sched.Sync(bg, 702, true)
		revoked <- runOutcome{reconcile.Result{Summary: s.Summary}, err}
	}()
	got := finished(t, revoked, "the revocation")
	// The full run read the billing after 702 stopped paying: it may have
	// taken the key off panel 1 itself, as soon as it read it.
	if got.Status != reconcile.StatusOK || w.keys(1) != "" {
		t.Fatalf("revocation: got %+v, panel 1 %q", got.Summary, w.keys(1))
	}
	if status := w.runStatus(full.RunID); status != "running" {
		t.Fatalf("the full run is %q: the revocation waited for it", status)
	}
	free()
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}

// Two instances: a targeted run needing a panel a full run is writing waits
// for that panel only, never writes it at the same time, and completes while
// the full run is still stuck on another panel.
func TestTwoRunsNeverWriteOnePanelAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sokol", 2)
	w.contract(801, "1", true, true, "0000000000C801", 0, 1)
	w.contract(802, "2", true, true, "0000000000C802", 1)
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v", res.Summary)
	}
	if err := w.db.AddKey(bg, 801, "0000000000C803", nil); err != nil {
		t.Fatal(err)
	}
	tr := &trace{}
	waiting, wait := once()
	full := w.instance("full", tr, func(msg string) { t.Log("full: " + msg) })
	// The full run's held writes wait for the test, however long a loaded
	// machine takes the targeted run to reach panel 1.
	full.Dial = tr.dialer("full", panels.Dialer(panels.Options{Port: w.port, Scheme: "http", Timeout: deadline}))
	full.Opts.PanelTimeout = deadline
	// Trust in a lease lasts ttl - panel_timeout after each renewal: 15 s,
	// so a renewal a loaded machine delays never ends it.
	full.Opts.LeaseTTL = deadline + 15*time.Second
	targeted := w.instance("targeted", tr, func(msg string) {
		if strings.Contains(msg, "waiting for panel") {
			wait()
		}
	})
	targeted.Opts.LeaseTTL = targeted.Opts.PanelTimeout + 15*time.Second
	stuck0, _, free0 := holdRequests(w.fleet.Panel(0), isWrite)
	defer free0()
	writing1, _, free1 := holdRequests(w.fleet.Panel(1), isWrite)
	defer free1()
	doneFull := start(full, reconcile.Request{Trigger: "cli"})
	await(t, stuck0, "the full run writing panel 0")
	await(t, writing1, "the full run writing panel 1")
	w.fleet.Panel(1).SetHook(nil)
	// Contract 802 stops paying after the full run read the billing: only
	// the targeted run revokes it.
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 802`)
	doneT := start(targeted, reconcile.Request{Trigger: "api", UIDs: []int64{802}, Named: true})
	await(t, waiting, "the targeted run waiting for panel 1")
	free1()
	res := finished(t, doneT, "the targeted run")
	if res.Status != reconcile.StatusOK || res.Deleted != 1 || w.keys(1) != "0000000000C801=1 0000000000C803=1 " {
		t.Fatalf("targeted run: got %+v %v, panel 1 %q", res.Summary, res.Failed, w.keys(1))
	}
	fullID := w.runningRun()
	if status := w.runStatus(fullID); status != "running" {
		t.Fatalf("the full run is %q: the targeted run waited for all of it", status)
	}
	free0()
	if res := finished(t, doneFull, "the full run"); res.Status != reconcile.StatusOK {
		t.Fatalf("full run: got %+v %v", res.Summary, res.Failed)
	}
	tr.checkNoOverlap(t)
	if got := w.fleet.Panel(1).MaxInFlight(); got != 1 {
		t.Fatalf("panel 1 answered %d requests at once", got)
	}
}

// TestPanelsReadEarlyAreWrittenAtOnce: a full run reads panels while it
// still reads the billing. A panel read before the plan came is written as
// soon as the plan comes, not after every read ended: another panel still
// being read (here held until the first is written) does not hold it back.
func TestPanelsReadEarlyAreWrittenAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 2)
	w.contract(901, "1", true, true, "0000000000E901", 0, 1)
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
		t.Fatalf("first run: %+v", res.Summary)
	}
	if err := w.db.AddKey(bg, 901, "0000000000E902", nil); err != nil {
		t.Fatal(err)
	}
	// The billing answers only once panel 1 was read: its plan comes later.
	tx, err := w.billing.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(bg) }()
	if _, err := tx.Exec(bg, `LOCK TABLE contracts IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	read1, gotRead1 := once()
	wrote1, gotWrite1 := once()
	w.fleet.Panel(1).SetHook(func(_ context.Context, r panelsim.Request) {
		switch {
		case r.Method == http.MethodGet && r.Path == "/key/store":
			gotRead1()
		case r.Write:
			gotWrite1()
		}
	})
	w.fleet.Panel(0).SetHook(func(ctx context.Context, r panelsim.Request) {
		if r.Method == http.MethodGet && r.Path == "/key/store" { // panel 0 is read only once panel 1 is written
			select {
			case <-wrote1:
			case <-ctx.Done():
			}
		}
	})
	done := start(w.runner, reconcile.Request{Trigger: "cli"})
	await(t, read1, "the full run reading panel 1")
	if err := tx.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wrote1:
	case <-time.After(15 * time.Second):
		t.Fatal("panel 1, read before the plan came, was not written while panel 0 was still being read")
	}
	res := finished(t, done, "the full run")
	if res.Status != reconcile.StatusOK || res.Added != 2 {
		t.Fatalf("full run: got %+v %v", res.Summary, res.Failed)
	}
}
