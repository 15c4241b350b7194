package reconcile

import (
	"context"
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
			var codes map[string]bool
			err := r.storeStep(ctx, func(ctx context.Context) (err error) { codes, err = s.newer(ctx, g.taken); return err })
			if err != nil {
				return 0, 0, 0, err
			}
			pp = pp.without(codes)
		}
	}
	return r.applyPanel(ctx, p, pp)
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
