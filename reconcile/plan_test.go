package reconcile

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// desiredOn builds a Desired by hand: panels 1..n, the given grants, and
// each granted uid reaching the panels of its grants.
func desiredOn(n int, grants map[int][]Grant) Desired {
	d := Desired{Panels: map[int]PanelDevice{}, Keys: map[int]map[string]Grant{}, Reaches: map[int64][]int{}, Codes: map[int64][]string{}}
	for id := 1; id <= n; id++ {
		d.Panels[id] = panelOf(id)
	}
	for id, gs := range grants {
		d.Keys[id] = map[string]Grant{}
		for _, g := range gs {
			d.Keys[id][g.Code] = g
			d.Reaches[g.UID] = uniqueSorted(append(d.Reaches[g.UID], id))
			d.Codes[g.UID] = uniqueSorted(append(d.Codes[g.UID], g.Code))
		}
	}
	return d
}

func owned(id int, code string, flat int, uid int64) OwnedKey {
	return OwnedKey{DeviceID: id, Code: code, Flat: flat, UID: uid}
}

// deleting marks a record's key as deleted since its last add.
func deleting(o OwnedKey) OwnedKey {
	o.Deleting = true
	return o
}

var (
	grantA10 = Grant{Code: keyA, Flat: 5, UID: 10}
	ownA10   = owned(1, keyA, 5, 10)
)

