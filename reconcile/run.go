package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Store is what a run reads from and records in the store.
type Store interface {
	Devices(ctx context.Context) ([]Device, error)
	DevicesByID(ctx context.Context, ids []int) ([]Device, error)
	Doors(ctx context.Context) ([]Door, error)
	DoorsOfLocks(ctx context.Context, locks []int) ([]Door, error)
	AllRights(ctx context.Context) (map[int64][]int, error)
	AllKeys(ctx context.Context) (map[int64][]string, error)
	OwnedKeys(ctx context.Context) ([]OwnedKey, error)
	KeysSharing(ctx context.Context, uid int64) (map[int64][]string, error)
	RightsOf(ctx context.Context, uids []int64) (map[int64][]int, error)
	OwnedKeysOf(ctx context.Context, uid int64, codes []string) ([]OwnedKey, error)
	ClaimKeys(ctx context.Context, keys []OwnedKey) error
	ForgetKeys(ctx context.Context, deviceID int, codes []string) error
	SetAccess(ctx context.Context, uid int64, states []Access) error
	RunLock(ctx context.Context, wait time.Duration) (release func(), err error)
	ReserveRunID(ctx context.Context) (int64, error)
	CloseInterrupted(ctx context.Context) error
	StartRun(ctx context.Context, id int64, trigger string, uid int64) (int64, error)
	FinishRun(ctx context.Context, s Summary, errText string, report any) error
}

// Observer is told what happens, for metrics and progress; every method must be cheap.
type Observer interface {
	RunDone(trigger string, s Summary, took time.Duration)
	PanelOp(family int, op string, err error)
	Progress(done, total int)
}

// Options tune runs (config section reconcile).
type Options struct {
	Concurrency  int           // panels worked on at once
	PanelTimeout time.Duration // per request; a panel's whole session gets a deadline derived from it
	Retries      int           // retries of a transient failure, with exponential backoff and jitter
	Backoff      time.Duration // first retry delay
	Prune        string        // PruneOwned or PruneAll
	MaxRevoke    float64       // guard share
	LockWait     time.Duration // how long a run that must happen waits for another instance's run
}

// Request asks for one run.
type Request struct {
	Trigger string // cron, api, cli
	UID     int64  // 0: full run
	Force   bool   // override the guard
	DryRun  bool   // calculate and return the plan, change nothing
	Skip    bool   // give up at once if another run holds the lock (scheduled runs)
	RunID   int64  // a reserved run id (see Store.ReserveRunID); 0: allocate one
	// Stop, when closed, drains the run: requests in flight finish, no new
	// panel request starts, and panels left undone count as failed.
	Stop <-chan struct{}
}

// Result is a run's summary with the plan it applied and what failed.
type Result struct {
	Summary
	Plan   Plan           `json:"plan"`
	Failed map[int]string `json:"failed,omitempty"` // panel id -> error
	Error  string         `json:"error,omitempty"`  // why the run failed as a whole
	// read counts the panels read: a run that read none failed; one that
	// read a panel and then failed on it is partial.
	read int
}

// Runner runs reconciles: observe, calculate, apply.
type Runner struct {
	Billing  Billing
	Store    Store
	Dial     PanelDialer
	Opts     Options
	Log      *slog.Logger
	Observer Observer
	// stop is the drain signal (Request.Stop) of the one run this copy of
	// the Runner performs: Run sets it on its own copy, so concurrent runs
	// never share it, and every panel request checks it before it starts.
	// It is a field, not a context value, so the context keeps its one job
	// (deadlines and cancellation) while a drain stops only new requests.
	stop <-chan struct{}
}

// Run performs one run under the run lock. A run that could not take the
// lock returns an error wrapping ErrBusy and changes nothing.
func (r *Runner) Run(ctx context.Context, req Request) (Result, error) {
	wait := r.Opts.LockWait
	if req.Skip {
		wait = 0
	}
	release, err := r.Store.RunLock(ctx, wait)
	if err != nil {
		return Result{}, err
	}
	defer release()
	start := time.Now()
	res := Result{}
	if !req.DryRun {
		if err := r.Store.CloseInterrupted(ctx); err != nil {
			return res, err
		}
		if res.RunID, err = r.Store.StartRun(ctx, req.RunID, req.Trigger, req.UID); err != nil {
			return res, err
		}
	}
	run := *r
	run.stop = req.Stop
	run.execute(ctx, req, &res)
	if req.DryRun {
		return res, nil
	}
	r.record(ctx, req, &res, time.Since(start))
	return res, nil
}

