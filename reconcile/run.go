package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Store is what a run reads from and records in the store.
// Store is everything a run needs of the store, one small interface per
// step: observe (FullReader, TargetedReader), bookkeeping (Bookkeeper),
// taking turns (Locker) and recording runs (RunRecorder).
type Store interface {
	FullReader
	TargetedReader
	Bookkeeper
	Locker
	RunRecorder
}

// FullReader is what a full run observes.
type FullReader interface {
	Devices(ctx context.Context) ([]Device, error)
	Doors(ctx context.Context) ([]Door, error)
	AllRights(ctx context.Context) (map[int64][]int, error)
	AllKeys(ctx context.Context) (map[int64][]string, error)
	OwnedKeys(ctx context.Context) ([]OwnedKey, error)
	Tombstones(ctx context.Context) ([]PanelDevice, error)
	AccessOf(ctx context.Context, uids []int64) ([]Access, error)
}

// TargetedReader is what a run of a few contracts observes, by index.
type TargetedReader interface {
	DevicesByID(ctx context.Context, ids []int) ([]Device, error)
	DoorsOfLocks(ctx context.Context, locks []int) ([]Door, error)
	KeysSharing(ctx context.Context, uids []int64) (map[int64][]string, error)
	RightsOf(ctx context.Context, uids []int64) (map[int64][]int, error)
	OwnedKeysOf(ctx context.Context, uids []int64, codes []string, devices []int) ([]OwnedKey, error)
	// PaidContracts counts the contracts recorded as paid on some panel.
	PaidContracts(ctx context.Context) (int, error)
}

// Bookkeeper records what the panels hold: ownership before a push (sent)
// or as found (adopted), deletes before they are sent, records let go once
// their key is seen gone for good, access states, and deleted panels let go.
type Bookkeeper interface {
	ClaimKeys(ctx context.Context, keys []OwnedKey, sent bool) error
	MarkDeleting(ctx context.Context, deviceID int, codes []string) error
	ForgetGone(ctx context.Context, deviceID int, codes []string, settle time.Duration) (kept []int64, err error)
	ForgetKeys(ctx context.Context, deviceID int, codes []string) error
	ApplyAccess(ctx context.Context, set, gone []Access) error
	DropTombstones(ctx context.Context) error
}

// Locker keeps full runs taking turns and two runs off one panel.
type Locker interface {
	RunLock(ctx context.Context, wait time.Duration) (Lock, error)
	Leaser
}

// RunRecorder keeps the history of runs.
type RunRecorder interface {
	ReserveRunID(ctx context.Context) (int64, error)
	CloseInterrupted(ctx context.Context) error
	StartRun(ctx context.Context, id int64, trigger string, uids []int64) (int64, error)
	// MarkHeld records that the guard holds a running run's deletions.
	MarkHeld(ctx context.Context, id int64) error
	FinishRun(ctx context.Context, s Summary, errText string, report any) error
}

// Observer is told what happens, for metrics and progress; every method must be cheap.
type Observer interface {
	RunDone(trigger string, s Summary, took time.Duration)
	// Duplicates tells how many contracts a full run found with several snapshot rows.
	Duplicates(n int)
	PanelOp(family int, op string, err error)
	// Progress tells how far a stage of the run is (StageLock, StageRead,
	// StageWrite); total is -1 while the stage cannot count (a lock wait).
	Progress(stage string, done, total int)
}

// CallsObserver is an Observer told how many flats a run switched
// (reconcile.block_calls).
type CallsObserver interface {
	CallsDone(off, on int)
}

// Stages of a run, as Observer.Progress names them.
const (
	StageLock  = "waiting for another run"
	StageRead  = "reading panels"
	StageWrite = "writing panels"
)

