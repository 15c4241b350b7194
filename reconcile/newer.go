package reconcile

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

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
