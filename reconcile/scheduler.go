package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// Scheduler turns triggers (cron ticks, sync/ calls, API changes, the
// billing watch, a panel that lost its keys) into runs. Its rules are the
// table below (rules): what each trigger queues, which waiting run a new
// request joins, and how many runs of each kind go at once. A trigger for a
// run already waiting joins it, so a burst of triggers during a run queues
// one follow-up of each kind, never a pile. The scheduler does no store I/O
// under its mutex.
type Scheduler struct {
	runner   *Runner
	log      *slog.Logger
	debounce time.Duration
	// SyncWait bounds how long Sync and SyncPanel with wait wait, from the
	// call's arrival: then they answer the run's counts so far with the
	// panels still in progress, and the run goes on. Zero waits for the
	// whole run. Set it before the first call.
	SyncWait time.Duration
	// run performs one run: runner.Run, or a test's stand-in.
	run func(ctx context.Context, req Request) (Result, error)

	mu      sync.Mutex
	queue   []*job         // waiting, in order
	touched map[int64]bool // uids changed through the API, not yet queued
	revoked map[int64]bool // among touched: only named revocations (see Revoke)
	timer   *time.Timer
	first   time.Time // first touch not yet queued
	last    time.Time // latest touch
	wake    chan struct{}
	stopped bool
	running [pools]int // runs under way, by pool
	runs    sync.WaitGroup
}

type jobKind int

const (
	fullJob  jobKind = iota // every contract and panel
	namedJob                // contracts named: sync/ {"uid"}, or revoked by name
	batchJob                // contracts changed through the API or seen changed by the watch
	panelJob                // one panel: sync/ {"device_id"}, or a refill
)

// A pool is a set of kinds whose runs share a cap on how many go at once.
type pool int

const (
	fullRuns     pool = iota // full runs, one at a time
	targetedRuns             // every other kind, beside a full run
	pools
)

// caps is how many runs of each pool go at once. Runs of different pools
// go side by side: their panels' leases keep two runs off one panel.
var caps = [pools]int{fullRuns: 1, targetedRuns: maxTargeted}

// maxTargeted bounds the runs other than full runs (named, batch and
// panel runs) one scheduler makes at once.
const maxTargeted = 4

// rule is how the scheduler treats one kind of run.
type rule struct {
	pool pool
	// joins reports whether a new request of the kind joins waiting, a
	// run of the kind already queued, instead of queueing a run of its own.
	joins func(waiting, req Request) bool
}

// rules is the scheduler in one table. Who queues each kind:
//
//	kind   queued by                                   joins          guarded  waits for
//	full   Tick (cron), Sync uid 0                      any waiting    yes      the full run under way
//	named  Sync uid, Revoke (after debounce), Recheck   any waiting    no       maxTargeted others
//	batch  Touch (after debounce), Batch (watch)        any waiting    yes      maxTargeted others
//	panel  SyncPanel, Refill                            same panel     -        maxTargeted others
//
// Debounce: Touch and Revoke gather uids until none came for the debounce
// interval, at most maxGather intervals from the first. A uid named by
// Sync or Revoke leaves the waiting batch (the named run covers it, without
// the guard), and a batch gathers no uid the waiting named run holds.
// Rechecks of uncertain writes come back as Revoke after Result.RecheckAfter;
// a panel whose read-back found keys gone comes back as Refill at once,
// except from a refill run.
var rules = map[jobKind]rule{
	fullJob:  {pool: fullRuns, joins: anyWaiting},
	namedJob: {pool: targetedRuns, joins: anyWaiting},
	batchJob: {pool: targetedRuns, joins: anyWaiting},
	panelJob: {pool: targetedRuns, joins: func(waiting, req Request) bool { return waiting.Panel == req.Panel }},
}

func anyWaiting(Request, Request) bool { return true }

type job struct {
	kind     jobKind
	req      Request
	progress *Progress // req.Progress, read without s.mu
	done     chan struct{}
	res      Result
	err      error
}

// end tells the job's waiters it is over, res and err set: done first, so
// a waiter woken by the progress finds done closed.
func (j *job) end() {
	close(j.done)
	j.progress.finish(j.res.Summary)
}

