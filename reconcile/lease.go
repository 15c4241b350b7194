package reconcile

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// The lease protocol is written down in the package doc (doc.go).

// Lease is one panel lease a run took.
type Lease struct {
	Writes int64 // the panel's write counter, bumped by every lease taken to write
	// Newer, on a lease taken to write, says a run that started after this
	// one (and so read the billing later) has written the panel: this run's
	// plan for it may undo that run's work.
	Newer bool
}

// Leaser is the store side of panel leases (store.DB). Every method works on
// a batch of panels in one statement.
type Leaser interface {
	AcquireLeases(ctx context.Context, token string, runID int64, ids []int, limit int, ttl time.Duration, write bool) (map[int]Lease, error)
	RenewLeases(ctx context.Context, token string, runID int64, ttl time.Duration, panels bool) ([]int, error)
	// ReleaseLeases frees the leases token holds on ids; a panel given a
	// hold above zero stays taken that much longer (a request yardsync gave
	// up on may still be in progress there).
	ReleaseLeases(ctx context.Context, token string, ids []int, holds []time.Duration) error
	LeaseHolders(ctx context.Context, ids []int) (map[int]string, error)
	// NewerRunUIDs returns the contracts of the runs of contracts that
	// started after run runID: they read the billing later.
	NewerRunUIDs(ctx context.Context, runID int64) ([]int64, error)
}

// Lock is a held run lock (see Store.RunLock).
type Lock interface {
	// Check fails once the lock is no longer held.
	Check(ctx context.Context) error
	// Release frees the lock.
	Release()
}

// leases are one run's panel leases.
type leases struct {
	store    Leaser
	log      *slog.Logger
	token    string // this run's identity on lease rows; a dry run has no run id
	runID    int64
	ttl      time.Duration // granted by the database per acquire or renew
	margin   time.Duration // the longest single panel request
	every    time.Duration // renewal interval
	wait     time.Duration // how long a run waits for a busy panel without progress
	batch    int           // panels acquired ahead of the workers
	lock     Lock          // the run lock of a full run; nil otherwise
	draining func() bool   // the run's drain signal has come: take no more leases

	stmt     sync.Mutex // acquire and renew statements one at a time, so a renewal's answer is complete
	mu       sync.Mutex
	sentAt   map[int]time.Time                  // held panels: when the statement that took or renewed them was sent
	writes   map[int]int64                      // write counter each panel had when this run read it
	taken    map[int]bool                       // every panel ever taken, released at close
	lost     chan struct{}                      // closed when the run lock is lost: nothing is trusted any more
	why      error                              // why lost was closed
	busy     map[int]time.Time                  // panels that may still work on a request this run gave up on, until when
	queue    map[int]bool                       // released, not yet written free
	timer    *time.Timer                        // writes the queue free
	closed   bool                               // close frees everything taken
	calls    map[uint64]context.CancelCauseFunc // panel calls in flight, cancelled by lose
	nextCall uint64
	stop     chan struct{}
	done     chan struct{}
}

// newLeases prepares the leases of one run; start begins renewing them.
func (r *run) newLeases(runID int64, lock Lock) *leases {
	margin := r.Opts.PanelTimeout
	if margin <= 0 {
		margin = 10 * time.Second
	}
	ttl := r.Opts.LeaseTTL
	if ttl <= margin {
		ttl = 3 * margin
	}
	return &leases{store: r.Store, log: r.Log, token: fmt.Sprintf("%d-%016x", runID, rand.Uint64()), runID: runID,
		ttl: ttl, margin: margin, every: (ttl - margin) / 3, wait: max(r.Opts.LockWait, ttl),
		batch: max(r.Opts.Concurrency, 1), lock: lock, draining: r.draining,
		sentAt: map[int]time.Time{}, writes: map[int]int64{}, taken: map[int]bool{}, calls: map[uint64]context.CancelCauseFunc{},
		busy: map[int]time.Time{}, queue: map[int]bool{},
		lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
}

// start renews the leases and the run's heartbeat until close.
func (l *leases) start(ctx context.Context) {
	l.renew(ctx)
	go func() {
		defer close(l.done)
		t := time.NewTicker(l.every)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				l.renew(ctx)
			}
		}
	}()
}

// close stops renewing and frees every lease the run still holds, in one
// statement, holding those of panels that may still work on a request.
// It takes stmt first, so a release flush already under way ends before
// it: nothing of the run's leases is written after close returns.
func (l *leases) close(ctx context.Context) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	l.stmt.Lock()
	defer l.stmt.Unlock()
	l.mu.Lock()
	l.closed = true
	if l.timer != nil {
		l.timer.Stop()
	}
	ids := sortedKeys(l.taken)
	l.sentAt = map[int]time.Time{}
	holds := l.holdsLocked(ids)
	l.mu.Unlock()
	if len(ids) > 0 {
		_ = l.free(ctx, ids, holds)
	}
}

