package reconcile

import (
	"reflect"
	"testing"
)

// callsDesired is panel 1 with these contracts reaching it (rights).
func callsDesired(contracts ...Contract) Desired {
	in := Inputs{Contracts: contracts, Rights: map[int64][]int{},
		Devices: []Device{{ID: 1, Type: TypeCam, IsActive: ptr(true), PanelType: ptr(PanelBeward), PanelIP: ptr("127.0.0.1")}}}
	for _, c := range contracts {
		in.Rights[c.UID] = []int{1}
	}
	return Desire(in)
}

func TestCalculateCalls(t *testing.T) {
	paid := func(uid int64, flat string) Contract {
		return Contract{UID: uid, Flat: flat, CamsOpen: true, CamsPaid: true}
	}
	unpaid := func(uid int64, flat string) Contract { return Contract{UID: uid, Flat: flat, CamsOpen: true} }
	closed := func(uid int64, flat string) Contract { return Contract{UID: uid, Flat: flat} }
	found := CallSetting{Handset: true}
	tests := []struct {
		name      string
		contracts []Contract
		recs      []CallRecord
		opt       PlanOptions
		wantOff   []CallOff
		wantOn    []CallOn
		wantHeld  []int
		whole     map[int]map[int]bool // Desired.CallsWhole of a targeted run
	}{
		{name: "UnpaidFlatGoesOff", contracts: []Contract{unpaid(1, "12")},
			wantOff: []CallOff{{Flat: 12, UIDs: []int64{1}}}},
		{name: "BlockCallsOff", contracts: []Contract{unpaid(1, "12")}, opt: PlanOptions{BlockCalls: false}},
		{name: "PaidAndUnpaidStaysOn", contracts: []Contract{unpaid(1, "12"), paid(2, "12")}},
		{name: "StateZeroChangesNothing", contracts: []Contract{closed(1, "12")}},
		{name: "BadFlatChangesNothing", contracts: []Contract{unpaid(1, "12а")}},
		{name: "SeenOffIsDone", contracts: []Contract{unpaid(1, "12")},
			recs: []CallRecord{{DeviceID: 1, Flat: 12, Found: found, UIDs: []int64{1}, Seen: true}}},
		{name: "UnseenOffIsRetriedWithWhatWasFound", contracts: []Contract{unpaid(1, "12")},
			recs:    []CallRecord{{DeviceID: 1, Flat: 12, Found: found, UIDs: []int64{1}}},
			wantOff: []CallOff{{Flat: 12, UIDs: []int64{1}, Found: &found}}},
		{name: "PaysAgainRestores", contracts: []Contract{paid(1, "12")},
			recs:   []CallRecord{{DeviceID: 1, Flat: 12, Found: found, UIDs: []int64{1}, Seen: true}},
			wantOn: []CallOn{{Flat: 12, UIDs: []int64{1}, Found: found}}},
		{name: "AnotherPaysOnTheFlat", contracts: []Contract{unpaid(1, "12"), paid(2, "12")},
			recs:   []CallRecord{{DeviceID: 1, Flat: 12, Found: found, UIDs: []int64{1}, Seen: true}},
			wantOn: []CallOn{{Flat: 12, UIDs: []int64{1}, Found: found}}},
		{name: "DuplicateRowsFreezeTheFlat", contracts: []Contract{paid(1, "12"), unpaid(1, "12")},
			recs: []CallRecord{{DeviceID: 1, Flat: 12, Found: found, UIDs: []int64{1}, Seen: true}}},
		// A targeted run sees only its contracts: another of the flat may have paid.
		{name: "TargetedRunTurnsNothingOff", contracts: []Contract{unpaid(1, "12"), unpaid(2, "14")},
			opt: PlanOptions{UIDs: []int64{2}, Named: true}},
		{name: "TargetedRunRestoresOnAPayer", contracts: []Contract{paid(2, "12")},
			recs:   []CallRecord{{DeviceID: 1, Flat: 12, Found: found, UIDs: []int64{1}, Seen: true}},
			opt:    PlanOptions{UIDs: []int64{2}, Named: true},
			wantOn: []CallOn{{Flat: 12, UIDs: []int64{1}, Found: found}}},
		{name: "TargetedRunWithoutAPayerWaits", contracts: []Contract{closed(1, "12")},
			recs: []CallRecord{{DeviceID: 1, Flat: 12, Found: found, UIDs: []int64{1}, Seen: true}},
			opt:  PlanOptions{UIDs: []int64{1}, Named: true}},
		{name: "TargetedRunTurnsOffAFlatReadWhole", contracts: []Contract{unpaid(1, "12"), unpaid(2, "14")},
			opt: PlanOptions{UIDs: []int64{2}, Named: true}, whole: map[int]map[int]bool{1: {14: true}},
			wantOff: []CallOff{{Flat: 14, UIDs: []int64{2}}}},
		{name: "FullRunRestoresWhenNobodyIsUnpaid", contracts: []Contract{closed(1, "12")},
			recs:   []CallRecord{{DeviceID: 1, Flat: 12, Found: found, UIDs: []int64{1}, Seen: true}},
			wantOn: []CallOn{{Flat: 12, UIDs: []int64{1}, Found: found}}},
		{name: "GuardHoldsTheOff", contracts: []Contract{unpaid(1, "12"), unpaid(2, "14")},
			opt:      PlanOptions{MaxRevoke: 0.1},
			wantHeld: []int{12, 14}},
		{name: "ForcedPastTheGuard", contracts: []Contract{unpaid(1, "12")},
			opt:     PlanOptions{MaxRevoke: 0.1, Force: true},
			wantOff: []CallOff{{Flat: 12, UIDs: []int64{1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := tt.opt
			opt.BlockCalls = tt.name != "BlockCallsOff"
			opt.Calls = tt.recs
			if opt.MaxRevoke == 0 {
				opt.MaxRevoke, opt.GuardMin = 1, 10
			}
			d := callsDesired(tt.contracts...)
			d.CallsWhole = tt.whole
			p := Calculate(d, map[int][]PanelKey{1: nil}, nil, opt)
			var pp PanelPlan
			if len(p.Panels) > 0 {
				pp = p.Panels[0]
			}
			if !reflect.DeepEqual(pp.CallsOff, tt.wantOff) || !reflect.DeepEqual(pp.CallsOn, tt.wantOn) || !reflect.DeepEqual(pp.CallsHeld, tt.wantHeld) {
				t.Fatalf("got off %+v on %+v held %v, want off %+v on %+v held %v",
					pp.CallsOff, pp.CallsOn, pp.CallsHeld, tt.wantOff, tt.wantOn, tt.wantHeld)
			}
			if tt.wantHeld != nil && (!p.Guarded || p.Guard.CallsOff != len(tt.wantHeld) || p.Guard.Revoking != 2) {
				t.Fatalf("guard: got %+v, want it held by %d flats of 2 contracts", p.Guard, len(tt.wantHeld))
			}
		})
	}
}