func TestCalculate(t *testing.T) {
	ownedOpt := PlanOptions{Prune: PruneOwned, MaxRevoke: 0.5}
	allOpt := PlanOptions{Prune: PruneAll, MaxRevoke: 0.5}
	tests := []struct {
		name    string
		desired Desired
		current map[int][]PanelKey
		owned   []OwnedKey
		opt     PlanOptions
		want    Plan
	}{
		{
			name:    "add missing key and claim it",
			desired: desiredOn(1, map[int][]Grant{1: {grantA10}}),
			current: map[int][]PanelKey{1: nil},
			opt:     ownedOpt,
			want: Plan{Panels: []PanelPlan{{Device: panelOf(1),
				Add: []PanelKey{{keyA, 5}}, Claim: []OwnedKey{ownA10}}}},
		},
		{
			name:    "in line: nothing to do",
			desired: desiredOn(1, map[int][]Grant{1: {grantA10}}),
			current: map[int][]PanelKey{1: {{keyA, 5}}},
			owned:   []OwnedKey{ownA10},
			opt:     ownedOpt,
			want:    Plan{Panels: []PanelPlan{}},
		},
		{
			name:    "adopt a present key not yet owned",
			desired: desiredOn(1, map[int][]Grant{1: {grantA10}}),
			current: map[int][]PanelKey{1: {{keyA, 5}}},
			opt:     ownedOpt,
			want:    Plan{Panels: []PanelPlan{{Device: panelOf(1), Adopt: []OwnedKey{ownA10}}}},
		},
		{
			name:    "adopt again when the ownership record names another uid",
			desired: desiredOn(1, map[int][]Grant{1: {grantA10}}),
			current: map[int][]PanelKey{1: {{keyA, 5}}},
			owned:   []OwnedKey{owned(1, keyA, 5, 20)},
			opt:     ownedOpt,
			want:    Plan{Panels: []PanelPlan{{Device: panelOf(1), Adopt: []OwnedKey{ownA10}}}},
		},
		{
			name:    "rebind a key on the wrong flat",
			desired: desiredOn(1, map[int][]Grant{1: {grantA10}}),
			current: map[int][]PanelKey{1: {{keyA, 6}}},
			owned:   []OwnedKey{owned(1, keyA, 6, 10)},
			opt:     ownedOpt,
			want: Plan{Panels: []PanelPlan{{Device: panelOf(1),
				Rebind: []PanelKey{{keyA, 5}}, Claim: []OwnedKey{ownA10}}}},
		},
		{
			name:    "prune owned deletes only owned keys and forgets owned keys seen gone after a delete",
			desired: desiredOn(1, map[int][]Grant{1: {grantA10}}),
			current: map[int][]PanelKey{1: {{keyA, 5}, {keyB, 1}, {keyC, 2}}},
			owned:   []OwnedKey{ownA10, owned(1, keyB, 1, 11), deleting(owned(1, keyD, 3, 12))},
			opt:     ownedOpt,
			want: Plan{Panels: []PanelPlan{{Device: panelOf(1),
				Delete: []string{keyB}, Forget: []string{keyD}}}},
		},
		{
			name:    "an owned key not listed and never deleted gets a delete: its add may land late",
			desired: desiredOn(1, map[int][]Grant{1: {grantA10}}),
			current: map[int][]PanelKey{1: {{keyA, 5}}},
			owned:   []OwnedKey{ownA10, owned(1, keyD, 3, 12)},
			opt:     ownedOpt,
			want:    Plan{Panels: []PanelPlan{{Device: panelOf(1), Delete: []string{keyD}}}},
		},
		{
			name:    "prune all deletes every key not desired",
			desired: desiredOn(1, map[int][]Grant{1: {grantA10, {keyD, 3, 13}}}),
			current: map[int][]PanelKey{1: {{keyA, 5}, {keyB, 1}, {keyC, 2}, {keyD, 3}}},
			owned:   []OwnedKey{ownA10, owned(1, keyB, 1, 11)},
			opt:     allOpt,
			want: Plan{Panels: []PanelPlan{{Device: panelOf(1),
				Delete: []string{keyB, keyC}, Adopt: []OwnedKey{owned(1, keyD, 3, 13)}}}},
		},
		{
			name:    "panel not read gets no plan",
			desired: desiredOn(2, map[int][]Grant{1: {grantA10}, 2: {{keyA, 5, 10}}}),
			current: map[int][]PanelKey{1: {{keyA, 5}}, 7: {{keyB, 1}}},
			owned:   []OwnedKey{ownA10},
			opt:     allOpt,
			want:    Plan{Panels: []PanelPlan{}, Unread: []int{2}},
		},
		{
			name:    "orphans: owned keys on devices that are no longer panels",
			desired: desiredOn(1, nil),
			current: map[int][]PanelKey{1: nil},
			owned:   []OwnedKey{owned(9, keyB, 1, 11), owned(8, keyA, 2, 10)},
			opt:     ownedOpt,
			want:    Plan{Panels: []PanelPlan{}, Orphans: []OwnedKey{owned(8, keyA, 2, 10), owned(9, keyB, 1, 11)}},
		},
		{
			name:    "guard trips: deletions held, adds stay",
			desired: withAccess(desiredOn(1, map[int][]Grant{1: {{keyD, 4, 13}}}), AccessUnpaid, 10, 11, 12),
			current: map[int][]PanelKey{1: {{keyA, 5}, {keyB, 1}, {keyC, 2}}},
			owned:   []OwnedKey{ownA10, owned(1, keyB, 1, 11), owned(1, keyC, 2, 12)},
			opt:     PlanOptions{Prune: PruneOwned, MaxRevoke: 0.5, Recorded: paidOn(1, 10, 11, 12, 13)},
			want: Plan{Panels: []PanelPlan{{Device: panelOf(1),
				Add: []PanelKey{{keyD, 4}}, Claim: []OwnedKey{owned(1, keyD, 4, 13)},
				Held: []string{keyA, keyB, keyC}}}, Guarded: true,
				Guard: &Guard{Revoking: 3, Before: 4, Limit: 2, Share: 0.5, Held: true, UIDs: []int64{10, 11, 12}}},
		},
		{
			name:    "guard_min: a few debtors on a small site are never held",
			desired: withAccess(desiredOn(1, map[int][]Grant{1: {{keyD, 4, 13}}}), AccessUnpaid, 10),
			current: map[int][]PanelKey{1: {{keyA, 5}, {keyD, 4}}},
			owned:   []OwnedKey{ownA10, owned(1, keyD, 4, 13)},
			opt:     PlanOptions{Prune: PruneOwned, MaxRevoke: 0.2, GuardMin: 10, Recorded: paidOn(1, 10, 13)},
			want: Plan{Panels: []PanelPlan{{Device: panelOf(1), Delete: []string{keyA}}},
				Guard: &Guard{Revoking: 1, Before: 2, Limit: 10, Share: 0.2, Min: 10, UIDs: []int64{10}}},
		},
		{
			name:    "prune all: foreign keys are not the billing's revocations",
			desired: desiredOn(1, nil),
			current: map[int][]PanelKey{1: {{keyA, 5}, {keyB, 1}}},
			opt:     allOpt,
			want:    Plan{Panels: []PanelPlan{{Device: panelOf(1), Delete: []string{keyA, keyB}}}},
		},
		{
			name:    "force overrides the guard",
			desired: withAccess(desiredOn(1, nil), AccessNone, 10, 11),
			current: map[int][]PanelKey{1: {{keyA, 5}, {keyB, 1}}},
			owned:   []OwnedKey{ownA10, owned(1, keyB, 1, 11)},
			opt:     PlanOptions{Prune: PruneOwned, MaxRevoke: 0.5, Force: true, Recorded: paidOn(1, 10, 11)},
			want: Plan{Panels: []PanelPlan{{Device: panelOf(1), Delete: []string{keyA, keyB}}},
				Guard: &Guard{Revoking: 2, Before: 2, Limit: 1, Share: 0.5, UIDs: []int64{10, 11}}},
		},
		{
			name:    "share at the limit is not guarded",
			desired: desiredOn(1, map[int][]Grant{1: {grantA10}}),
			current: map[int][]PanelKey{1: {{keyA, 5}, {keyB, 1}}},
			owned:   []OwnedKey{ownA10, owned(1, keyB, 1, 11)},
			opt:     ownedOpt,
			want:    Plan{Panels: []PanelPlan{{Device: panelOf(1), Delete: []string{keyB}}}},
		},
		{
			name:    "targeted run is never guarded",
			desired: desiredOn(1, nil),
			current: map[int][]PanelKey{1: {{keyA, 5}, {keyB, 5}}},
			owned:   []OwnedKey{ownA10, owned(1, keyB, 5, 10)},
			opt:     PlanOptions{Prune: PruneOwned, MaxRevoke: 0.1, UIDs: []int64{10}, Named: true},
			want:    Plan{UIDs: []int64{10}, Named: true, Panels: []PanelPlan{{Device: panelOf(1), Delete: []string{keyA, keyB}}}},
		},
		{
			name: "targeted run touches only the uid's codes",
			desired: withCodes(desiredOn(2, map[int][]Grant{1: {{keyC, 7, 20}}, 2: {grantA10}}),
				10, keyA, keyB),
			current: map[int][]PanelKey{1: {{keyB, 5}, {keyD, 1}}, 2: {{keyB, 5}, {keyD, 1}}},
			owned:   []OwnedKey{owned(1, keyD, 1, 20)},
			opt:     PlanOptions{Prune: PruneAll, MaxRevoke: 0.1, UIDs: []int64{10}, Named: true},
			want: Plan{UIDs: []int64{10}, Named: true, Panels: []PanelPlan{{Device: panelOf(2),
				Add: []PanelKey{{keyA, 5}}, Claim: []OwnedKey{owned(2, keyA, 5, 10)}, Delete: []string{keyB}}}},
		},
		{
			name:    "targeted run covers panels holding owned keys it no longer reaches",
			desired: withCodes(desiredOn(3, nil), 10, keyA),
			current: map[int][]PanelKey{1: {{keyA, 5}}, 2: {{keyA, 5}}, 3: {{keyA, 5}}},
			owned:   []OwnedKey{owned(2, keyA, 5, 10), owned(9, keyA, 5, 10), owned(9, keyB, 5, 11)},
			opt:     PlanOptions{Prune: PruneAll, UIDs: []int64{10}, Named: true},
			want: Plan{UIDs: []int64{10}, Named: true, Panels: []PanelPlan{{Device: panelOf(2), Delete: []string{keyA}}},
				Orphans: []OwnedKey{owned(9, keyA, 5, 10)}},
		},
		{
			name:    "unknown prune mode counts as owned",
			desired: desiredOn(1, nil),
			current: map[int][]PanelKey{1: {{keyA, 5}}},
			opt:     PlanOptions{Prune: "everything"},
			want:    Plan{Panels: []PanelPlan{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Calculate(tt.desired, tt.current, tt.owned, tt.opt)
			if tt.want.Guard == nil {
				got.Guard = nil // the guard's own cases check its reading
			}
			got = withoutKeep(got)
			want := tt.want
			want.Prune, want.MaxRevoke = pruneMode(tt.opt.Prune), tt.opt.MaxRevoke
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %s,\nwant %s", mustJSON(t, got), mustJSON(t, want))
			}
		})
	}
}