// gaveUp records that panel id may still be working on a request this run
// stopped waiting for (it timed out, or its answer was lost): for one more
// request's time no request goes to it, and its lease is held that long.
func (l *leases) gaveUp(id int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.busy[id] = time.Now().Add(l.margin)
}

// idle waits until panel id may no longer be working on a request this run
// gave up on.
func (l *leases) idle(ctx context.Context, id int) error {
	l.mu.Lock()
	until := l.busy[id]
	l.mu.Unlock()
	wait := time.Until(until)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return Errorf(ErrTransient, "panel %d may still be working on a request yardsync gave up on; no request sent: %v", id, context.Cause(ctx))
	}
}

// holdsLocked returns how long each lease of ids must stay taken after its
// release; l.mu is held.
func (l *leases) holdsLocked(ids []int) []time.Duration {
	holds := make([]time.Duration, len(ids))
	for i, id := range ids {
		holds[i] = max(time.Until(l.busy[id]), 0)
	}
	return holds
}

// renew checks the run lock, then extends the heartbeat and the leases in
// one statement. After the lock is lost only the heartbeat is kept, so the
// run's record still says it is alive while it finishes.
func (l *leases) renew(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, l.every)
	defer cancel()
	if l.lock != nil && l.trusting() {
		if err := l.lock.Check(ctx); err != nil {
			l.lose(err)
		}
	}
	l.stmt.Lock()
	defer l.stmt.Unlock()
	sent := time.Now()
	held, err := l.store.RenewLeases(ctx, l.token, l.runID, l.ttl, l.trusting())
	if err != nil {
		l.log.Warn("panel leases not renewed", "run_id", l.runID, "error", err)
		return
	}
	l.renewed(sent, held)
}

// renewed records a renewal sent at sent: the panels returned are trusted
// afresh; a panel held since before it and not returned is lost.
func (l *leases) renewed(sent time.Time, held []int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	back := make(map[int]bool, len(held))
	for _, id := range held {
		back[id] = true
	}
	for id, at := range l.sentAt {
		switch {
		case back[id]:
			l.sentAt[id] = sent
		case at.Before(sent):
			delete(l.sentAt, id)
		}
	}
}

// lose stops all trust at once: calls in flight are cancelled and no panel
// request starts again in this run.
func (l *leases) lose(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.lost:
		return
	default:
	}
	l.why = Errorf(ErrTransient, "run lock lost, the run stops before its next panel request: %v", err)
	close(l.lost)
	// Cancelled here, not by each call's watcher, so that no request can
	// start once lose has returned.
	for _, cancel := range l.calls {
		cancel(l.why)
	}
	l.log.Error("run lock lost; the run stops before its next panel request", "run_id", l.runID, "error", err)
}

func (l *leases) trusting() bool {
	select {
	case <-l.lost:
		return false
	default:
		return true
	}
}

// trustedUntil is the end of the trust in panel id's lease, or why there is none.
func (l *leases) trustedUntil(id int) (time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.trustedUntilLocked(id)
}

// begin starts a panel call under the lease on panel id: its context is
// cancelled by lose, and end is when trust runs out unless renewed. Trust is
// checked and the call registered at once, so a loss either refuses the
// call or cancels it.
func (l *leases) begin(ctx context.Context, id int) (call context.Context, cancel context.CancelCauseFunc, end time.Time, done func(), err error) {
	if err := l.idle(ctx, id); err != nil {
		return nil, nil, end, nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if end, err = l.trustedUntilLocked(id); err != nil {
		return nil, nil, end, nil, err
	}
	call, cancel = context.WithCancelCause(ctx)
	l.nextCall++
	n := l.nextCall
	l.calls[n] = cancel
	return call, cancel, end, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.calls, n)
		cancel(nil)
	}, nil
}

func (l *leases) trustedUntilLocked(id int) (time.Time, error) {
	if !l.trusting() {
		return time.Time{}, l.why
	}
	at, ok := l.sentAt[id]
	if !ok {
		return time.Time{}, Errorf(ErrTransient, "panel %d: no lease held, no request sent", id)
	}
	end := at.Add(l.ttl - l.margin)
	if !time.Now().Before(end) {
		return time.Time{}, Errorf(ErrTransient, "panel %d: lease not renewed in time (store unreachable?), no request sent", id)
	}
	return end, nil
}
