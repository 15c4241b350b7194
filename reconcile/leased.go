package reconcile

import (
	"context"
	"errors"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// grant is the outcome of waiting for one panel's lease: held (err nil,
// writes the panel's write counter) or given up (busy, stopping, store down).
type grant struct {
	id     int
	writes int64
	newer  bool      // see Lease.Newer
	taken  time.Time // when the statement that took the lease had returned
	err    error
}

// each calls fn for every panel of ids once its lease is held or given up,
// at most n at once, in the order of ids. Leases are taken one batch ahead
// of the workers, so a run never holds panels it is not about to work on.
func (l *leases) each(ctx context.Context, ids []int, n int, write bool, fn func(grant)) {
	grants := make(chan grant)
	go l.acquireAll(ctx, ids, write, grants)
	var g errgroup.Group
	g.SetLimit(max(n, 1))
	for gr := range grants { // Go blocks while n run, so the acquirer waits too
		g.Go(func() error { fn(gr); return nil })
	}
	_ = g.Wait() // fn reports its own failures
}

// acquireAll takes the leases of ids as they come free. A stretch of wait
// without taking any lease gives the panels still busy up, naming who holds them.
func (l *leases) acquireAll(ctx context.Context, ids []int, write bool, out chan<- grant) {
	defer close(out)
	left := slices.Clone(ids)
	since, pause, told := time.Now(), 50*time.Millisecond, false
	for len(left) > 0 {
		if l.draining() || ctx.Err() != nil {
			l.giveUp(left, errStopping, out)
			return
		}
		got, taken, err := l.acquire(ctx, left, write)
		if err != nil {
			l.giveUp(left, err, out)
			return
		}
		if left = l.emit(left, got, taken, out); len(got) > 0 || len(left) == 0 {
			since, pause = time.Now(), 50*time.Millisecond
			continue
		}
		if !told {
			l.log.Info("waiting for panel leases held by other runs", "run_id", l.runID, "panels", len(left))
			told = true
		}
		if time.Since(since) > l.wait {
			l.giveUp(left, nil, out)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
}

// acquire takes the next batch of leases. A full run checks its run lock
// first, so no panel session starts once the loss can be seen; between
// checks the leases keep the panels safe.
func (l *leases) acquire(ctx context.Context, left []int, write bool) (map[int]Lease, time.Time, error) {
	if l.lock != nil && l.trusting() {
		if err := l.lock.Check(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, time.Time{}, ctx.Err() // the run stopped asking; its lock says nothing
			}
			l.lose(err)
		}
	}
	if !l.trusting() {
		return nil, time.Time{}, l.why
	}
	l.stmt.Lock()
	defer l.stmt.Unlock()
	sent := time.Now()
	// A lease taken later than its ttl would be expired already: the
	// statement gets no longer than that.
	actx, cancel := context.WithTimeout(ctx, l.ttl)
	got, err := l.store.AcquireLeases(actx, l.token, l.runID, left, l.batch, l.ttl, write)
	cancel()
	if err != nil {
		return nil, time.Time{}, Errorf(ErrTransient, "panel lease not taken: %v", err)
	}
	taken := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range got {
		l.sentAt[id], l.taken[id] = sent, true
	}
	for id := range got {
		delete(l.queue, id)
	}
	return got, taken, nil
}

// emit hands the panels taken to the workers and returns those still to take.
func (l *leases) emit(left []int, got map[int]Lease, taken time.Time, out chan<- grant) []int {
	var rest []int
	for _, id := range left {
		if lease, ok := got[id]; ok {
			out <- grant{id: id, writes: lease.Writes, newer: lease.Newer, taken: taken}
			continue
		}
		rest = append(rest, id)
	}
	return rest
}

// seen records the write counter a panel had when this run read it.
func (l *leases) seen(id int, writes int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes[id] = writes
}

// stale reports whether another run wrote the panel since this run read it:
// this run's own write lease bumped the counter by exactly one.
func (l *leases) stale(id int, writes int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	read, ok := l.writes[id]
	return !ok || writes != read+1
}

// upgrade takes the lease this run holds on panel id to read it again, to
// write it: the write counter is bumped as for any write session, and the
// grant says whether a newer run wrote the panel.
func (l *leases) upgrade(ctx context.Context, id int) grant {
	got, taken, err := l.acquire(ctx, []int{id}, true)
	if err != nil {
		return grant{id: id, err: err}
	}
	lease, ok := got[id]
	if !ok {
		return grant{id: id, err: Errorf(ErrBusy, "panel %d: its lease ran out before this run could write it", id)}
	}
	return grant{id: id, writes: lease.Writes, newer: lease.Newer, taken: taken}
}

// giveUp fails every panel left with err, or as busy naming its holder.
func (l *leases) giveUp(left []int, err error, out chan<- grant) {
	var holders map[int]string
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		holders, _ = l.store.LeaseHolders(ctx, left)
		cancel()
	}
	for _, id := range left {
		e := err
		if e == nil {
			who := holders[id]
			if who == "" {
				who = "another run"
			}
			e = Errorf(ErrBusy, "panel %d is busy: its lease is held by %s", id, who)
		}
		out <- grant{id: id, err: e}
	}
}

// releaseEvery is how long a freed lease may wait to be written free, so
// that the releases of many panel sessions share one statement.
const releaseEvery = 20 * time.Millisecond

// release ends this run's session on panel id: it is not trusted from now
// on, and its lease is freed with the others released within releaseEvery
// (held on while the panel may still work on a request the run gave up on).
func (l *leases) release(id int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.sentAt, id)
	l.queue[id] = true
	if l.timer == nil && !l.closed {
		l.timer = time.AfterFunc(releaseEvery, l.flushQueue)
	}
}

