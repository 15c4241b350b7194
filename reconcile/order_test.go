package reconcile

import (
	"slices"
	"testing"
)

func TestLongestFirst(t *testing.T) {
	keys := func(n int) []PanelKey { return make([]PanelKey, n) }
	beward := func(id, adds int) PanelPlan {
		return PanelPlan{Device: PanelDevice{ID: id, Family: PanelBeward}, Add: keys(adds)}
	}
	sokol := PanelPlan{Device: PanelDevice{ID: 4, Family: PanelSokol}, Add: keys(500)}
	plans := []PanelPlan{beward(1, 3), beward(2, 90), beward(3, 3), sokol, {Device: PanelDevice{ID: 5, Family: PanelBeward}, Delete: []string{"A", "B", "C", "D"}}}
	var got []int
	for _, pp := range longestFirst(plans) {
		got = append(got, pp.Device.ID)
	}
	if want := []int{2, 5, 1, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v (Sokol merges its adds in one request; ties keep device order)", got, want)
	}
	both := PanelPlan{Device: PanelDevice{Family: PanelSokol}, Add: keys(3), Rebind: keys(2), Delete: []string{"A"}}
	if got := sessionRequests(both); got != 3 {
		t.Errorf("Sokol session with adds, rebinds and a delete: %d requests, want 3 (two merges, one delete)", got)
	}
	if plans[1].Device.ID != 2 || plans[3].Device.ID != 4 {
		t.Error("longestFirst reordered the plan itself")
	}
}