// Options tune runs (config section reconcile).
type Options struct {
	Concurrency  int           // panels worked on at once
	PanelTimeout time.Duration // per request; a panel's whole session gets a deadline derived from it
	Retries      int           // retries of a transient failure, with exponential backoff and jitter
	Backoff      time.Duration // first retry delay
	Prune        string        // PruneOwned or PruneAll
	MaxRevoke    float64       // guard share (see guard.go)
	GuardMin     int           // revoking up to this many contracts is never held (see guard.go)
	LockWait     time.Duration // how long a run that must happen waits for another full run, or for a busy panel
	LeaseTTL     time.Duration // panel lease lifetime; 0 or not above PanelTimeout: 3 × PanelTimeout
	StoreTimeout time.Duration // bound of each step of a run's store calls (0: DefaultStoreTimeout)
	// Settle is how long after an add or rebind was sent the key may still
	// land on the panel (every try, and a request's time after the last);
	// 0: (Retries + 2) × PanelTimeout. A record of a key deleted sooner
	// stays until a run after that sees the key gone.
	Settle time.Duration
	// Families names the family of each devices.paneltype (panels.families);
	// nil: DefaultFamilies. A paneltype it does not name is no panel.
	Families Families
	// BlockCalls turns off the calls of flats whose contracts are all
	// connected but unpaid (reconcile.block_calls; see calls.go).
	BlockCalls bool
}

// Request asks for one run.
type Request struct {
	Trigger string  // cron, api, cli
	UIDs    []int64 // the contracts of a targeted run; none: a full run
	// Named marks UIDs asked for by name (sync/ {"uid"}, reconcile --uid):
	// only such a run revokes past the guard. Batches of API changes, watch
	// changes and the fan-out of a device or door edit leave it false.
	Named bool
	// MeasureFleet makes the guard measure a batch against every contract
	// paid before it, not only those in the batch: a watch batch's
	// contracts are the billing's changes, a share of the whole billing.
	MeasureFleet bool
	// Panel, when set, runs that one panel (a device id) against the whole
	// desired state: after a panel was replaced or repaired. It is guarded
	// like a full run, takes no full-run lock, and leaves other panels alone.
	Panel  int
	Force  bool  // override the guard
	DryRun bool  // calculate and return the plan, change nothing
	Skip   bool  // give up at once if another run holds the lock (scheduled runs)
	RunID  int64 // a reserved run id (see Store.ReserveRunID); 0: allocate one
	// Stop, when closed, drains the run: requests in flight finish, no new
	// panel request starts, and panels left undone count as failed.
	Stop <-chan struct{}
	// Progress, when set, is told the run's panels as each settles, for a
	// caller that answers before the run ends (sync/ with wait).
	Progress *Progress
}

// Result is a run's summary with the plan it applied and what failed.
type Result struct {
	Summary
	Plan   Plan           `json:"plan"`
	Failed map[int]string `json:"failed,omitempty"` // panel id -> error
	// Unburied holds the deleted panels (tombstones) that could not be read:
	// later runs retry them. They do not make the run partial: a panel taken
	// off the wall is often the reason it was deleted.
	Unburied map[int]string `json:"unburied,omitempty"`
	// Yielded holds the panels this run left alone because a run that
	// started after it (so read the billing later) wrote them since: its
	// plan for them was older than what they hold. The next run plans them
	// afresh; they do not make this run partial.
	Yielded map[int]string `json:"yielded,omitempty"`
	Error   string         `json:"error,omitempty"` // why the run failed as a whole
	// CallsOff and CallsOn count the flats whose calls the run turned off
	// and put back, as the panels showed them (reconcile.block_calls).
	CallsOff int `json:"calls_off"`
	CallsOn  int `json:"calls_on"`
	// Recheck lists the contracts whose keys were deleted so soon after an
	// add that the add may still land: their records stay, and they are to
	// be run again (by name) after RecheckAfter, when it cannot.
	Recheck      []int64       `json:"recheck,omitempty"`
	RecheckAfter time.Duration `json:"-"`
	// Refill lists the panels whose read-back found keys they held gone
	// (a reboot, a lost table): a run of each is to follow at once.
	Refill []int `json:"refill,omitempty"`
	// read counts the panels read: a run that read none failed; one that
	// read a panel and then failed on it is partial.
	read int
}

// Runner runs reconciles: observe, calculate, apply. It is configuration
// and dependencies only, built once and shared by concurrent runs; each run
// keeps its own state in a run (see Run).
type Runner struct {
	Billing  Billing
	Store    Store
	Dial     PanelDialer
	Opts     Options
	Log      *slog.Logger
	Observer Observer
	// Contacts, when set, gathers the panel status that a RecordingDialer
	// built on it records; each run writes it once at its end.
	Contacts *ContactBatch
	// Desires, when set, keeps the desired state between full runs (a
	// daemon's): a run whose billing and store read the same as the last
	// full run's reuses it.
	Desires *DesireCache
}