// NewScheduler builds a scheduler; debounce is how long API changes are
// gathered before their batch run is queued.
func NewScheduler(r *Runner, debounce time.Duration) *Scheduler {
	return &Scheduler{runner: r, log: r.Log, debounce: debounce, run: r.Run,
		touched: map[int64]bool{}, revoked: map[int64]bool{}, wake: make(chan struct{}, 1)}
}

// Start runs queued jobs until ctx is done; the runs in flight finish first.
func (s *Scheduler) Start(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			s.stop()
			s.runs.Wait()
			return nil
		case <-s.wake:
		}
		s.dispatch(ctx)
	}
}

// dispatch starts every queued job that may start now, each in its own
// goroutine; once serve stops, queued jobs are left to stop.
func (s *Scheduler) dispatch(ctx context.Context) {
	for ctx.Err() == nil {
		j := s.next()
		if j == nil {
			return
		}
		// The run is not cancelled mid-request when serve stops: it drains.
		j.req.Stop = ctx.Done()
		s.runs.Add(1)
		go func() {
			defer s.runs.Done()
			s.runJob(context.WithoutCancel(ctx), j)
			s.finished(j)
		}()
	}
}

// next takes the first queued job that may start now: one whose pool is
// under its cap.
func (s *Scheduler) next() *job {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	for i, j := range s.queue {
		p := rules[j.kind].pool
		if s.running[p] >= caps[p] {
			continue
		}
		s.queue = append(s.queue[:i:i], s.queue[i+1:]...)
		s.running[p]++
		return j
	}
	return nil
}

// finished frees the job's slot and wakes the loop for the jobs it held back.
func (s *Scheduler) finished(j *job) {
	s.mu.Lock()
	s.running[rules[j.kind].pool]--
	s.mu.Unlock()
	s.kick()
}

func (s *Scheduler) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Scheduler) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for _, j := range s.queue {
		j.err = ErrStopped
		j.end()
	}
	s.queue = nil
}

func (s *Scheduler) runJob(ctx context.Context, j *job) {
	j.res, j.err = s.run(ctx, j.req)
	if uids := j.res.Recheck; j.err == nil && len(uids) > 0 {
		// Keys deleted so soon after their add that the add may still
		// land: look again, by name, once it cannot.
		time.AfterFunc(j.res.RecheckAfter, func() { s.Revoke(uids...) })
	}
	for _, id := range j.res.Refill {
		if j.req.Trigger == "refill" {
			break // a panel that loses its keys again waits for the schedule
		}
		// A panel lost keys it held during the session: put them back now,
		// not at the next scheduled run.
		s.Refill(id)
	}
	if errors.Is(j.err, ErrBusy) && !j.req.Skip && j.req.RunID != 0 {
		s.runner.recordBusy(ctx, j.req, j.err)
	}
	if j.err != nil {
		level := slog.LevelWarn
		if j.req.Skip && errors.Is(j.err, ErrBusy) {
			level = slog.LevelInfo // a scheduled run simply skips
		}
		s.log.Log(ctx, level, "run not started", "trigger", j.req.Trigger, "uids", j.req.UIDs, "error", j.err)
	}
	j.end()
}

// waiting returns the queued job of kind that req joins (see rules), or
// nil. Caller holds s.mu.
func (s *Scheduler) waiting(kind jobKind, req Request) *job {
	for _, j := range s.queue {
		if j.kind == kind && rules[kind].joins(j.req, req) {
			return j
		}
	}
	return nil
}

// enqueue returns the queued job of kind that req joins, or queues req as a
// new one. Caller holds s.mu.
func (s *Scheduler) enqueue(kind jobKind, req Request) (j *job, joined bool) {
	if j := s.waiting(kind, req); j != nil {
		return j, true
	}
	return s.push(kind, req), false
}

// push queues a new job and wakes the loop. Caller holds s.mu.
func (s *Scheduler) push(kind jobKind, req Request) *job {
	j := &job{kind: kind, req: req, progress: NewProgress(), done: make(chan struct{})}
	j.req.Progress = j.progress
	s.queue = append(s.queue, j)
	s.kick()
	return j
}

