package panelsim

import "context"

// Hook sees every request a panel receives, before the panel answers it and
// while the request counts as in flight. A test blocks in it to hold a run
// mid-request deterministically (ctx ends when the client gives up), or
// signals from it that a request arrived.
type Hook func(ctx context.Context, req Request)

// SetHook installs h (nil removes it).
func (p *Panel) SetHook(h Hook) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook = h
}

// MaxInFlight returns the most requests the panel was answering at once.
// yardsync makes one request at a time per panel, so more than one means
// two runs wrote or read the panel at the same time.
func (p *Panel) MaxInFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxInFlight
}

// enter counts a request in flight until the returned leave is called, and
// returns the hook in force.
func (p *Panel) enter() (hook Hook, leave func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight++
	p.maxInFlight = max(p.maxInFlight, p.inFlight)
	return p.hook, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.inFlight--
	}
}
