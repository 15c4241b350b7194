package reconcile

import (
	"context"
	"sync"
)

// panelReads reads the keys of every panel in scope, concurrently, each
// under its lease, and plans each panel as its keys arrive once it has a
// planner (panels read before that wait for it). It keeps the clients of
// the panels whose plan changes something, and lets every other listing go
// at once. A panel that cannot be read is listed in failed and gets no plan.
type panelReads struct {
	done chan struct{}
	stop context.CancelFunc

	mu      sync.Mutex
	b       *planner // nil until planWith
	pending []listed // read before the planner came
	clients map[int]Panel
	kept    map[int]PanelPlan // the plans of the panels in clients
	read    map[int]bool
	failed  map[int]string
	// write, when set, writes a panel planned with changes at once, under
	// the lease it was read under (see writeWith); nil on a dry run.
	write func(ctx context.Context, id int, client Panel, pp PanelPlan)
	// progress hears of each panel planned with nothing to write.
	progress *Progress
	// reported counts the panels whose read the Observer was told of: a
	// panel is counted when its own report goes, not when another panel's
	// report finds it read, so each count is reported once.
	reported int
}

// listed is one panel read and not planned yet.
type listed struct {
	id     int
	client Panel
	keys   []PanelKey
}

// startReads starts reading the panels of scope.
func (r *run) startReads(ctx context.Context, l *leases, scope []PanelDevice) *panelReads {
	ctx, stop := context.WithCancel(ctx)
	p := &panelReads{done: make(chan struct{}), stop: stop, clients: map[int]Panel{}, kept: map[int]PanelPlan{}, read: map[int]bool{}, failed: map[int]string{},
		progress: r.progress}
	go func() {
		defer close(p.done)
		r.readPanels(ctx, l, scope, p)
	}()
	return p
}

func (r *run) readPanels(ctx context.Context, l *leases, scope []PanelDevice, p *panelReads) {
	ids, byID := devicesOf(scope)
	r.progress.expect(ids)
	l.each(ctx, ids, r.Opts.Concurrency, false, func(g grant) {
		client, keys, err := r.readLeased(ctx, l, byID[g.id], g)
		switch {
		case g.err != nil: // no lease held
		case err != nil:
			l.release(g.id)
		default:
			if pp, now := p.deliver(listed{g.id, client, keys}); now {
				p.write(ctx, g.id, client, pp) // releases the lease
			} else {
				l.release(g.id)
			}
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil {
			p.failed[g.id] = err.Error()
			r.progress.settled(g.id, 0, 0, 0, true)
			if ctx.Err() == nil { // a cancelled read is the run's doing, not the panel's
				r.Log.Warn("panel not read", "panel_id", g.id, "error", err)
			}
		}
		if r.Observer != nil {
			p.reported++
			r.Observer.Progress(StageRead, p.reported, len(ids))
		}
	})
}

// writeWith makes the reads write every panel planned from now on at once,
// under the lease it was read under, with its outcome in out.
func (p *panelReads) writeWith(r *run, s *panelSessions, out *sessionsOut) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.write = func(ctx context.Context, id int, client Panel, pp PanelPlan) {
		g := s.leases.upgrade(ctx, id)
		added, rebound, deleted, err := r.writeLeased(ctx, s, client, pp, g)
		out.add(r, id, client, added, rebound, deleted, err)
	}
}

// deliver plans a read panel, or keeps it for the planner to come. It
// reports the plan when the panel is to be written now, by the caller,
// under the lease it holds.
func (p *panelReads) deliver(l listed) (PanelPlan, bool) {
	p.mu.Lock()
	p.read[l.id] = true
	b := p.b
	if b == nil {
		p.pending = append(p.pending, l)
	}
	p.mu.Unlock()
	if b == nil {
		return PanelPlan{}, false
	}
	return p.planRead(b, l, true)
}

// planRead plans one panel (outside the lock: plans only read) and counts it
// in. A panel with changes is written now when now is set and the reads
// write (the caller holds its lease); else its client is kept for apply.
func (p *panelReads) planRead(b *planner, l listed, now bool) (PanelPlan, bool) {
	pp := b.plan(l.id, l.keys)
	p.mu.Lock()
	defer p.mu.Unlock()
	b.add(pp)
	if !pp.pp.changes() {
		p.progress.settled(l.id, 0, 0, 0, false)
		return PanelPlan{}, false
	}
	if now && p.write != nil {
		return pp.pp, true
	}
	p.clients[l.id], p.kept[l.id] = l.client, pp.pp
	return PanelPlan{}, false
}

// planWith sets the planner and plans the panels read before it. Those
// with changes are handed back with their clients when the reads write
// (not on a dry run): the caller writes them at once, beside the reads
// still going, so a panel slow to read or write delays only itself.
func (p *panelReads) planWith(b *planner) (early []PanelPlan, clients map[int]Panel) {
	p.mu.Lock()
	p.b = b
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, l := range pending {
		p.planRead(b, l, false)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.write == nil {
		return nil, nil
	}
	clients = map[int]Panel{}
	for _, l := range pending {
		if c, ok := p.clients[l.id]; ok {
			clients[l.id] = c
			delete(p.clients, l.id)
			early = append(early, p.kept[l.id])
		}
	}
	return early, clients
}

// wait waits for every read and returns the clients of the panels to
// write, which panels were read, and which failed.
func (p *panelReads) wait() (clients map[int]Panel, read map[int]bool, failed map[int]string) {
	<-p.done
	p.stop()
	return p.clients, p.read, p.failed
}

// cancel stops the reads and waits for them to end: a run that failed
// before it planned leaves no panel request behind.
func (p *panelReads) cancel() {
	p.stop()
	<-p.done
}

func (r *run) readPanel(ctx context.Context, l *leases, d PanelDevice) (Panel, []PanelKey, error) {
	client, err := r.Dial(d)
	if err != nil {
		return nil, nil, err
	}
	client = &leasedPanel{p: client, id: d.ID, l: l}
	var keys []PanelKey
	err = r.retry(ctx, d.Family, "list", func(ctx context.Context) (err error) {
		keys, err = client.ListKeys(ctx)
		return err
	})
	return client, keys, err
}

// readLeased reads one panel under its lease; the caller releases it, or
// writes the panel under it first.
func (r *run) readLeased(ctx context.Context, l *leases, d PanelDevice, g grant) (Panel, []PanelKey, error) {
	if g.err != nil {
		return nil, nil, g.err
	}
	l.seen(d.ID, g.writes)
	return r.readPanel(ctx, l, d)
}
