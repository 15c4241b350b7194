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

// apply writes the panels of the plan no session has written yet (those
// read as the plan came are written as read, those read before it as soon
// as it came: see execute), concurrently, each under a new lease, then
// forgets orphans.
func (r *run) apply(ctx context.Context, s *panelSessions, clients map[int]Panel, plan Plan, out *sessionsOut) {
	var plans []PanelPlan
	for _, pp := range plan.Panels {
		if clients[pp.Device.ID] != nil {
			plans = append(plans, pp)
		}
	}
	r.writePlans(ctx, s, clients, plans, out)
	r.forgetOrphans(ctx, plan.Orphans)
}

// writePlans writes the panels of plans, concurrently, longest first, each
// under a new lease.
func (r *run) writePlans(ctx context.Context, s *panelSessions, clients map[int]Panel, plans []PanelPlan, out *sessionsOut) {
	ids, byID := withChanges(longestFirst(plans))
	var mu sync.Mutex
	done, total := 0, len(ids)
	s.leases.each(ctx, ids, r.Opts.Concurrency, true, func(g grant) {
		added, rebound, deleted, err := r.writeLeased(ctx, s, clients[g.id], byID[g.id], g)
		out.add(r, g.id, clients[g.id], added, rebound, deleted, err)
		mu.Lock()
		defer mu.Unlock()
		done++
		if r.Observer != nil {
			r.Observer.Progress(StageWrite, done, total)
		}
	})
}

// sessionsOut gathers the outcome of a run's write sessions, which end
// concurrently, some while other panels are still being read.
type sessionsOut struct {
	mu                      sync.Mutex
	added, rebound, deleted int
	failed, yielded         map[int]string
	clients                 map[int]Panel // the client of each panel a session was held on
}

func newSessionsOut() *sessionsOut {
	return &sessionsOut{failed: map[int]string{}, yielded: map[int]string{}, clients: map[int]Panel{}}
}

// add counts one panel's session, held with client, in.
func (o *sessionsOut) add(r *run, id int, client Panel, added, rebound, deleted int, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clients[id] = client
	o.added, o.rebound, o.deleted = o.added+added, o.rebound+rebound, o.deleted+deleted
	r.progress.settled(id, added, rebound, deleted, err != nil && !errors.Is(err, errYielded))
	switch {
	case errors.Is(err, errYielded):
		o.yielded[id] = err.Error()
		r.Log.Info("panel left to a newer run", "panel_id", id)
	case err != nil:
		o.failed[id] = err.Error()
		r.Log.Warn("panel not reconciled", "panel_id", id, "error", err)
	}
}

// into adds the sessions' outcome to res; a deleted panel that failed is
// among the unburied, not the failed.
func (o *sessionsOut) into(res *Result, desired Desired) {
	o.mu.Lock()
	defer o.mu.Unlock()
	res.Added, res.Rebound, res.Deleted = res.Added+o.added, res.Rebound+o.rebound, res.Deleted+o.deleted
	put := func(m *map[int]string, id int, msg string) {
		if *m == nil {
			*m = map[int]string{}
		}
		(*m)[id] = msg
	}
	for id, msg := range o.failed {
		if _, dead := desired.Tombstones[id]; dead {
			put(&res.Unburied, id, msg)
		} else {
			put(&res.Failed, id, msg)
		}
	}
	for id, msg := range o.yielded {
		put(&res.Yielded, id, msg)
	}
}

