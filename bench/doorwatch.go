package bench

import (
	"sync"
	"time"

	"yardsync/panels/panelsim"
)

// doorWatch samples one emulated panel's key table every few milliseconds,
// off the panel's request path, and keeps when it last became right and
// the longest time a payer's key was off it.
type doorWatch struct {
	sim   *panelsim.Panel
	gone  []string // codes that must not be there (the debtor's)
	kept  []string // codes that were there and must stay (the payers')
	added []string // codes that must come (a contract that paid again)

	mu         sync.Mutex
	rightSince time.Time // when the panel last became right; zero while it is not
	gapFrom    time.Time // when a payer's key went missing; zero while none is
	maxGap     time.Duration

	quit, done chan struct{}
}

// watchDoor starts sampling sim every interval until Stop.
func watchDoor(sim *panelsim.Panel, gone, kept, added []string, every time.Duration) *doorWatch {
	d := &doorWatch{sim: sim, gone: gone, kept: kept, added: added, quit: make(chan struct{}), done: make(chan struct{})}
	d.sample(time.Now())
	go d.loop(every)
	return d
}

func (d *doorWatch) loop(every time.Duration) {
	defer close(d.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-d.quit:
			return
		case now := <-t.C:
			d.sample(now)
		}
	}
}

// sample reads the table once.
func (d *doorWatch) sample(now time.Time) {
	have := map[string]bool{}
	for _, k := range d.sim.Keys() {
		have[k.Code] = true
	}
	all := func(codes []string, want bool) bool {
		for _, c := range codes {
			if have[c] != want {
				return false
			}
		}
		return true
	}
	payers := all(d.kept, true)
	right := payers && all(d.added, true) && all(d.gone, false)
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case right && d.rightSince.IsZero():
		d.rightSince = now
	case !right:
		d.rightSince = time.Time{}
	}
	switch {
	case !payers && d.gapFrom.IsZero():
		d.gapFrom = now
	case payers && !d.gapFrom.IsZero():
		d.maxGap = max(d.maxGap, now.Sub(d.gapFrom))
		d.gapFrom = time.Time{}
	}
}

// Stop ends the sampling after one last sample.
func (d *doorWatch) Stop() {
	select {
	case <-d.quit:
		return
	default:
	}
	close(d.quit)
	<-d.done
	d.sample(time.Now())
}

// right reports whether the panel is right now, and since when.
func (d *doorWatch) right() (bool, time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.rightSince.IsZero(), d.rightSince
}

// gap is the longest time a payer's key was missing, counting a gap still open.
func (d *doorWatch) gap() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.gapFrom.IsZero() {
		return max(d.maxGap, time.Since(d.gapFrom))
	}
	return d.maxGap
}