// Tick queues a scheduled full run unless a full run is waiting already. The
// run is skipped (not started, not recorded) when another full run, of this
// instance or another, holds the run lock.
func (s *Scheduler) Tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.enqueue(fullJob, Request{Trigger: "cron", Skip: true})
}

// Sync queues a run for the API (uid 0: full; else that contract, by name,
// joining the named run waiting if there is one) and, with wait, returns
// the summary of the run that covers it, or what it did so far when it is
// still going SyncWait after the call (see await).
func (s *Scheduler) Sync(ctx context.Context, uid int64, wait bool) (SyncAnswer, error) {
	arrived := time.Now()
	// Reserved before taking the mutex: an id the run it joins already has
	// is simply not used (a gap in the sequence, nothing more).
	id, err := s.runner.Store.ReserveRunID(ctx)
	if err != nil {
		return SyncAnswer{}, err
	}
	j, id, err := s.syncJob(uid, id)
	if err != nil {
		return SyncAnswer{}, err
	}
	if !wait {
		return SyncAnswer{Summary: Summary{RunID: id}}, nil
	}
	return s.await(ctx, j, id, arrived)
}

// SyncPanel queues a run of one panel (sync/ {"device_id"}, the status
// page's button) and, with wait, returns its summary, as Sync does. A run
// of that panel already waiting is joined.
func (s *Scheduler) SyncPanel(ctx context.Context, deviceID int, wait bool) (SyncAnswer, error) {
	arrived := time.Now()
	if deviceID <= 0 {
		return SyncAnswer{}, Errorf(ErrInvalid, "device_id %d is not a panel id", deviceID)
	}
	id, err := s.runner.Store.ReserveRunID(ctx)
	if err != nil {
		return SyncAnswer{}, err
	}
	s.mu.Lock()
	j, err := s.panelJob(deviceID, id, "api")
	s.mu.Unlock()
	if err != nil {
		return SyncAnswer{}, err
	}
	if !wait {
		return SyncAnswer{Summary: Summary{RunID: j.req.RunID}}, nil
	}
	return s.await(ctx, j, j.req.RunID, arrived)
}

// Refill queues a run of one panel whose keys went missing (a reboot, a
// lost table), joining a run of that panel already waiting.
func (s *Scheduler) Refill(deviceID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.panelJob(deviceID, 0, "refill"); err != nil {
		s.log.Info("panel refill not queued", "panel_id", deviceID, "error", err)
	}
}

// panelJob finds the waiting run of the panel or queues one. Caller holds s.mu.
func (s *Scheduler) panelJob(deviceID int, id int64, trigger string) (*job, error) {
	if s.stopped {
		return nil, ErrStopped
	}
	j, _ := s.enqueue(panelJob, Request{Trigger: trigger, Panel: deviceID, RunID: id})
	return j, nil
}

// syncJob finds or queues the job a sync/ joins and returns it with its run id.
func (s *Scheduler) syncJob(uid, id int64) (*job, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil, 0, ErrStopped
	}
	kind, req := fullJob, Request{Trigger: "api", RunID: id}
	if uid != 0 {
		kind, req.UIDs, req.Named = namedJob, []int64{uid}, true
		s.unbatch(uid)
	}
	j, joined := s.enqueue(kind, req)
	if !joined {
		return j, id, nil
	}
	if j.req.RunID == 0 {
		// An API call joining a queued scheduled run makes it a run that
		// must happen: it gets an id to answer and waits for the lock.
		j.req.RunID, j.req.Skip = id, false
	}
	if uid != 0 && !slices.Contains(j.req.UIDs, uid) {
		j.req.UIDs = append(j.req.UIDs, uid)
	}
	return j, j.req.RunID, nil
}

