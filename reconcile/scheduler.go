package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Scheduler turns triggers (cron ticks, sync/ calls, API changes) into runs,
// one at a time. A trigger for a run already queued joins it, so a burst of
// triggers during a run queues one follow-up, never a pile.
type Scheduler struct {
	runner   *Runner
	log      *slog.Logger
	debounce time.Duration

	mu      sync.Mutex
	queue   []*job         // waiting, in order
	pending map[int64]*job // waiting, by uid (0: full)
	touched map[int64]bool // uids changed through the API, not yet queued
	timer   *time.Timer
	wake    chan struct{}
	stopped bool
}

type job struct {
	req  Request
	done chan struct{}
	res  Result
	err  error
}

// NewScheduler builds a scheduler; debounce is how long API changes are
// gathered before their targeted runs are queued.
func NewScheduler(r *Runner, debounce time.Duration) *Scheduler {
	return &Scheduler{runner: r, log: r.Log, debounce: debounce, pending: map[int64]*job{},
		touched: map[int64]bool{}, wake: make(chan struct{}, 1)}
}

// Start runs queued jobs until ctx is done; the run in flight finishes first.
func (s *Scheduler) Start(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			s.stop()
			return nil
		case <-s.wake:
		}
		for j := s.next(); j != nil; j = s.next() {
			// The run is not cancelled mid-request when serve stops: it drains.
			j.req.Stop = ctx.Done()
			s.runJob(context.WithoutCancel(ctx), j)
			if ctx.Err() != nil {
				break
			}
		}
	}
}

func (s *Scheduler) next() *job {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 || s.stopped {
		return nil
	}
	j := s.queue[0]
	s.queue = s.queue[1:]
	delete(s.pending, j.req.UID)
	return j
}

func (s *Scheduler) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for _, j := range s.queue {
		j.err = ErrStopped
		close(j.done)
	}
	s.queue, s.pending = nil, map[int64]*job{}
}

func (s *Scheduler) runJob(ctx context.Context, j *job) {
	j.res, j.err = s.runner.Run(ctx, j.req)
	if errors.Is(j.err, ErrBusy) && !j.req.Skip && j.req.RunID != 0 {
		s.runner.recordBusy(ctx, j.req, j.err)
	}
	if j.err != nil {
		level := slog.LevelWarn
		if j.req.Skip && errors.Is(j.err, ErrBusy) {
			level = slog.LevelInfo // a scheduled run simply skips
		}
		s.log.Log(ctx, level, "run not started", "trigger", j.req.Trigger, "uid", j.req.UID, "error", j.err)
	}
	close(j.done)
}

// enqueue queues a run, or returns the queued one it joins.
func (s *Scheduler) enqueue(ctx context.Context, req Request) (*job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil, ErrStopped
	}
	if j, ok := s.pending[req.UID]; ok {
		if req.Trigger != "cron" && j.req.RunID == 0 {
			// An API call joining a queued scheduled run makes it a run
			// that must happen: it gets an id to answer and waits for the lock.
			id, err := s.runner.Store.ReserveRunID(ctx)
			if err != nil {
				return nil, err
			}
			j.req.RunID, j.req.Skip = id, false
		}
		return j, nil
	}
	if req.Trigger != "cron" {
		id, err := s.runner.Store.ReserveRunID(ctx)
		if err != nil {
			return nil, err
		}
		req.RunID = id
	}
	j := &job{req: req, done: make(chan struct{})}
	s.queue = append(s.queue, j)
	s.pending[req.UID] = j
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return j, nil
}

// Tick queues a scheduled full run; it skips if another instance is running one.
func (s *Scheduler) Tick() {
	if _, err := s.enqueue(context.Background(), Request{Trigger: "cron", Skip: true}); err != nil && !errors.Is(err, ErrStopped) {
		s.log.Warn("scheduled run not queued", "error", err)
	}
}

// Sync queues a run for the API (uid 0: full) and, with wait, returns its summary.
func (s *Scheduler) Sync(ctx context.Context, uid int64, wait bool) (Summary, error) {
	j, err := s.enqueue(ctx, Request{Trigger: "api", UID: uid})
	if err != nil {
		return Summary{}, err
	}
	if !wait {
		return Summary{RunID: j.req.RunID}, nil
	}
	select {
	case <-ctx.Done():
		return Summary{RunID: j.req.RunID}, ctx.Err()
	case <-j.done:
	}
	return j.res.Summary, j.err
}

// Touch schedules targeted runs for contracts changed through the API,
// gathering changes for the debounce interval first.
func (s *Scheduler) Touch(uids ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, uid := range uids {
		s.touched[uid] = true
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(s.debounce, s.flushTouched)
	}
}

func (s *Scheduler) flushTouched() {
	s.mu.Lock()
	uids := s.touched
	s.touched, s.timer = map[int64]bool{}, nil
	s.mu.Unlock()
	for uid := range uids {
		if _, err := s.enqueue(context.Background(), Request{Trigger: "api", UID: uid}); err != nil && !errors.Is(err, ErrStopped) {
			s.log.Warn("targeted run not queued", "uid", uid, "error", err)
		}
	}
}

// recordBusy records a reserved run that could not take the lock, so the
// id sync/ answered names a real, failed run.
func (r *Runner) recordBusy(ctx context.Context, req Request, cause error) {
	id, err := r.Store.StartRun(ctx, req.RunID, req.Trigger, req.UID)
	if err == nil {
		err = r.Store.FinishRun(ctx, Summary{RunID: id, Status: StatusFailed}, cause.Error(), nil)
	}
	if err != nil {
		r.Log.Error("busy run not recorded", "run_id", req.RunID, "error", err)
	}
}