// flushQueue frees the queued leases in one statement. It runs under stmt,
// like acquire, which takes re-taken panels off the queue: a lease this run
// took again (to write) is never freed by its earlier release.
func (l *leases) flushQueue() {
	l.stmt.Lock()
	defer l.stmt.Unlock()
	l.mu.Lock()
	ids := sortedKeys(l.queue)
	l.queue, l.timer = map[int]bool{}, nil
	closed := l.closed
	holds := l.holdsLocked(ids)
	l.mu.Unlock()
	if closed || len(ids) == 0 {
		return // close frees everything taken
	}
	if err := l.free(context.Background(), ids, holds); err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		delete(l.taken, id)
	}
}

// free writes leases free, each after its hold; a failure leaves them to expire.
func (l *leases) free(ctx context.Context, ids []int, holds []time.Duration) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := l.store.ReleaseLeases(ctx, l.token, ids, holds)
	if err != nil {
		l.log.Warn("panel leases not released; they expire", "run_id", l.runID, "error", err)
	}
	return err
}

// leasedPanel sends a panel call only while the run trusts its lease on
// the panel, and cancels the call when that trust ends.
type leasedPanel struct {
	p  Panel
	id int
	l  *leases
}

// bind derives the context of one call: cancelled at the end of trust
// (renewals push it on) or, by leases.lose, when the run lock is lost.
func (lp *leasedPanel) bind(ctx context.Context) (context.Context, func(), error) {
	ctx, cancel, end, done, err := lp.l.begin(ctx, lp.id)
	if err != nil {
		return nil, nil, err
	}
	go lp.watch(ctx, cancel, end)
	return ctx, done, nil
}

// watch cancels a call when the trust in the lease ends without renewal.
func (lp *leasedPanel) watch(ctx context.Context, cancel context.CancelCauseFunc, end time.Time) {
	t := time.NewTimer(time.Until(end))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next, err := lp.l.trustedUntil(lp.id)
		if err != nil {
			cancel(err)
			return
		}
		t.Reset(time.Until(next))
	}
}

// call runs fn under the lease; a call cut short by the lease reports why.
// A request sent and left unanswered (see ErrUnanswered) keeps the panel
// busy for one more request's time: the panel may still be working on it.
func (lp *leasedPanel) call(ctx context.Context, fn func(context.Context) error) error {
	ctx, done, err := lp.bind(ctx)
	if err != nil {
		return err
	}
	defer done()
	err = fn(ctx)
	if errors.Is(err, ErrUnanswered) {
		lp.l.gaveUp(lp.id)
	}
	if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

func (lp *leasedPanel) ListKeys(ctx context.Context) (keys []PanelKey, err error) {
	err = lp.call(ctx, func(ctx context.Context) error { keys, err = lp.p.ListKeys(ctx); return err })
	return keys, err
}

func (lp *leasedPanel) AddKeys(ctx context.Context, keys []PanelKey) error {
	return lp.call(ctx, func(ctx context.Context) error { return lp.p.AddKeys(ctx, keys) })
}

func (lp *leasedPanel) DeleteKey(ctx context.Context, code string) error {
	return lp.call(ctx, func(ctx context.Context) error { return lp.p.DeleteKey(ctx, code) })
}

func (lp *leasedPanel) Finish(ctx context.Context) error {
	return lp.call(ctx, lp.p.Finish)
}

// ReplaceKeys forwards to a panel that can replace its keys (see Replacer).
func (lp *leasedPanel) ReplaceKeys(ctx context.Context, keys []PanelKey) error {
	rp, ok := lp.p.(Replacer)
	if !ok {
		return ErrNoReplace
	}
	return lp.call(ctx, func(ctx context.Context) error { return rp.ReplaceKeys(ctx, keys) })
}

// Calls forwards to a panel that can switch a flat's calls (see CallSwitch).
func (lp *leasedPanel) Calls(ctx context.Context, flat int) (got CallSetting, err error) {
	cs, ok := lp.p.(CallSwitch)
	if !ok {
		return CallSetting{}, ErrNoCalls
	}
	err = lp.call(ctx, func(ctx context.Context) error { got, err = cs.Calls(ctx, flat); return err })
	return got, err
}

// SetCalls forwards to a panel that can switch a flat's calls.
func (lp *leasedPanel) SetCalls(ctx context.Context, flat int, s CallSetting) error {
	cs, ok := lp.p.(CallSwitch)
	if !ok {
		return ErrNoCalls
	}
	return lp.call(ctx, func(ctx context.Context) error { return cs.SetCalls(ctx, flat, s) })
}