// run is one run's state, apart from the Runner that performs it: the
// Runner is configuration and dependencies, shared by concurrent runs;
// each run is its own value, so nothing of one run leaks into another.
type run struct {
	*Runner
	req Request
	// stop is the run's drain signal (Request.Stop): every panel request
	// checks it before it starts. It is a field, not a context value, so
	// the context keeps its one job (deadlines and cancellation) while a
	// drain stops only new requests.
	stop <-chan struct{}
	// changes gathers this run's panel writes for the change log.
	changes *runChanges
	// uncertain gathers the contracts whose records this run kept because
	// an add may still land (see forgetGone).
	uncertain *uidSet
	// lost gathers the panels whose read-back found desired keys gone.
	lost *uidSet
	// calls counts the flats this run switched (see switchCalls).
	calls *callTally
	// progress is the run's Request.Progress.
	progress *Progress
}

// newRun starts the state of one run of req, recorded as run id.
func (r *Runner) newRun(req Request, id int64) *run {
	rn := &run{Runner: r, req: req, stop: req.Stop, uncertain: &uidSet{}, lost: &uidSet{}, calls: &callTally{},
		progress: req.Progress}
	if !req.DryRun {
		rn.changes = newRunChanges(r.Store, id)
	}
	return rn
}

// Run performs one run. Full runs take turns under the run lock; a full
// run that could not take it returns an error wrapping ErrBusy and changes
// nothing. Every run talks to a panel only under that panel's lease.
func (r *Runner) Run(ctx context.Context, req Request) (Result, error) {
	lock, err := r.fullRunLock(ctx, req)
	if err != nil {
		return Result{}, err
	}
	if lock != nil {
		defer lock.Release()
	}
	start := time.Now()
	res := Result{}
	if !req.DryRun {
		if res.RunID, err = r.startRun(ctx, req); err != nil {
			return res, err
		}
	}
	run := r.newRun(req, res.RunID)
	l := run.newLeases(res.RunID, lock)
	l.start(ctx)
	run.execute(ctx, &res, l)
	l.close(ctx)
	if !req.DryRun {
		res.CallsOff, res.CallsOn = run.calls.counts()
	}
	if res.Recheck = run.uncertain.list(); len(res.Recheck) > 0 {
		res.RecheckAfter = r.settle()
	}
	for _, id := range run.lost.list() {
		res.Refill = append(res.Refill, int(id))
	}
	if err := run.changes.flush(ctx); err != nil {
		r.Log.Warn("change log not written", slog.Int64("run_id", res.RunID), slog.Any("error", err))
	}
	if err := r.Contacts.Flush(ctx); err != nil {
		r.Log.Warn("panel status not recorded", slog.Int64("run_id", res.RunID), slog.Any("error", err))
	}
	if req.DryRun {
		return res, nil
	}
	r.record(ctx, req, &res, time.Since(start))
	return res, nil
}

// fullRunLock takes the run lock for a full run: full runs still take
// turns. A targeted run takes none; its panels' leases are enough.
func (r *Runner) fullRunLock(ctx context.Context, req Request) (Lock, error) {
	if len(req.UIDs) != 0 || req.Panel != 0 {
		return nil, nil
	}
	if r.Observer != nil && !req.Skip {
		r.Observer.Progress(StageLock, 0, -1)
	}
	wait := r.Opts.LockWait
	if req.Skip {
		wait = 0
	}
	return r.Store.RunLock(ctx, wait)
}

