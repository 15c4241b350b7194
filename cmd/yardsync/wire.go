package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"yardsync/api"
	"yardsync/billing"
	"yardsync/metrics"
	"yardsync/panels"
	"yardsync/reconcile"
	"yardsync/store"
)

// touchDebounce is the quiet interval after which gathered API and watch
// changes are queued as one batch run.
const touchDebounce = 300 * time.Millisecond

// stopTimeout bounds serve's stop, from the signal to the release of the
// store: the requests in flight and the runs draining share it. systemd's
// TimeoutStopSec (45 s in deploy/yardsync.service) must exceed it with room
// for the closers and the exit, or the unit kills what the drain waits for
// (TestStopFitsTheUnit).
const stopTimeout = 30 * time.Second

// daemon holds the long-lived parts serve starts beside the HTTP listener.
type daemon struct {
	closers []func()
	runners []func(context.Context)
	wg      sync.WaitGroup
	// http tunes the HTTP server (a zero field takes the api default); serve
	// sets sync/'s write deadline and api.body_timeout here, tests shorter
	// timeouts.
	http api.ServerOptions
	// stopTimeout is the stop's bound (0: stopTimeout).
	stopTimeout time.Duration
	// drained says the runners ended within the stop's bound; when they did
	// not, a run still holds store connections and the store is left open.
	drained bool
}

// syncWrite is how long a sync/ answer may take to be written: its wait
// (api.sync_wait) and then as long as any other answer.
func syncWrite(wait time.Duration) time.Duration { return wait + api.DefaultWriteTimeout }

