package reconcile

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestWhole: a Sokol holding only keys yardsync manages, with many changes
// due, is cleared and pushed whole; never where a foreign key would be lost,
// on a targeted run, on a Beward, under the guard, or when fewer than
// wholeFrom per-key deletions are due.
func TestWhole(t *testing.T) {
	code := func(i int) string { return fmt.Sprintf("%014X", 0xB000+i) }
	grants := func(n int) []Grant {
		var gs []Grant
		for i := range n {
			gs = append(gs, Grant{Code: code(i), Flat: i + 1, UID: int64(100 + i)})
		}
		return gs
	}
	// The panel holds 5 owned keys; 2 stay wanted, 3 are revoked.
	var have []PanelKey
	var own []OwnedKey
	for i := range 5 {
		have = append(have, PanelKey{Code: code(i), Flat: i + 1})
		own = append(own, owned(1, code(i), i+1, int64(100+i)))
	}
	desired := func(family int) Desired {
		d := desiredOn(1, map[int][]Grant{1: grants(2)})
		dev := d.Panels[1]
		dev.Family = family
		d.Panels[1] = dev
		return d
	}
	opt := PlanOptions{Prune: PruneOwned, MaxRevoke: 1}
	frozen := func(d Desired, uid int64) Desired { d.Duplicates = []int64{uid}; return d }
	cases := []struct {
		name   string
		d      Desired
		have   []PanelKey
		opt    PlanOptions
		wantIt bool
	}{
		{"owned keys only, 3 deletes", desired(PanelSokol), have, opt, true},
		{"a foreign key stays", desired(PanelSokol), append(have, PanelKey{Code: "0000000000FFFF", Flat: 9}), opt, false},
		{"prune all deletes the foreign key too", desired(PanelSokol), append(have, PanelKey{Code: "0000000000FFFF", Flat: 9}),
			PlanOptions{Prune: PruneAll, MaxRevoke: 1}, true},
		{"beward", desired(PanelBeward), have, opt, false},
		{"targeted run", desired(PanelSokol), have, PlanOptions{Prune: PruneOwned, MaxRevoke: 1, UIDs: []int64{102}, Named: true}, false},
		{"guarded", withAccess(desired(PanelSokol), AccessUnpaid, 102, 103, 104), have,
			PlanOptions{Prune: PruneOwned, MaxRevoke: 0.1, Recorded: paidOn(1, 100, 101, 102, 103, 104)}, false},
		{"one delete only", desired(PanelSokol), have[:3], opt, false}, // 3 and 4 seen gone after a delete
		{"a revoked contract is frozen (several billing rows)", frozen(desired(PanelSokol), 104), have, opt, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			own := slices.Clone(own)
			for i := len(tc.have); i < len(own); i++ {
				own[i].Deleting = true
			}
			p := Calculate(tc.d, map[int][]PanelKey{1: tc.have}, own, tc.opt)
			if len(p.Panels) != 1 {
				t.Fatalf("plan %+v", p)
			}
			whole := p.Panels[0].Whole
			if got := len(whole) > 0; got != tc.wantIt {
				t.Fatalf("Whole = %v, want set: %v", whole, tc.wantIt)
			}
			if tc.wantIt && (len(whole) != 2 || whole[0] != (PanelKey{Code: code(0), Flat: 1}) || whole[1] != (PanelKey{Code: code(1), Flat: 2})) {
				t.Errorf("Whole = %v, want the 2 wanted keys", whole)
			}
			var out strings.Builder
			p.Table(&out)
			if got := strings.Contains(out.String(), "  clear"); got != tc.wantIt {
				t.Errorf("dry-run table says clear: %v, want %v:\n%s", got, tc.wantIt, out.String())
			}
		})
	}
}

// TestGuardedReplanHoldsTheClear: a guarded run that plans a panel again
// (another run wrote it since it was read) holds its deletions there, and
// must then not clear the panel and push the wanted keys either: the clear
// would delete the keys the guard holds.
func TestGuardedReplanHoldsTheClear(t *testing.T) {
	code := func(i int) string { return fmt.Sprintf("%014X", 0xC000+i) }
	var have []PanelKey
	var own []OwnedKey
	for i := range 5 {
		have = append(have, PanelKey{Code: code(i), Flat: i + 1})
		own = append(own, owned(1, code(i), i+1, int64(100+i)))
	}
	d := desiredOn(1, map[int][]Grant{1: {{Code: code(0), Flat: 1, UID: 100}, {Code: code(1), Flat: 2, UID: 101}}})
	dev := d.Panels[1]
	dev.Family = PanelSokol
	d.Panels[1] = dev
	d = withAccess(d, AccessUnpaid, 102, 103, 104)
	opt := PlanOptions{Prune: PruneOwned, MaxRevoke: 0.1, Recorded: paidOn(1, 100, 101, 102, 103, 104), Force: true}
	b := newScope(d, own, opt).planner(d, slices.Clone(own), opt)
	if free := b.replanner()(dev, have); len(free.Whole) == 0 || len(free.Delete) != 3 {
		t.Fatalf("unguarded replan: %+v, want 3 deletions done by a clear and push", free)
	}
	opt.Force = false
	b = newScope(d, own, opt).planner(d, slices.Clone(own), opt)
	held := b.replanner()(dev, have)
	if len(held.Whole) != 0 || len(held.Delete) != 0 || len(held.Held) != 3 {
		t.Fatalf("guarded replan: whole %v, delete %v, held %v: want the 3 deletions held and no clear", held.Whole, held.Delete, held.Held)
	}
}
