package reconcile

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// ended is a context that has ended: Wait on it only reports the state.
func ended() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestProgressNil(t *testing.T) {
	var p *Progress
	p.expect([]int{1})
	p.settled(1, 1, 0, 0, false)
	p.planned(nil)
	p.finish(Summary{RunID: 3})
	if got := p.Pending(); len(got) != 0 {
		t.Errorf("Pending: got %v, want none", got)
	}
	if got := p.Snapshot(); got.RunID != 0 || got.Status != "" || got.Pending != nil {
		t.Errorf("Snapshot: got %+v, want the zero summary", got)
	}
	if p.Wait(ended()) {
		t.Error("Wait of a nil Progress: got true, want false (it knows nothing)")
	}
}

func TestProgressSettles(t *testing.T) {
	p := NewProgress()
	if p.Wait(ended()) {
		t.Fatal("Wait before the run knows its panels: got true")
	}
	p.expect([]int{30, 10, 20})
	if got := p.Pending(); !slices.Equal(got, []int{10, 20, 30}) {
		t.Fatalf("Pending: got %v, want [10 20 30] sorted", got)
	}
	p.settled(20, 1, 2, 3, false) // written
	p.settled(30, 0, 0, 0, true)  // read failed
	p.settled(20, 5, 5, 5, true)  // once settled, a panel stays as it settled
	got := p.Snapshot()
	want := Summary{Status: StatusRunning, Panels: 3, FailedPanels: 1, Added: 1, Rebound: 2, Deleted: 3}
	if !slices.Equal(got.Pending, []int{10}) {
		t.Fatalf("Snapshot pending: got %v, want [10]", got.Pending)
	}
	if got.Summary != want {
		t.Fatalf("Snapshot: got %+v, want %+v", got, want)
	}
	if p.Wait(ended()) {
		t.Fatal("Wait with panel 10 pending: got true")
	}
	p.settled(10, 0, 0, 0, false)
	if !p.Wait(ended()) {
		t.Fatal("Wait with every panel settled: got false")
	}
	if got := p.Snapshot(); got.Pending == nil || len(got.Pending) != 0 || got.Status != StatusRunning {
		t.Fatalf("Snapshot of a run with every panel settled, not finished: got %+v, want running and an empty (not nil) pending", got)
	}
}

// planned settles every panel read with nothing to write; the panels with
// writes stay pending until their sessions settle them.
func TestProgressPlanned(t *testing.T) {
	p := NewProgress()
	p.expect([]int{1, 2, 3, 4})
	p.settled(1, 0, 0, 0, true)
	p.planned([]PanelPlan{
		{Device: PanelDevice{ID: 2}, Delete: []string{"0000000000AA01"}},
		{Device: PanelDevice{ID: 3}, Held: []string{"0000000000AA02"}}, // only held deletions: no session
	})
	if got := p.Pending(); !slices.Equal(got, []int{2}) {
		t.Fatalf("Pending: got %v, want [2]", got)
	}
	if got := p.Snapshot(); got.FailedPanels != 1 || got.Panels != 4 {
		t.Fatalf("Snapshot: got %+v, want 4 panels, 1 failed", got)
	}
}

func TestProgressFinish(t *testing.T) {
	p := NewProgress()
	p.expect([]int{1, 2})
	p.settled(1, 0, 0, 1, false)
	final := Summary{RunID: 9, Status: StatusPartial, Panels: 2, FailedPanels: 1, Deleted: 1}
	p.finish(final)
	p.settled(2, 7, 0, 0, false) // too late: the run has ended
	if !p.Wait(ended()) {
		t.Fatal("Wait after finish: got false")
	}
	if got := p.Pending(); len(got) != 0 {
		t.Fatalf("Pending after finish: got %v, want none", got)
	}
	if got := p.Snapshot(); got.Summary != final || got.Pending != nil {
		t.Fatalf("Snapshot after finish: got %+v, want the run's summary %+v", got, final)
	}
}

// Wait wakes when the last panel settles, whoever settles it; run with -race.
func TestProgressWaitConcurrent(t *testing.T) {
	p := NewProgress()
	ids := make([]int, 50)
	for i := range ids {
		ids[i] = i + 1
	}
	p.expect(ids)
	waited := make(chan bool)
	go func() { waited <- p.Wait(context.Background()) }()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			_ = p.Pending()
			_ = p.Snapshot()
			p.settled(id, 1, 0, 1, id%10 == 0)
		})
	}
	wg.Wait()
	if !<-waited {
		t.Fatal("Wait: got false, want true once every panel settled")
	}
	if got := p.Snapshot(); got.Added != 50 || got.Deleted != 50 || got.FailedPanels != 5 || len(got.Pending) != 0 {
		t.Fatalf("Snapshot: got %+v, want 50 added and deleted, 5 failed, none pending", got)
	}
}