func (r *Runner) forgetOrphans(ctx context.Context, orphans []OwnedKey) {
	byDevice := map[int][]string{}
	for _, k := range orphans {
		byDevice[k.DeviceID] = append(byDevice[k.DeviceID], k.Code)
	}
	for id, codes := range byDevice {
		if err := r.storeStep(ctx, func(ctx context.Context) error { return r.Store.ForgetKeys(ctx, id, codes) }); err != nil {
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
func (r *run) applyPanel(ctx context.Context, p Panel, pp PanelPlan) (added, rebound, deleted int, err error) {
	ops := len(pp.Add) + len(pp.Rebind) + len(pp.Delete) + len(pp.Replace)
	calls := len(pp.CallsOff) + len(pp.CallsOn) // each a read, a write and a read-back
	ctx, cancel := context.WithTimeout(ctx, r.panelDeadline(ops+3*calls))
	defer cancel()
	if err := r.bookkeeping(ctx, pp); err != nil {
		return 0, 0, 0, err
	}
	if ops+calls == 0 {
		return 0, 0, 0, nil
	}
	werr := r.write(ctx, p, pp)
	cerr := r.switchCalls(ctx, p, pp, werr) // before the save: a Beward saves flats with keys
	if unreachable(werr) || unreachable(cerr) {
		r.logSession(ctx, pp, nil, werr)
		// No read-back: nothing counts, every record stays. But what went
		// through before the panel stopped answering is saved if it can be
		// (one try, no retry), or a Beward undoes it at its next reboot.
		return 0, 0, 0, errors.Join(werr, cerr, p.Finish(ctx))
	}
	// Saved even after a refused add: the deletes must survive a reboot.
	ferr := r.retry(ctx, pp.Device.Family, "finish", p.Finish)
	if unreachable(ferr) {
		r.logSession(ctx, pp, nil, ferr)
		return 0, 0, 0, errors.Join(ferr, cerr)
	}
	var have []PanelKey
	lerr := r.retry(ctx, pp.Device.Family, "readback", func(ctx context.Context) (err error) {
		have, err = p.ListKeys(ctx)
		return err
	})
	if lerr != nil {
		r.logSession(ctx, pp, nil, lerr)
		return 0, 0, 0, errors.Join(lerr, ferr, cerr)
	}
	v := verify(pp, have)
	if len(v.missing) > 0 {
		r.lost.add([]int64{int64(pp.Device.ID)})
	}
	r.logSession(ctx, pp, &v, errors.Join(werr, ferr))
	// The deletions are seen: record them even if the panel's deadline just passed.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer fcancel()
	err = errors.Join(ferr, r.forgetGone(fctx, pp.Device.ID, v.gone), v.err(werr), cerr)
	return v.added, v.rebound, len(v.gone), err
}

// logSession puts a session's writes in the run's change log.
func (r *run) logSession(ctx context.Context, pp PanelPlan, v *verified, err error) {
	if err := r.changes.session(ctx, pp, v, err); err != nil {
		r.Log.Warn("change log not written", slog.Int("panel_id", pp.Device.ID), slog.Any("error", err))
	}
}

// write sends the session's writes: the whole key set where the plan says
// a clear and one push are safe and cheaper (Sokol), else deletes first, so a full key table
// never blocks a revocation, then rebinds, then adds. A write the panel
// refuses does not stop the others; a panel that stops answering gets no
// further request.
func (r *run) write(ctx context.Context, p Panel, pp PanelPlan) error {
	if rp, ok := p.(Replacer); ok && len(pp.Whole) > 0 {
		err := r.retry(ctx, pp.Device.Family, "replace", func(ctx context.Context) error { return rp.ReplaceKeys(ctx, pp.Whole) })
		if !errors.Is(err, ErrNoReplace) {
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
func (r *run) push(ctx context.Context, p Panel, family int, keys []PanelKey) error {
	if len(keys) == 0 {
		return nil
	}
	return r.retry(ctx, family, "add", func(ctx context.Context) error { return p.AddKeys(ctx, keys) })
}

// unreachable reports a failure that says the panel no longer answers (its
// retries are spent, or the run drains): no further request goes to it
// this session.
func unreachable(err error) bool { return err != nil && IsTransient(err) }

// bookkeeping records adopted keys, claims the keys about to be pushed,
// marks the keys about to be deleted, and forgets the records of keys seen
// gone for good.
func (r *run) bookkeeping(ctx context.Context, pp PanelPlan) error {
	if err := r.Store.ClaimKeys(ctx, pp.Adopt, false); err != nil {
		return err
	}
	if err := r.Store.ClaimKeys(ctx, pp.Claim, true); err != nil {
		return err
	}
	if err := r.Store.MarkDeleting(ctx, pp.Device.ID, normalisedAll(pp.Delete)); err != nil {
		return err
	}
	return r.forgetGone(ctx, pp.Device.ID, pp.Forget)
}

// forgetGone lets the records of codes seen gone go, and keeps the run
// told of those the store kept because their add may still land: the run
// looks at them again once it cannot (see Result.Recheck).
func (r *run) forgetGone(ctx context.Context, id int, codes []string) error {
	kept, err := r.Store.ForgetGone(ctx, id, codes, r.settle())
	r.uncertain.add(kept)
	return err
}

// uidSet is a set of contracts safe for concurrent use; a nil set adds nothing.
type uidSet struct {
	mu   sync.Mutex
	uids map[int64]bool
}

func (u *uidSet) add(uids []int64) {
	if u == nil || len(uids) == 0 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.uids == nil {
		u.uids = map[int64]bool{}
	}
	for _, uid := range uids {
		u.uids[uid] = true
	}
}

// list returns the set sorted.
func (u *uidSet) list() []int64 {
	if u == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return sortedKeys(u.uids)
}

// settle is how long after yardsync sent an add the key may still land:
// every try of the request, and as long again as the panel may work on
// the last one after yardsync gave up.
func (r *Runner) settle() time.Duration {
	if r.Opts.Settle > 0 {
		return r.Opts.Settle
	}
	return time.Duration(r.Opts.Retries+2) * r.Opts.PanelTimeout
}

// normalisedAll returns the codes as yardsync records them, sorted and unique.
func normalisedAll(forms []string) []string {
	out := make([]string, 0, len(forms))
	for _, f := range forms {
		out = append(out, panelCode(f))
	}
	return uniqueSorted(out)
}

// deleteKeys removes codes one by one, as the panel listed them: the other
// forms of rebound codes, then the revoked codes. A delete the panel
// refuses does not stop the others; one it does not answer does, unless a
// listing then shows the key gone: the panel applied it and only the
// answer was lost, so the session goes on.
func (r *run) deleteKeys(ctx context.Context, p Panel, pp PanelPlan) error {
	var errs error
	for _, code := range slices.Concat(pp.Replace, pp.Delete) {
		err := r.retry(ctx, pp.Device.Family, "delete", func(ctx context.Context) error { return p.DeleteKey(ctx, code) })
		if errors.Is(err, ErrUnanswered) && r.listedGone(ctx, p, code) {
			err = nil
		}
		errs = errors.Join(errs, err)
		if unreachable(err) {
			break
		}
	}
	return errs
}

// listedGone lists the panel once and reports whether it answered without
// code: a delete whose answer was lost did land.
func (r *Runner) listedGone(ctx context.Context, p Panel, code string) bool {
	keys, err := p.ListKeys(ctx)
	if err != nil {
		return false
	}
	return !slices.ContainsFunc(keys, func(k PanelKey) bool { return k.Code == code })
}

// retry calls fn until it succeeds, fails permanently, or the retries are
// spent, sleeping an exponential backoff with jitter between attempts.
func (r *run) retry(ctx context.Context, family int, op string, fn func(context.Context) error) error {
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
func (r *run) draining() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}
