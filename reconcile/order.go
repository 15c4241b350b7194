package reconcile

import (
	"cmp"
	"slices"
)

// longestFirst orders panel plans by the requests their sessions will make,
// most first, so the longest sessions start at once and a run does not end
// waiting on one long panel started last (with N slots, longest-first keeps
// a run within a few percent of all work / N). The plan itself stays sorted
// by device id.
func longestFirst(plans []PanelPlan) []PanelPlan {
	out := slices.Clone(plans)
	slices.SortStableFunc(out, func(a, b PanelPlan) int { return cmp.Compare(sessionRequests(b), sessionRequests(a)) })
	return out
}

// sessionRequests estimates one panel's writes: Beward sends one request
// per key added, rebound or deleted; Sokol merges its rebinds in one request
// and its adds in another, and deletes one by one.
func sessionRequests(pp PanelPlan) int {
	if pp.Device.Family == PanelSokol {
		n := len(pp.Delete) + len(pp.Replace)
		if len(pp.Add) > 0 {
			n++
		}
		if len(pp.Rebind) > 0 {
			n++
		}
		return n
	}
	return len(pp.Add) + len(pp.Rebind) + len(pp.Delete) + len(pp.Replace)
}