// record stores and reports the outcome; it must happen even when the
// caller's context is cancelled, so the run is not left 'running'.
func (r *Runner) record(ctx context.Context, req Request, res *Result, took time.Duration) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	report := map[string]any{"panel": req.Panel, "guard": res.Plan.Guard, "recheck": res.Recheck, "refill": res.Refill, "failed": res.Failed, "conflicts": res.Plan.Conflicts, "bad_flats": res.Plan.BadFlats,
		"held": heldCount(res.Plan), "unread": res.Plan.Unread, "duplicates": res.Plan.Duplicates,
		"unburied": res.Unburied, "yielded": res.Yielded,
		"access_changes": len(res.Plan.Access) + len(res.Plan.AccessGone), "access_held": len(res.Plan.AccessHeld),
		"calls_off": res.CallsOff, "calls_on": res.CallsOn, "calls_held": callsHeld(res.Plan)}
	if err := r.Store.FinishRun(ctx, res.Summary, res.Error, report); err != nil {
		r.Log.Error("run not recorded", slog.Int64("run_id", res.RunID), slog.Any("error", err))
	}
	if r.Observer != nil {
		r.Observer.RunDone(req.Trigger, res.Summary, took)
		if co, ok := r.Observer.(CallsObserver); ok {
			co.CallsDone(res.CallsOff, res.CallsOn)
		}
		if len(req.UIDs) == 0 {
			r.Observer.Duplicates(len(res.Plan.Duplicates))
		}
	}
	attrs := []any{slog.Int64("run_id", res.RunID), slog.String("trigger", req.Trigger), slog.Any("uids", req.UIDs),
		slog.Bool("named", req.Named),
		slog.String("status", res.Status), slog.Int("panels", res.Panels), slog.Int("failed_panels", res.FailedPanels),
		slog.Int("added", res.Added), slog.Int("rebound", res.Rebound), slog.Int("deleted", res.Deleted),
		slog.Int("calls_off", res.CallsOff), slog.Int("calls_on", res.CallsOn),
		slog.Bool("guarded", res.Guarded), slog.Int("bad_flats", len(res.Plan.BadFlats)),
		slog.Int("conflicts", len(res.Plan.Conflicts)), slog.Any("duplicates", res.Plan.Duplicates),
		slog.Int("access_changes", len(res.Plan.Access)+len(res.Plan.AccessGone)), slog.Duration("took", took)}
	if res.Error != "" {
		attrs = append(attrs, slog.String("error", res.Error))
	}
	if res.Guarded && res.Plan.Guard != nil {
		attrs = append(attrs, slog.String("guard", res.Plan.Guard.String()+": deletions held"))
	}
	r.Log.Log(ctx, runLevel(res.Status), "run finished", attrs...)
}

// runLevel is the log level of a run's outcome: an operator's alerting on
// warnings and errors must see every run that did not do all it should.
func runLevel(status string) slog.Level {
	switch status {
	case StatusOK:
		return slog.LevelInfo
	case StatusFailed:
		return slog.LevelError
	}
	return slog.LevelWarn // partial, guarded
}

func callsHeld(p Plan) int {
	n := 0
	for _, pp := range p.Panels {
		n += len(pp.CallsHeld)
	}
	return n
}

func heldCount(p Plan) int {
	n := 0
	for _, pp := range p.Panels {
		n += len(pp.Held)
	}
	return n
}