// close waits until by for the runners (a run drains: its requests in
// flight finish) and then releases everything in reverse order.
func (d *daemon) close(log *slog.Logger, by time.Time) {
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	wait := time.NewTimer(time.Until(by))
	defer wait.Stop()
	select {
	case <-done:
		d.drained = true
	case <-wait.C:
		log.Warn("run still draining at stop; the next run will finish its work")
	}
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// start runs each part in its own goroutine until ctx is done. It counts
// them before it returns, so a close right after it still waits for them.
func (d *daemon) start(ctx context.Context) {
	for _, r := range d.runners {
		d.wg.Go(func() { r(ctx) })
	}
}

// newRunner builds the reconciler every mode shares.
func (e *env) newRunner(db *store.DB, bill reconcile.Billing, obs reconcile.Observer, lockWait time.Duration) *reconcile.Runner {
	rc := e.cfg.Reconcile
	return &reconcile.Runner{
		Billing: bill,
		Store:   db,
		Dial: panels.Dialer(panels.Options{Port: e.cfg.Panels.Port, Scheme: e.cfg.Panels.Scheme, Timeout: rc.PanelTimeout,
			BewardUpdate: e.cfg.Panels.BewardUpdate, AkuvoxPause: e.cfg.Panels.AkuvoxPause, Log: e.log}),
		Opts: reconcile.Options{Concurrency: rc.Concurrency, PanelTimeout: rc.PanelTimeout, Retries: rc.Retries,
			Prune: rc.Prune, MaxRevoke: rc.MaxRevoke, GuardMin: rc.GuardMin, LockWait: lockWait,
			StoreTimeout: e.storeBound(), Families: e.families(), BlockCalls: rc.BlockCalls},
		Log:      e.log,
		Observer: obs,
		Desires:  reconcile.NewDesireCache(),
	}
}

// recording makes the runner keep each panel's status from every contact
// and write session (panels/, `yardsync panels`, yardsync_panel_up and the
// status page read it).
func (e *env) recording(r *reconcile.Runner, db *store.DB) *reconcile.Runner {
	r.Contacts = reconcile.NewContactBatch(db, e.log)
	r.Dial = reconcile.RecordingDialer(r.Dial, r.Contacts, e.log)
	return r
}

// wire builds billing, the reconciler, its schedule and the metrics, and
// hands them to the API. Without billing the API still serves the store calls.
func (e *env) wire(ctx context.Context, db *store.DB, opts *api.Options) (*daemon, error) {
	d := &daemon{}
	m := metrics.New()
	opts.Metrics = m.Handler()
	cached, _, err := openBilling(ctx, e.cfg.Billing, m.BillingQuery)
	if errors.Is(err, reconcile.ErrUnavailable) && e.cfg.Billing.Driver == "" {
		e.log.Warn("billing not configured: billing calls answer 503 and nothing is reconciled")
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, cached.Close)
	m.CounterFunc("yardsync_uid_cache_hits_total", "uid cache hits.", func() float64 { h, _ := cached.Stats(); return float64(h) })
	m.CounterFunc("yardsync_uid_cache_misses_total", "uid cache misses.", func() float64 { _, n := cached.Stats(); return float64(n) })
	m.GaugeFunc("yardsync_keys_managed", "Keys yardsync owns on panels.", ownedCounter(db))
	m.GaugeFunc("yardsync_last_full_run_success_timestamp_seconds",
		"Unix time the newest full run that ended ok or partial finished, any instance's (from the store); 0 before the first, -1 when the store does not answer.",
		lastFullRun(db))
	m.Panels(db.PanelStatuses)
	d.runners = append(d.runners, func(ctx context.Context) {
		pruneChangeLog(ctx, db, e.cfg.Reconcile.LogRetention, e.storeBound(), e.log)
	})
	runner := e.recording(e.newRunner(db, cached, m, time.Minute), db)
	sched := reconcile.NewScheduler(runner, touchDebounce)
	sched.SyncWait = e.cfg.API.SyncWait
	opts.Billing, opts.Syncer = cached, sched
	explainer := e.newRunner(db, cached, nil, 0) // its live reads are no run: they leave the panel status alone
	opts.Explain = func(ctx context.Context, uid int64) (reconcile.Explanation, error) {
		return explainer.Explain(ctx, uid, db)
	}
	d.runners = append(d.runners, func(ctx context.Context) { _ = sched.Start(ctx) })
	if e.cfg.Reconcile.Schedule != "" {
		c := cron.New(cron.WithChain(cron.Recover(cronLogger{e.log})))
		if _, err := c.AddFunc(e.cfg.Reconcile.Schedule, sched.Tick); err != nil {
			return nil, err
		}
		c.Start()
		d.closers = append(d.closers, func() { <-c.Stop().Done() })
	}
	if w := e.newWatcher(cached, sched); w != nil {
		d.runners = append(d.runners, func(ctx context.Context) { _ = w.Start(ctx) })
	} else if e.cfg.Reconcile.Schedule != "" {
		sched.Tick() // a first run at start, not one schedule interval later
	}
	return d, nil
}

// newWatcher builds the billing watch when reconcile.watch is set. Its first
// tick takes the baseline and then asks for the first full run, so no change
// falls between the two.
func (e *env) newWatcher(bill *billing.Cached, sched *reconcile.Scheduler) *reconcile.Watcher {
	rc := e.cfg.Reconcile
	if rc.Watch <= 0 {
		return nil
	}
	w := &reconcile.Watcher{Billing: bill, Every: rc.Watch, Overlap: e.cfg.Billing.ChangesOverlap, MaxShrink: rc.MaxRevoke,
		Log: e.log, Batch: func(uids []int64) { sched.Batch(uids...) }, Full: sched.Tick}
	if bill.HasChanges() {
		w.ChangeLog = bill
	}
	return w
}

// pruneChangeLog deletes change log entries past the retention, at start
// and then hourly, until ctx is done; each pass may take bound.
func pruneChangeLog(ctx context.Context, db *store.DB, retention, bound time.Duration, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, bound)
		n, err := db.PruneChanges(pctx, time.Now().Add(-retention))
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("change log not pruned", slog.Any("error", err))
		case n > 0:
			log.Info("change log pruned", slog.Int64("entries", n), slog.Duration("retention", retention))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func ownedCounter(db *store.DB) func() float64 {
	return func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := db.OwnedCount(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}
}

// lastFullRun reads when the last good full run finished, as Unix seconds.
func lastFullRun(db *store.DB) func() float64 {
	return func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		at, err := db.LastFullRunOK(ctx)
		switch {
		case err != nil:
			return -1
		case at.IsZero():
			return 0
		}
		return float64(at.UnixMilli()) / 1000
	}
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "error", err)...)
}