// withoutKeep drops what the read-back checks (PanelPlan.Keep), which
// these tables do not spell out.
func withoutKeep(p Plan) Plan {
	for i := range p.Panels {
		p.Panels[i].Keep = nil
	}
	return p
}

// withAccess gives each uid the state on every panel of d.
func withAccess(d Desired, state int, uids ...int64) Desired {
	for _, uid := range uids {
		for _, id := range sortedKeys(d.Panels) {
			d.Access = append(d.Access, Access{UID: uid, DeviceID: id, State: state})
		}
	}
	return d
}

// paidOn records uids as paid on panel id.
func paidOn(id int, uids ...int64) []Access {
	var out []Access
	for _, uid := range uids {
		out = append(out, Access{UID: uid, DeviceID: id, State: AccessPaid})
	}
	return out
}

// withCodes records codes in the keys table of uid.
func withCodes(d Desired, uid int64, codes ...string) Desired {
	d.Codes[uid] = uniqueSorted(append(d.Codes[uid], codes...))
	return d
}

func pruneMode(p string) string {
	if p == PruneAll {
		return PruneAll
	}
	return PruneOwned
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCalculateReports(t *testing.T) {
	d := desiredOn(1, nil)
	d.Conflicts = []Conflict{{1, keyA, 10, 20, 1, 2}, {1, keyB, 30, 40, 1, 2}}
	d.BadFlats = []BadFlat{{10, "7а"}, {50, ""}}
	t.Run("Full", func(t *testing.T) {
		p := Calculate(d, nil, nil, PlanOptions{})
		if len(p.Conflicts) != 2 || len(p.BadFlats) != 2 {
			t.Errorf("got %v %v, want every conflict and bad flat", p.Conflicts, p.BadFlats)
		}
	})
	t.Run("Targeted", func(t *testing.T) {
		p := Calculate(d, nil, nil, PlanOptions{UIDs: []int64{20}, Named: true})
		if want := d.Conflicts[:1]; !reflect.DeepEqual(p.Conflicts, want) || len(p.BadFlats) != 0 {
			t.Errorf("got %v %v, want %v and no bad flats", p.Conflicts, p.BadFlats, want)
		}
	})
}

func TestPlanOutputs(t *testing.T) {
	d := desiredOn(2, map[int][]Grant{1: {grantA10, {keyC, 3, 12}}})
	d.BadFlats = []BadFlat{{11, "12/1"}}
	current := map[int][]PanelKey{1: {{keyB, 1}, {keyC, 4}}}
	p := Calculate(d, current, []OwnedKey{owned(1, keyB, 1, 11), owned(5, keyD, 1, 13)}, PlanOptions{Force: true})
	t.Run("Counts", func(t *testing.T) {
		add, rebind, del := p.Counts()
		if add != 1 || rebind != 1 || del != 1 || !p.HasChanges() {
			t.Errorf("got %d %d %d %v, want 1 1 1 true", add, rebind, del, p.HasChanges())
		}
	})
	t.Run("Table", func(t *testing.T) {
		var buf bytes.Buffer
		p.Table(&buf)
		for _, want := range []string{"panel 1", "add", keyA, "rebind", "delete", keyB, "orphan", "unread", "12/1", "add 1, rebind 1, delete 1"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("table lacks %q:\n%s", want, buf.String())
			}
		}
	})
	t.Run("NoChanges", func(t *testing.T) {
		var buf bytes.Buffer
		empty := Calculate(desiredOn(1, nil), map[int][]PanelKey{1: nil}, nil, PlanOptions{})
		empty.Table(&buf)
		if empty.HasChanges() || !strings.Contains(buf.String(), "no changes") {
			t.Errorf("got HasChanges %v and table:\n%s", empty.HasChanges(), buf.String())
		}
	})
	t.Run("JSON", func(t *testing.T) {
		var back Plan
		if err := json.Unmarshal([]byte(mustJSON(t, p)), &back); err != nil {
			t.Fatal(err)
		}
		back.Panels[0].Device.Login, back.Panels[0].Device.Password = p.Panels[0].Device.Login, p.Panels[0].Device.Password
		if !reflect.DeepEqual(back, p) {
			t.Errorf("got %+v, want %+v", back, p)
		}
	})
}