// execute is the run itself; every outcome lands in res, and the counts
// say what happened even when the run fails halfway.
//
// The guard is decided from the billing and the recorded access states
// before any panel is planned, so a panel read once the run has its plan
// is written at once, under the lease it was read under: a slow panel
// delays only itself. Panels a full run read while it was still reading
// the billing are written after the reads, each under a new lease.
func (r *run) execute(ctx context.Context, res *Result, l *leases) {
	req := r.req
	defer conclude(res)
	opt := PlanOptions{Prune: r.Opts.Prune, MaxRevoke: r.Opts.MaxRevoke, GuardMin: r.Opts.GuardMin, Force: req.Force,
		UIDs: req.UIDs, Named: req.Named, Panel: req.Panel, BlockCalls: r.Opts.BlockCalls}
	o, reads, err := r.observeReading(ctx, req, l, opt)
	if err == nil && req.MeasureFleet && len(req.UIDs) > 0 {
		err = r.storeStep(ctx, func(ctx context.Context) (err error) { opt.PaidFleet, err = r.Store.PaidContracts(ctx); return err })
	}
	if err != nil {
		if reads != nil {
			reads.cancel()
		}
		r.fail(res, err)
		return
	}
	opt.Recorded = o.access
	desired := r.desire(req, o.in)
	if err == nil && opt.BlockCalls && len(req.UIDs) > 0 {
		err = r.storeStep(ctx, func(ctx context.Context) error { return r.completeFlats(ctx, &desired, o.in, req.UIDs) })
	}
	if err != nil {
		if reads != nil {
			reads.cancel()
		}
		r.fail(res, err)
		return
	}
	o.in = Inputs{} // read into desired: let it go before the panels are planned
	s := newScope(desired, o.owned, opt)
	err = r.storeStep(ctx, func(ctx context.Context) (err error) { opt.Calls, err = r.callRecords(ctx, s.panels); return err })
	if err != nil {
		if reads != nil {
			reads.cancel()
		}
		r.fail(res, err)
		return
	}
	r.changes.know(o.owned)
	if reads == nil {
		reads = r.startReads(ctx, l, s.devices(desired))
	}
	b := s.planner(desired, o.owned, opt)
	if b.guard.Held && !req.DryRun {
		if err := r.storeStep(ctx, func(ctx context.Context) error { return r.Store.MarkHeld(ctx, res.RunID) }); err != nil {
			reads.cancel()
			r.fail(res, err)
			return
		}
	}
	sess := &panelSessions{leases: l, replan: b.replanner(), newer: b.newerCodes(r.Store, res.RunID)}
	out := newSessionsOut()
	if !req.DryRun {
		reads.writeWith(r, sess, out)
	}
	early, earlyClients := reads.planWith(b)
	var earlyDone sync.WaitGroup
	if len(early) > 0 {
		earlyDone.Add(1)
		go func() {
			defer earlyDone.Done()
			r.writePlans(ctx, sess, earlyClients, early, out)
		}()
	}
	clients, read, failed := reads.wait()
	earlyDone.Wait()
	if req.Panel != 0 && len(s.panels) == 0 {
		r.fail(res, Errorf(ErrNotFound, "device %d is not an active panel (type 1 or 2 with a paneltype and an address)", req.Panel))
		return
	}
	res.Failed, res.Unburied = splitTombstones(failed, desired)
	res.Plan = b.finish(func(id int) bool { return read[id] })
	r.progress.planned(res.Plan.Panels)
	set, gone := s.access(desired, o.access)
	res.Plan.setAccess(set, gone, o.access)
	res.Panels, res.read = len(read)+len(res.Failed), len(read)
	res.Guarded = res.Plan.Guarded
	if req.DryRun {
		res.Added, res.Rebound, res.Deleted = res.Plan.Counts()
		res.CallsOff, res.CallsOn = res.Plan.CallCounts()
		return
	}
	r.apply(ctx, sess, clients, res.Plan, out)
	out.into(res, desired)
	r.Contacts.applied(l, out.clients, res)
	err = r.storeStep(ctx, func(ctx context.Context) error {
		return errors.Join(r.Store.ApplyAccess(ctx, res.Plan.Access, res.Plan.AccessGone), r.Store.DropTombstones(ctx))
	})
	if err != nil {
		r.fail(res, err)
	}
}

// desire builds the desired state; a full observation may reuse the last one.
func (r *Runner) desire(req Request, in Inputs) Desired {
	if len(req.UIDs) > 0 {
		return Desire(in)
	}
	return r.Desires.desire(in)
}

// splitTombstones moves the tombstones out of the failed panels.
func splitTombstones(failed map[int]string, desired Desired) (live, dead map[int]string) {
	for id, msg := range failed {
		if _, ok := desired.Tombstones[id]; ok {
			if dead == nil {
				dead = map[int]string{}
			}
			dead[id] = msg
			delete(failed, id)
		}
	}
	return failed, dead
}

// conclude derives the failed count and status from what happened.
func conclude(res *Result) {
	res.FailedPanels = len(res.Failed)
	res.Status = status(res)
}

func (r *Runner) fail(res *Result, err error) {
	res.Error = err.Error()
}

func status(res *Result) string {
	switch {
	case res.Error != "":
		return StatusFailed
	case len(res.Failed) > 0 && res.read == 0:
		// No panel could even be read. A panel that was read and then
		// failed (a refused add, a write it did not keep) makes the run
		// partial: the run did what it could and the next run repairs.
		return StatusFailed
	case len(res.Failed) > 0:
		return StatusPartial
	case res.Guarded:
		return StatusGuarded
	}
	return StatusOK
}

// ErrStopped is returned by a scheduler that is shutting down.
var ErrStopped = errors.New("reconcile: scheduler stopped")
