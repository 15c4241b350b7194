package reconcile

import (
	"maps"
	"slices"
)

// applied records, once a run's write sessions are over, what the run
// learned of the writes of each panel it read. A session that sent writes
// failed (the panel is failing, whatever later reads say) or had them all
// seen by its read-back (the panel takes writes again). A full or one-panel
// run that found nothing to change on a panel clears it too: the panel is
// as desired. A run of some contracts sees only their codes, and a panel
// whose deletions the guard held is not as desired, so those clear nothing
// they did not write. A nil batch records nothing.
func (b *ContactBatch) applied(l *leases, clients map[int]Panel, res *Result) {
	if b == nil {
		return
	}
	planned := make(map[int]PanelPlan, len(res.Plan.Panels))
	for _, pp := range res.Plan.Panels {
		planned[pp.Device.ID] = pp
	}
	var ws []PanelWrite
	for _, id := range l.readIDs() {
		if w, ok := writeOutcome(id, recordingOf(clients[id]), planned, res); ok {
			ws = append(ws, w)
		}
	}
	b.recordWrites(ws)
}

// writeOutcome is what run res tells of panel id's writes, if anything; rp
// is the run's recording client of the panel when it kept one to write.
func writeOutcome(id int, rp *recordingPanel, planned map[int]PanelPlan, res *Result) (PanelWrite, bool) {
	switch {
	case res.Yielded[id] != "":
		return PanelWrite{}, false // a newer run has it
	case rp != nil && rp.wrote.Load():
		return PanelWrite{DeviceID: id, Error: res.Failed[id]}, true
	case res.Failed[id] != "" || res.Unburied[id] != "":
		return PanelWrite{}, false // not read, or no write sent: busy, stopping, the store failed
	case len(res.Plan.UIDs) > 0:
		return PanelWrite{}, false // only some contracts' codes were looked at
	}
	if pp, ok := planned[id]; ok && len(pp.Held)+len(pp.Add)+len(pp.Rebind)+len(pp.Delete)+len(pp.Replace) > 0 {
		return PanelWrite{}, false // held by the guard, or due writes never sent
	}
	return PanelWrite{DeviceID: id}, true
}

// recordingOf finds the recording client under a run's client of a panel
// (a leasedPanel around it); nil when the run records no contacts.
func recordingOf(p Panel) *recordingPanel {
	if lp, ok := p.(*leasedPanel); ok {
		p = lp.p
	}
	rp, _ := p.(*recordingPanel)
	return rp
}

// readIDs lists the panels this run took a lease on to read: seen noted
// each one's write counter then.
func (l *leases) readIDs() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Collect(maps.Keys(l.writes))
}
