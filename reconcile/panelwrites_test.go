package reconcile

import (
	"context"
	"testing"
)

// TestPanelWriteOutcome: what a run tells of a panel's writes. Only a session
// that sent writes fails a panel's writes; a panel is cleared by such a
// session that worked, or by a full run that found it as desired.
func TestPanelWriteOutcome(t *testing.T) {
	wrote := &recordingPanel{}
	wrote.wrote.Store(true)
	idle := &recordingPanel{}
	add := PanelPlan{Device: PanelDevice{ID: 1}, Add: []PanelKey{{Code: "0000000000AA01", Flat: 1}}}
	held := PanelPlan{Device: PanelDevice{ID: 1}, Held: []string{"0000000000AA01"}}
	adopt := PanelPlan{Device: PanelDevice{ID: 1}, Adopt: []OwnedKey{{DeviceID: 1, Code: "0000000000AA01"}}}
	failed := map[int]string{1: "status 401"}
	cases := []struct {
		name string
		rp   *recordingPanel
		pp   *PanelPlan
		res  Result
		want *PanelWrite // nil: nothing told
	}{
		{"session failed", wrote, &add, Result{Failed: failed}, &PanelWrite{DeviceID: 1, Error: "status 401"}},
		{"session worked", wrote, &add, Result{}, &PanelWrite{DeviceID: 1}},
		{"targeted session worked", wrote, &add, Result{Plan: Plan{UIDs: []int64{5}}}, &PanelWrite{DeviceID: 1}},
		{"no write sent", idle, &add, Result{Failed: map[int]string{1: "panel 1 is busy"}}, nil},
		{"no client kept, read failed", nil, nil, Result{Failed: failed}, nil},
		{"deleted panel not read", nil, nil, Result{Unburied: failed}, nil},
		{"yielded", idle, &add, Result{Yielded: map[int]string{1: "newer run"}}, nil},
		{"as desired", nil, nil, Result{}, &PanelWrite{DeviceID: 1}},
		{"only bookkeeping", idle, &adopt, Result{}, &PanelWrite{DeviceID: 1}},
		{"as desired for some contracts", nil, nil, Result{Plan: Plan{UIDs: []int64{5}}}, nil},
		{"deletions held", nil, &held, Result{}, nil},
		{"writes due, none sent", idle, &add, Result{}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			planned := map[int]PanelPlan{}
			if c.pp != nil {
				planned[1] = *c.pp
			}
			got, told := writeOutcome(1, c.rp, planned, &c.res)
			switch {
			case c.want == nil && told:
				t.Errorf("got %+v, want nothing told", got)
			case c.want != nil && (!told || got != *c.want):
				t.Errorf("got %+v (told %v), want %+v", got, told, *c.want)
			}
		})
	}
}

// A batch writes the write outcomes it gathered at its flush, a panel's
// latest winning; a nil batch gathers none.
func TestContactBatchWrites(t *testing.T) {
	rec := &fakeRecorder{}
	b := NewContactBatch(rec, nil)
	b.recordWrites([]PanelWrite{{DeviceID: 1, Error: "status 401"}, {DeviceID: 2}})
	b.recordWrites([]PanelWrite{{DeviceID: 1}})
	if len(rec.writes) != 0 {
		t.Fatal("write outcomes written before the flush")
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := map[int]string{}
	for _, w := range rec.writes {
		got[w.DeviceID] = w.Error
	}
	if len(rec.writes) != 2 || got[1] != "" || got[2] != "" {
		t.Fatalf("flushed %+v, want panels 1 and 2 cleared", rec.writes)
	}
	var none *ContactBatch
	none.recordWrites([]PanelWrite{{DeviceID: 1}})
	none.applied(nil, nil, &Result{})
}
