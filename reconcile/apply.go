package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// panelReads reads the keys of every panel in scope, concurrently, each
// under its lease, and plans each panel as its keys arrive once it has a
// planner (panels read before that wait for it). It keeps the clients of
// the panels whose plan changes something, and lets every other listing go
// at once. A panel that cannot be read is listed in failed and gets no plan.
type panelReads struct {
	done chan struct{}
	stop context.CancelFunc

	mu      sync.Mutex
	b       *planner // nil until planWith
	pending []listed // read before the planner came
	clients map[int]Panel
	read    map[int]bool
	failed  map[int]string
}

// listed is one panel read and not planned yet.
type listed struct {
	id     int
	client Panel
	keys   []PanelKey
}

// startReads starts reading the panels of scope.
func (r *Runner) startReads(ctx context.Context, l *leases, scope []PanelDevice) *panelReads {
	ctx, stop := context.WithCancel(ctx)
	p := &panelReads{done: make(chan struct{}), stop: stop, clients: map[int]Panel{}, read: map[int]bool{}, failed: map[int]string{}}
	go func() {
		defer close(p.done)
		r.readPanels(ctx, l, scope, p)
	}()
	return p
}

func (r *Runner) readPanels(ctx context.Context, l *leases, scope []PanelDevice, p *panelReads) {
	ids, byID := devicesOf(scope)
	r.progress.expect(ids)
	l.each(ctx, ids, r.Opts.Concurrency, false, func(g grant) {
		client, keys, err := r.readLeased(ctx, l, byID[g.id], g)
		if err == nil {
			p.deliver(listed{g.id, client, keys})
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil {
			p.failed[g.id] = err.Error()
			r.progress.settled(g.id, 0, 0, 0, true)
			if ctx.Err() == nil { // a cancelled read is the run's doing, not the panel's
				r.Log.Warn("panel not read", "panel_id", g.id, "error", err)
			}
		}
		if r.Observer != nil {
			r.Observer.Progress(StageRead, len(p.read)+len(p.failed), len(ids))
		}
	})
}

// deliver plans a read panel, or keeps it for the planner to come.
func (p *panelReads) deliver(l listed) {
	p.mu.Lock()
	p.read[l.id] = true
	b := p.b
	if b == nil {
		p.pending = append(p.pending, l)
	}
	p.mu.Unlock()
	if b != nil {
		p.settle(b, l)
	}
}

// settle plans one panel (outside the lock: plans only read) and counts it in.
func (p *panelReads) settle(b *planner, l listed) {
	pp := b.plan(l.id, l.keys)
	p.mu.Lock()
	defer p.mu.Unlock()
	b.add(pp)
	if pp.pp.changes() {
		p.clients[l.id] = l.client
	}
}

// planWith sets the planner and plans the panels read before it.
func (p *panelReads) planWith(b *planner) {
	p.mu.Lock()
	p.b = b
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, l := range pending {
		p.settle(b, l)
	}
}

// wait waits for every read and returns the clients of the panels to
// write, which panels were read, and which failed.
func (p *panelReads) wait() (clients map[int]Panel, read map[int]bool, failed map[int]string) {
	<-p.done
	p.stop()
	return p.clients, p.read, p.failed
}

// cancel stops the reads and waits for them to end: a run that failed
// before it planned leaves no panel request behind.
func (p *panelReads) cancel() {
	p.stop()
	<-p.done
}

func (r *Runner) readPanel(ctx context.Context, l *leases, d PanelDevice) (Panel, []PanelKey, error) {
	client, err := r.Dial(d)
	if err != nil {
		return nil, nil, err
	}
	client = &leasedPanel{p: client, id: d.ID, l: l}
	var keys []PanelKey
	err = r.retry(ctx, d.Family, "list", func(ctx context.Context) (err error) {
		keys, err = client.ListKeys(ctx)
		return err
	})
	return client, keys, err
}

// apply works on every panel of the plan concurrently, each under its
// lease, then forgets orphans.
func (r *Runner) apply(ctx context.Context, s *panelSessions, clients map[int]Panel, res *Result) {
	var mu sync.Mutex
	ids, plans := withChanges(longestFirst(res.Plan.Panels))
	done, total := 0, len(ids)
	s.leases.each(ctx, ids, r.Opts.Concurrency, true, func(g grant) {
		added, rebound, deleted, err := r.writeLeased(ctx, s, clients[g.id], plans[g.id], g)
		mu.Lock()
		defer mu.Unlock()
		res.Added, res.Rebound, res.Deleted = res.Added+added, res.Rebound+rebound, res.Deleted+deleted
		if errors.Is(err, errYielded) {
			if res.Yielded == nil {
				res.Yielded = map[int]string{}
			}
			res.Yielded[g.id] = err.Error()
			r.Log.Info("panel left to a newer run", "panel_id", g.id)
			err = nil
		}
		r.progress.settled(g.id, added, rebound, deleted, err != nil)
		if err != nil {
			if res.Failed == nil {
				res.Failed = map[int]string{}
			}
			res.Failed[g.id] = err.Error()
			r.Log.Warn("panel not reconciled", "panel_id", g.id, "error", err)
		}
		done++
		if r.Observer != nil {
			r.Observer.Progress(StageWrite, done, total)
		}
	})
	r.forgetOrphans(ctx, res.Plan.Orphans)
}

func (r *Runner) forgetOrphans(ctx context.Context, orphans []OwnedKey) {
	byDevice := map[int][]string{}
	for _, k := range orphans {
		byDevice[k.DeviceID] = append(byDevice[k.DeviceID], k.Code)
	}
	for id, codes := range byDevice {
		if err := r.Store.ForgetKeys(ctx, id, codes); err != nil {
			r.Log.Warn("orphan keys not forgotten", "panel_id", id, "error", err)
		}
	}
}

// panelDeadline bounds one panel's whole session: every request may take
// the timeout and be retried, but a stuck panel cannot hold a run forever.
// The session's fixed requests are the list, the save and the read-back.
func (r *Runner) panelDeadline(ops int) time.Duration {
	per := r.Opts.PanelTimeout * time.Duration(r.Opts.Retries+1)
	return per*3 + time.Duration(ops)*r.Opts.PanelTimeout
}

// applyPanel writes one panel's plan, then reads the panel back once: a
// write counts only when the read-back shows it, and an ownership record
// goes only when its key is seen gone. Records are written before the push,
// so an interruption at any point leaves records the next run can act on.
func (r *Runner) applyPanel(ctx context.Context, p Panel, pp PanelPlan) (added, rebound, deleted int, err error) {
	ops := len(pp.Add) + len(pp.Rebind) + len(pp.Delete) + len(pp.Replace)
	ctx, cancel := context.WithTimeout(ctx, r.panelDeadline(ops))
	defer cancel()
	if err := r.bookkeeping(ctx, pp); err != nil {
		return 0, 0, 0, err
	}
	if ops == 0 {
		return 0, 0, 0, nil
	}
	werr := r.write(ctx, p, pp)
	if unreachable(werr) {
		r.logSession(ctx, pp, nil, werr)
		// No read-back: nothing counts, every record stays. But what went
		// through before the panel stopped answering is saved if it can be
		// (one try, no retry), or a Beward undoes it at its next reboot.
		return 0, 0, 0, errors.Join(werr, p.Finish(ctx))
	}
	// Saved even after a refused add: the deletes must survive a reboot.
	ferr := r.retry(ctx, pp.Device.Family, "finish", p.Finish)
	if unreachable(ferr) {
		r.logSession(ctx, pp, nil, ferr)
		return 0, 0, 0, ferr
	}
	var have []PanelKey
	lerr := r.retry(ctx, pp.Device.Family, "readback", func(ctx context.Context) (err error) {
		have, err = p.ListKeys(ctx)
		return err
	})
	if lerr != nil {
		r.logSession(ctx, pp, nil, lerr)
		return 0, 0, 0, errors.Join(lerr, ferr)
	}
	v := verify(pp, have)
	r.logSession(ctx, pp, &v, errors.Join(werr, ferr))
	// The deletions are seen: record them even if the panel's deadline just passed.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer fcancel()
	err = errors.Join(ferr, r.Store.ForgetKeys(fctx, pp.Device.ID, v.gone), v.err(werr))
	return v.added, v.rebound, len(v.gone), err
}

// logSession puts a session's writes in the run's change log.
func (r *Runner) logSession(ctx context.Context, pp PanelPlan, v *verified, err error) {
	if err := r.changes.session(ctx, pp, v, err); err != nil {
		r.Log.Warn("change log not written", slog.Int("panel_id", pp.Device.ID), slog.Any("error", err))
	}
}

// write sends the session's writes: the whole key set where the plan says
// a clear and one push are safe and cheaper (Sokol), else deletes first, so a full key table
// never blocks a revocation, then rebinds, then adds. A write the panel
// refuses does not stop the others; a panel that stops answering gets no
// further request.
func (r *Runner) write(ctx context.Context, p Panel, pp PanelPlan) error {
	if rp, ok := p.(Replacer); ok && len(pp.Whole) > 0 {
		err := r.retry(ctx, pp.Device.Family, "replace", func(ctx context.Context) error { return rp.ReplaceKeys(ctx, pp.Whole) })
		if !errors.Is(err, errNoReplace) {
			return err
		}
	}
	err := r.deleteKeys(ctx, p, pp)
	if unreachable(err) {
		return err
	}
	err = errors.Join(err, r.push(ctx, p, pp.Device.Family, pp.Rebind))
	if unreachable(err) {
		return err
	}
	return errors.Join(err, r.push(ctx, p, pp.Device.Family, pp.Add))
}

// push adds or rebinds keys in one call. Rebinds and adds are pushed apart,
// so a Sokol merge refused for want of room does not take the rebinds with it.
func (r *Runner) push(ctx context.Context, p Panel, family int, keys []PanelKey) error {
	if len(keys) == 0 {
		return nil
	}
	return r.retry(ctx, family, "add", func(ctx context.Context) error { return p.AddKeys(ctx, keys) })
}

// unreachable reports a failure that says the panel no longer answers (its
// retries are spent, or the run drains): no further request goes to it
// this session.
func unreachable(err error) bool { return err != nil && IsTransient(err) }

// bookkeeping records adopted keys, forgets stale records and claims the
// keys about to be pushed.
func (r *Runner) bookkeeping(ctx context.Context, pp PanelPlan) error {
	if err := r.Store.ClaimKeys(ctx, slices.Concat(pp.Adopt, pp.Claim)); err != nil {
		return err
	}
	return r.Store.ForgetKeys(ctx, pp.Device.ID, pp.Forget)
}

// deleteKeys removes codes one by one, as the panel listed them: the other
// forms of rebound codes, then the revoked codes. A delete the panel
// refuses does not stop the others; one it does not answer does.
func (r *Runner) deleteKeys(ctx context.Context, p Panel, pp PanelPlan) error {
	var errs error
	for _, code := range slices.Concat(pp.Replace, pp.Delete) {
		err := r.retry(ctx, pp.Device.Family, "delete", func(ctx context.Context) error { return p.DeleteKey(ctx, code) })
		errs = errors.Join(errs, err)
		if unreachable(err) {
			break
		}
	}
	return errs
}

// retry calls fn until it succeeds, fails permanently, or the retries are
// spent, sleeping an exponential backoff with jitter between attempts.
func (r *Runner) retry(ctx context.Context, family int, op string, fn func(context.Context) error) error {
	delay := r.Opts.Backoff
	if delay <= 0 {
		delay = 200 * time.Millisecond
	}
	for attempt := 0; ; attempt++ {
		if r.draining() {
			return errStopping
		}
		err := fn(ctx)
		if r.Observer != nil {
			r.Observer.PanelOp(family, op, err)
		}
		if err == nil || !IsTransient(err) || attempt >= r.Opts.Retries || ctx.Err() != nil {
			return err
		}
		sleep := delay/2 + rand.N(delay)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(sleep):
		}
		delay *= 2
	}
}

// errStopping marks work not started because the daemon is stopping; the
// next run does it.
var errStopping = Errorf(ErrTransient, "not started: yardsync is stopping")

// draining reports whether the run's drain signal has come.
func (r *Runner) draining() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}