// record stores and reports the outcome; it must happen even when the
// caller's context is cancelled, so the run is not left 'running'.
func (r *Runner) record(ctx context.Context, req Request, res *Result, took time.Duration) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	report := map[string]any{"failed": res.Failed, "conflicts": res.Plan.Conflicts, "bad_flats": res.Plan.BadFlats,
		"held": heldCount(res.Plan), "unread": res.Plan.Unread}
	if err := r.Store.FinishRun(ctx, res.Summary, res.Error, report); err != nil {
		r.Log.Error("run not recorded", slog.Int64("run_id", res.RunID), slog.Any("error", err))
	}
	if r.Observer != nil {
		r.Observer.RunDone(req.Trigger, res.Summary, took)
	}
	attrs := []any{slog.Int64("run_id", res.RunID), slog.String("trigger", req.Trigger), slog.Int64("uid", req.UID),
		slog.String("status", res.Status), slog.Int("panels", res.Panels), slog.Int("failed_panels", res.FailedPanels),
		slog.Int("added", res.Added), slog.Int("rebound", res.Rebound), slog.Int("deleted", res.Deleted),
		slog.Bool("guarded", res.Guarded), slog.Int("bad_flats", len(res.Plan.BadFlats)),
		slog.Int("conflicts", len(res.Plan.Conflicts)), slog.Duration("took", took)}
	if res.Error != "" {
		attrs = append(attrs, slog.String("error", res.Error))
	}
	r.Log.Info("run finished", attrs...)
}

func heldCount(p Plan) int {
	n := 0
	for _, pp := range p.Panels {
		n += len(pp.Held)
	}
	return n
}

// execute is the run itself; every outcome lands in res.
func (r *Runner) execute(ctx context.Context, req Request, res *Result) {
	in, owned, err := r.observe(ctx, req.UID)
	if err != nil {
		r.fail(res, err)
		return
	}
	desired := Desire(in)
	clients, actual, failed := r.readPanels(ctx, r.scope(desired, owned, req.UID))
	res.Failed = failed
	res.Plan = Calculate(desired, actual, owned, PlanOptions{Prune: r.Opts.Prune, MaxRevoke: r.Opts.MaxRevoke, Force: req.Force, UID: req.UID})
	res.Panels, res.read = len(actual)+len(failed), len(actual)
	res.Guarded = res.Plan.Guarded
	if req.DryRun {
		res.Added, res.Rebound, res.Deleted = res.Plan.Counts()
		res.FailedPanels = len(failed)
		res.Status = status(res)
		return
	}
	r.apply(ctx, clients, res)
	if err := r.Store.SetAccess(ctx, req.UID, accessOf(desired.Access, req.UID)); err != nil {
		r.fail(res, err)
		return
	}
	res.FailedPanels = len(res.Failed)
	res.Status = status(res)
}

func (r *Runner) fail(res *Result, err error) {
	res.Status = StatusFailed
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

func accessOf(all []Access, uid int64) []Access {
	if uid == 0 {
		return all
	}
	var out []Access
	for _, a := range all {
		if a.UID == uid {
			out = append(out, a)
		}
	}
	return out
}

// observe reads the billing snapshot and the store's side of the desired
// state: everything on a full run, only what one contract's run needs on a
// targeted one.
func (r *Runner) observe(ctx context.Context, uid int64) (Inputs, []OwnedKey, error) {
	if uid != 0 {
		return r.observeContract(ctx, uid)
	}
	var in Inputs
	var owned []OwnedKey
	// The reads are independent: run them at once, so a run waits for the
	// slowest instead of their sum (~0.25 s of ~0.45 s at 100,000 contracts).
	errs := all(
		func() (err error) { in.Contracts, err = r.Billing.Snapshot(ctx); return err },
		func() (err error) { in.Devices, err = r.Store.Devices(ctx); return err },
		func() (err error) { in.Doors, err = r.Store.Doors(ctx); return err },
		func() (err error) { in.Rights, err = r.Store.AllRights(ctx); return err },
		func() (err error) { in.Keys, err = r.Store.AllKeys(ctx); return err },
		func() (err error) { owned, err = r.Store.OwnedKeys(ctx); return err },
	)
	if errs[0] != nil {
		return Inputs{}, nil, fmt.Errorf("billing snapshot, nothing changed: %w", errs[0])
	}
	if err := errors.Join(errs[1:]...); err != nil {
		return in, nil, fmt.Errorf("read store, nothing changed: %w", err)
	}
	return in, owned, nil
}

// all runs every step concurrently and returns their errors, in order.
func all(steps ...func() error) []error {
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, step := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = step()
		}()
	}
	wg.Wait()
	return errs
}

// scope lists the panels a run reads: every panel, or for a targeted run
// the panels the contract reaches now and those holding keys it owns.
func (r *Runner) scope(d Desired, owned []OwnedKey, uid int64) []PanelDevice {
	ids := map[int]bool{}
	if uid == 0 {
		for id := range d.Panels {
			ids[id] = true
		}
	} else {
		for _, id := range d.Reach(uid) {
			ids[id] = true
		}
		for _, k := range owned {
			if k.UID == uid {
				ids[k.DeviceID] = true
			}
		}
	}
	var out []PanelDevice
	for id := range ids {
		if p, ok := d.Panels[id]; ok {
			out = append(out, p)
		}
	}
	return out
}

// ErrStopped is returned by a scheduler that is shutting down.
var ErrStopped = errors.New("reconcile: scheduler stopped")
