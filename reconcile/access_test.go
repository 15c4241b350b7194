package reconcile

import (
	"reflect"
	"testing"
)

func TestAccessChanges(t *testing.T) {
	desired := Desired{
		Access: []Access{{1, 10, AccessPaid}, {1, 11, AccessPaid}, {2, 10, AccessUnpaid}, {3, 10, AccessNone}},
		// uid 3 has several billing rows: its recorded state stays.
		Duplicates: []int64{3},
	}
	current := []Access{{1, 10, AccessPaid}, {1, 12, AccessPaid}, {2, 10, AccessPaid}, {3, 10, AccessPaid}}
	tests := []struct {
		name      string
		uids      []int64
		set, gone []Access
	}{
		{name: "full run", set: []Access{{1, 11, AccessPaid}, {2, 10, AccessUnpaid}}, gone: []Access{{1, 12, AccessPaid}}},
		{name: "targeted run", uids: []int64{2}, set: []Access{{2, 10, AccessUnpaid}}},
		{name: "duplicate left alone", uids: []int64{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScope(desired, nil, PlanOptions{UIDs: tt.uids})
			set, gone := s.access(desired, current)
			if !reflect.DeepEqual(set, tt.set) || !reflect.DeepEqual(gone, tt.gone) {
				t.Errorf("got set %v gone %v, want %v %v", set, gone, tt.set, tt.gone)
			}
		})
	}
}

func TestGuardedPlanHoldsAccess(t *testing.T) {
	current := []Access{{1, 10, AccessPaid}, {2, 10, AccessUnpaid}, {3, 10, AccessPaid}}
	set := []Access{{1, 10, AccessUnpaid}, {2, 10, AccessPaid}, {4, 10, AccessPaid}}
	gone := []Access{{3, 10, AccessPaid}}
	p := Plan{Guarded: true}
	p.setAccess(set, gone, current)
	wantSet, wantHeld := []Access{{2, 10, AccessPaid}, {4, 10, AccessPaid}}, []Access{{1, 10, AccessUnpaid}, {3, 10, AccessPaid}}
	if !reflect.DeepEqual(p.Access, wantSet) || p.AccessGone != nil || !reflect.DeepEqual(p.AccessHeld, wantHeld) {
		t.Errorf("got set %v gone %v held %v, want %v, none, %v", p.Access, p.AccessGone, p.AccessHeld, wantSet, wantHeld)
	}
	open := Plan{}
	open.setAccess(set, gone, current)
	if !reflect.DeepEqual(open.Access, set) || !reflect.DeepEqual(open.AccessGone, gone) || open.AccessHeld != nil {
		t.Errorf("unguarded: got %v %v %v", open.Access, open.AccessGone, open.AccessHeld)
	}
}
