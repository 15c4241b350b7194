package reconcile

import (
	"context"
	"slices"
	"sync"
)

// Progress follows one run panel by panel, for a caller that answers before
// the run ends: a sync/ with wait answers after api.sync_wait, listing the
// panels still in progress, while the run goes on. The scheduler makes one
// per job and passes it in Request.Progress. The Runner tells it the run's
// panels once it knows them (expect), each panel as it settles (settled;
// planned for the panels with nothing to write); the scheduler tells it the
// run's end (finish). Every method of a nil *Progress does nothing. A
// Progress is safe for concurrent use.
type Progress struct {
	mu       sync.Mutex
	panels   map[int]bool // every panel of the run -> still in progress
	left     int          // panels still in progress
	known    bool         // the run knows its panels
	sum      Summary      // counts so far; the run's summary once it finished
	finished bool
	changed  chan struct{} // closed (and replaced) on every change, to wake Wait
}

// NewProgress returns the progress of a run that has not started.
func NewProgress() *Progress {
	return &Progress{panels: map[int]bool{}, changed: make(chan struct{})}
}

// expect adds the panels the run is going to work on.
func (p *Progress) expect(ids []int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.known = true
	for _, id := range ids {
		if _, ok := p.panels[id]; !ok {
			p.panels[id] = true
			p.left++
		}
	}
	p.wake()
}

// settled records a panel done with, whatever became of it (written,
// nothing to do, failed, left to a newer run, busy), with what it counts.
// A panel settles once: a second report is ignored.
func (p *Progress) settled(id int, added, rebound, deleted int, failed bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished || !p.markDone(id) {
		return
	}
	p.sum.Added += added
	p.sum.Rebound += rebound
	p.sum.Deleted += deleted
	if failed {
		p.sum.FailedPanels++
	}
	p.wake()
}

// planned records the run's plan: every panel still in progress that has
// nothing to write in plans is done with; the others settle as their
// sessions end.
func (p *Progress) planned(plans []PanelPlan) {
	if p == nil {
		return
	}
	writes := map[int]bool{}
	for _, pp := range plans {
		if pp.changes() {
			writes[pp.Device.ID] = true
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	for id, open := range p.panels {
		if open && !writes[id] {
			p.markDone(id)
		}
	}
	p.wake()
}

// finish records the run's end and its summary: nothing is in progress any more.
func (p *Progress) finish(s Summary) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finished, p.sum, p.left = true, s, 0
	clear(p.panels)
	p.wake()
}

// markDone marks a panel done with and reports whether it was in progress;
// a panel the run did not announce counts in, done. Caller holds p.mu.
func (p *Progress) markDone(id int) bool {
	open, ok := p.panels[id]
	if ok && !open {
		return false
	}
	if open {
		p.left--
	}
	p.panels[id] = false
	return true
}

// wake tells the waiters something changed. Caller holds p.mu.
func (p *Progress) wake() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Wait blocks until every panel of the run has settled, or the run has
// finished, or ctx is done, and reports whether the run got that far. A run
// that does not know its panels yet (queued, or still reading the billing
// and the store) has not. A nil Progress reports false at once.
func (p *Progress) Wait(ctx context.Context) bool {
	if p == nil {
		return false
	}
	for {
		p.mu.Lock()
		quiet, changed := p.finished || p.known && p.left == 0, p.changed
		p.mu.Unlock()
		if quiet {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

// Pending returns the panels (device ids) still in progress, sorted; never
// nil on a Progress, empty once the run finished.
func (p *Progress) Pending() []int {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending()
}

// pending is Pending. Caller holds p.mu.
func (p *Progress) pending() []int {
	out := make([]int, 0, p.left)
	for id, open := range p.panels {
		if open {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Snapshot returns the run's counts so far, with status StatusRunning and
// the panels still in progress as Pending (an empty list when there are
// none yet or none left), taken at one moment, and no RunID: the caller
// knows it. Once the run finished, it returns the run's summary as finish
// got it, without a pending list.
func (p *Progress) Snapshot() SyncAnswer {
	if p == nil {
		return SyncAnswer{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return SyncAnswer{Summary: p.sum}
	}
	s := p.sum
	s.Status, s.Panels = StatusRunning, len(p.panels)
	return SyncAnswer{Summary: s, Pending: p.pending()}
}
