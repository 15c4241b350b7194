package reconcile

import (
	"fmt"
	"math"
	"slices"
)

// The guard is about billing glitches: an emptied snapshot, a query that
// suddenly says nobody paid, a building flipped by a bad import. It measures
// the billing, not the panels a run happens to touch, so it is decided from
// the desired state and the recorded access states alone, before any panel
// is read, and the run's sessions can write each panel as soon as it is read.
//
//   - A run whose contracts were named (sync/, reconcile --uid, rights_del,
//     keys_del, users/clients/delete and API batches made only of them) or
//     forced is never held: someone asked for exactly these revocations.
//   - Any other run counts the contracts it would take keys from because the
//     billing says so: contracts recorded as paid somewhere (access state 2)
//     whose every right is now below paid. It holds every deletion when that
//     count exceeds both GuardMin and MaxRevoke × the contracts that were
//     paid before it (Guard.Before).
//   - With reconcile.block_calls, a flat whose calls the run would turn off
//     is a revocation too: its unpaid contracts count among Revoking, and
//     a held run turns no call off either (Guard.CallsOff).
//
// This is the one place the rule lives; Plan.Guard carries its numbers to
// the log, the run report, explain, check and the status page.

// DefaultGuardMin is reconcile.guard_min's default: revoking up to this many
// contracts is never held, so one debtor on a small site loses the door at once.
const DefaultGuardMin = 10

// Guard is the guard's reading of one run.
type Guard struct {
	// Revoking counts the contracts the run would take keys from because the
	// billing says they no longer have paid access.
	Revoking int `json:"revoking"`
	// Before counts the contracts paid before the run: every one recorded
	// for full and watch runs, those in scope for other batches.
	Before int `json:"before"`
	// Limit is the most contracts the run may revoke: the larger of
	// GuardMin and MaxRevoke × Before.
	Limit int `json:"limit"`
	// Share is MaxRevoke and Min is GuardMin, for the message.
	Share float64 `json:"share"`
	Min   int     `json:"guard_min"`
	// Held is set when Revoking exceeds Limit and the run was neither named
	// nor forced: no deletion on a live panel is made.
	Held bool `json:"held"`
	// UIDs lists, sorted, the contracts counted in Revoking (at most
	// guardListed of them), for explain.
	UIDs []int64 `json:"uids,omitempty"`
	// CallsOff counts the flats whose calls the run would turn off; their
	// contracts are among Revoking.
	CallsOff int `json:"calls_off,omitempty"`
}

// guardListed bounds Guard.UIDs: enough for explain to name a contract of a
// small held run; a mass glitch is told by its numbers.
const guardListed = 1000

// String says what the guard found, e.g. "would revoke 37 of 120 contracts
// (limit 24: max_revoke 20 %, guard_min 10)", and how many flats' calls it
// would turn off when it would.
func (g Guard) String() string {
	s := fmt.Sprintf("would revoke %d of %d contracts (limit %d: max_revoke %s %%, guard_min %d)",
		g.Revoking, g.Before, g.Limit, percent(g.Share), g.Min)
	if g.CallsOff > 0 {
		s += fmt.Sprintf(", turning off the calls of %d flats", g.CallsOff)
	}
	return s
}

func percent(share float64) string {
	return fmt.Sprintf("%g", math.Round(share*1000)/10)
}

// guardOf decides the guard for a run of scope s.
func guardOf(desired Desired, opt PlanOptions, s scope) *Guard {
	now := map[int64]int{} // uid -> its best desired state
	for _, a := range desired.Access {
		if s.mine(a.UID) && (s.panel == 0 || a.DeviceID == s.panel) {
			now[a.UID] = max(now[a.UID], a.State)
		}
	}
	paid := map[int64]bool{}
	for _, a := range opt.Recorded {
		if a.State == AccessPaid && s.mine(a.UID) && (s.panel == 0 || a.DeviceID == s.panel) {
			paid[a.UID] = true
		}
	}
	g := &Guard{Share: opt.MaxRevoke, Before: len(paid)}
	if opt.PaidFleet > 0 && len(opt.UIDs) > 0 {
		g.Before = max(opt.PaidFleet, g.Before)
	}
	revoking := map[int64]bool{}
	for _, uid := range sortedKeys(paid) {
		state, has := now[uid]
		if !has || state == AccessPaid || slices.Contains(desired.Duplicates, uid) {
			continue // no right left (not the billing's doing), still paid, or unknown
		}
		revoking[uid] = true
	}
	if opt.BlockCalls {
		at := callRecordsAt(opt.Calls)
		for _, id := range s.panels {
			off, _ := s.callsOf(id, desired, at[id], true)
			g.CallsOff += len(off)
			for _, c := range off {
				for _, uid := range c.UIDs {
					revoking[uid] = true
				}
			}
		}
	}
	g.Revoking = len(revoking)
	for _, uid := range sortedKeys(revoking) {
		if len(g.UIDs) == guardListed {
			break
		}
		g.UIDs = append(g.UIDs, uid)
	}
	g.Min = max(opt.GuardMin, 0)
	g.Limit = max(g.Min, int(math.Floor(opt.MaxRevoke*float64(g.Before))))
	g.Held = !(opt.Named && len(opt.UIDs) > 0) && !opt.Force && g.Revoking > g.Limit
	return g
}