// unbatch takes uid out of the waiting batch: the named run covers it, and
// without the guard. A batch left empty is dropped. Caller holds s.mu.
func (s *Scheduler) unbatch(uid int64) {
	b := s.waiting(batchJob, Request{})
	if b == nil {
		return
	}
	b.req.UIDs = slices.DeleteFunc(b.req.UIDs, func(u int64) bool { return u == uid })
	if len(b.req.UIDs) == 0 {
		s.queue = slices.DeleteFunc(s.queue, func(j *job) bool { return j == b })
		b.end()
	}
}

// Touch schedules a batch run for contracts changed through the API,
// gathering changes until none came for the debounce interval (at most
// maxGather debounce intervals): a burst of changes becomes one run.
func (s *Scheduler) Touch(uids ...int64) { s.touch(false, uids) }

// Revoke is Touch for a revocation someone asked for by naming the
// contract (rights_del, keys_del, users/clients/delete): a contract only
// revoked this way while changes gather goes into a named run, never held
// by the guard; one also changed otherwise goes with the batch.
func (s *Scheduler) Revoke(uids ...int64) { s.touch(true, uids) }

func (s *Scheduler) touch(named bool, uids []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, uid := range uids {
		if named && !s.touched[uid] {
			s.revoked[uid] = true
		} else if !named {
			delete(s.revoked, uid)
		}
		s.touched[uid] = true
	}
	s.last = time.Now()
	if s.timer == nil && len(s.touched) > 0 {
		s.first = s.last
		s.timer = time.AfterFunc(s.debounce, s.gathered)
	}
}

// Batch queues a batch run for contracts found changed at once (a watch
// tick has gathered them already): no debounce, and changes gathered from
// the API so far go with it. The batch is guarded like a full run.
func (s *Scheduler) Batch(uids ...int64) {
	s.mu.Lock()
	for _, uid := range uids {
		s.touched[uid] = true
		delete(s.revoked, uid)
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
	s.flushTouched("watch")
}

// maxGather bounds the gathering of a steady stream of changes, in debounce
// intervals, so the first change of the stream waits at most that long.
const maxGather = 10

// gathered runs when the debounce interval passed: it waits on while changes
// keep coming (within maxGather), then queues them.
func (s *Scheduler) gathered() {
	s.mu.Lock()
	quiet := time.Until(s.last.Add(s.debounce))
	if quiet > 0 && time.Since(s.first) < maxGather*s.debounce {
		s.timer = time.AfterFunc(quiet, s.gathered)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.flushTouched("api")
}

// flushTouched queues the gathered uids as one batch, or adds them to the
// batch already waiting. Uids a waiting named run holds are left to it.
func (s *Scheduler) flushTouched(trigger string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	uids, revoked := s.touched, s.revoked
	s.touched, s.revoked, s.timer = map[int64]bool{}, map[int64]bool{}, nil
	if s.stopped {
		return
	}
	named := s.waiting(namedJob, Request{})
	if named != nil {
		for _, uid := range named.req.UIDs {
			delete(uids, uid)
		}
	}
	if len(revoked) > 0 {
		named, _ = s.enqueue(namedJob, Request{Trigger: trigger, Named: true})
		for uid := range revoked {
			delete(uids, uid)
			s.unbatch(uid)
		}
		named.req.UIDs = uniqueSorted(append(named.req.UIDs, slices.Collect(maps.Keys(revoked))...))
	}
	if len(uids) == 0 {
		return
	}
	b, _ := s.enqueue(batchJob, Request{Trigger: trigger})
	b.req.MeasureFleet = b.req.MeasureFleet || trigger == "watch"
	b.req.UIDs = uniqueSorted(append(b.req.UIDs, slices.Collect(maps.Keys(uids))...))
}

// recordBusy records a reserved run that could not take the lock, so the
// id sync/ answered names a real, failed run.
func (r *Runner) recordBusy(ctx context.Context, req Request, cause error) {
	id, err := r.Store.StartRun(ctx, req.RunID, req.Trigger, req.UIDs)
	if err == nil {
		err = r.Store.FinishRun(ctx, Summary{RunID: id, Status: StatusFailed}, cause.Error(), nil)
	}
	if err != nil {
		r.Log.Error("busy run not recorded", "run_id", req.RunID, "error", err)
	}
}
