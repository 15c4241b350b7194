package reconcile

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// panelSessions is what a run's panel sessions share: the run's leases, and
// how to plan one panel again when another run wrote it since it was read.
type panelSessions struct {
	leases *leases
	replan func(d PanelDevice, keys []PanelKey) PanelPlan
	// newer returns the codes of the runs of contracts that started after
	// this run, as the store told them after taken: they read the billing
	// later, so this run leaves those codes as they are on every panel it
	// writes.
	newer func(ctx context.Context, taken time.Time) (map[string]bool, error)
}

// readLeased reads one panel under its lease; the caller releases it, or
// writes the panel under it first.
func (r *run) readLeased(ctx context.Context, l *leases, d PanelDevice, g grant) (Panel, []PanelKey, error) {
	if g.err != nil {
		return nil, nil, g.err
	}
	l.seen(d.ID, g.writes)
	return r.readPanel(ctx, l, d)
}

// writeLeased writes one panel's plan under its lease. A panel no other
// run wrote since this run read it gets the plan as it is: a newer run that
// has not written it yet reads it afresh after this session. One another
// run wrote since is read and planned again first, and the codes of the
// runs that started after this one (and were not held by the guard) are
// left as they are: that run read the billing later. A panel a newer full
// run wrote is left alone.
func (r *run) writeLeased(ctx context.Context, s *panelSessions, p Panel, pp PanelPlan, g grant) (added, rebound, deleted int, err error) {
	if g.err != nil {
		return 0, 0, 0, g.err
	}
	defer s.leases.release(g.id)
	if g.newer {
		return 0, 0, 0, errYielded
	}
	if s.leases.stale(g.id, g.writes) {
		var keys []PanelKey
		err := r.retry(ctx, pp.Device.Family, "list", func(ctx context.Context) (err error) {
			keys, err = p.ListKeys(ctx)
			return err
		})
		if err != nil {
			return 0, 0, 0, err
		}
		r.Log.Info("panel written by another run since it was read; planned again", "panel_id", g.id)
		pp = s.replan(pp.Device, keys)
		if s.newer != nil {
			codes, err := s.newer(ctx, g.taken)
			if err != nil {
				return 0, 0, 0, err
			}
			pp = pp.without(codes)
		}
	}
	return r.applyPanel(ctx, p, pp)
}

// newerCodes is panelSessions.newer for run id. A run that wrote a panel
// before this run took its lease took that lease first, so it had started
// before the statement that gave this run the lease returned (taken): an
// answer of the store asked after taken knows it. So one question serves
// every lease of a batch, not one per write session; the codes are worked
// out again only when the contracts change. A code is a contract's when the
// keys table gives it to the contract or the contract owns it on a panel.
func (b *planner) newerCodes(store Leaser, id int64) func(ctx context.Context, taken time.Time) (map[string]bool, error) {
	var mu sync.Mutex
	var asked time.Time // when the last answer was asked for
	var uids []int64
	var codes map[string]bool
	return func(ctx context.Context, taken time.Time) (map[string]bool, error) {
		mu.Lock()
		defer mu.Unlock()
		if asked.After(taken) {
			return codes, nil
		}
		start := time.Now()
		got, err := store.NewerRunUIDs(ctx, id)
		if err != nil {
			return nil, Errorf(ErrTransient, "runs started since this one not read, panel left alone: %v", err)
		}
		asked = start
		if !slices.Equal(got, uids) {
			uids, codes = got, b.codesOf(got)
		}
		return codes, nil
	}
}

// codesOf returns the codes of uids.
func (b *planner) codesOf(uids []int64) map[string]bool {
	if len(uids) == 0 {
		return nil
	}
	mine := make(map[int64]bool, len(uids))
	out := map[string]bool{}
	for _, uid := range uids {
		mine[uid] = true
		for _, code := range b.desired.Codes[uid] {
			out[code] = true
		}
	}
	for _, o := range b.owned {
		if mine[o.UID] {
			out[o.Code] = true
		}
	}
	return out
}

// errYielded is why a run leaves a panel alone: a run that started after it,
// and so read the billing later, has written the panel. Replanning with this
// run's older desired state could undo that run's work (put back a key it
// just revoked); the next run plans the panel afresh.
var errYielded = errors.New("left to a run that read the billing later and has written this panel; the next run plans it again")

// replanner plans one panel from fresh keys with the run's scope, desired
// state, ownership records and guard.
func (b *planner) replanner() func(PanelDevice, []PanelKey) PanelPlan {
	return func(d PanelDevice, keys []PanelKey) PanelPlan { return b.plan(d.ID, keys).pp }
}

// withChanges keeps the plans that write to a panel or the store; a panel
// with only held deletions needs no session.
func withChanges(plans []PanelPlan) ([]int, map[int]PanelPlan) {
	var ids []int
	byID := map[int]PanelPlan{}
	for _, pp := range plans {
		if pp.changes() {
			ids = append(ids, pp.Device.ID)
			byID[pp.Device.ID] = pp
		}
	}
	return ids, byID
}

func devicesOf(scope []PanelDevice) ([]int, map[int]PanelDevice) {
	ids := make([]int, 0, len(scope))
	byID := make(map[int]PanelDevice, len(scope))
	for _, d := range scope {
		ids = append(ids, d.ID)
		byID[d.ID] = d
	}
	return ids, byID
}
