package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"yardsync/billing"
	"yardsync/panels"
	"yardsync/reconcile"
	"yardsync/store"
)

// checkPanelsAtOnce bounds the panels check probes at the same time.
const checkPanelsAtOnce = 32

// checkPanels probes every active panel of the store concurrently: reach and
// auth (the panel says who it is), then the key table (a listing, which
// also makes the Beward table probe). One line a panel, then a summary.
func (e *env) checkPanels(ctx context.Context, db *store.DB) []billing.Probe {
	if db == nil {
		return []billing.Probe{{Query: "panels", Status: "skipped", Detail: "the store is not reachable (see the store line)"}}
	}
	devices, err := db.Devices(ctx)
	if err != nil {
		return []billing.Probe{{Query: "panels", Status: "skipped", Detail: "the store's devices could not be read: " + err.Error()}}
	}
	var list []reconcile.PanelDevice
	for _, d := range devices {
		if p, ok := d.PanelIn(e.families()); ok {
			list = append(list, p)
		}
	}
	dial := panels.Dialer(panels.Options{Port: e.cfg.Panels.Port, Scheme: e.cfg.Panels.Scheme, Timeout: e.cfg.Reconcile.PanelTimeout})
	probes := probePanels(ctx, dial, list, e.cfg.Reconcile.PanelTimeout)
	if w, ok := unknownFamilies(devices, e.families()); ok {
		probes = append(probes, w)
	}
	if w, ok := noCallSwitch(dial, list, e.cfg.Reconcile.BlockCalls); ok {
		probes = append(probes, w)
	}
	return probes
}

// noCallSwitch names the panels whose model cannot turn a flat's calls off
// (reconcile.block_calls): runs leave their flats as they are. A warning,
// never a failure: it makes no run partial and no panel failing.
func noCallSwitch(dial reconcile.PanelDialer, list []reconcile.PanelDevice, block bool) (billing.Probe, bool) {
	var names []string
	for _, d := range list {
		if p, err := dial(d); err == nil && !reconcile.CanSwitchCalls(p) {
			names = append(names, fmt.Sprintf("panel %d (%s)", d.ID, reconcile.Family(d.Family)))
		}
	}
	if len(names) == 0 {
		return billing.Probe{}, false
	}
	state := "off"
	if block {
		state = "on"
	}
	return billing.Probe{Query: "call blocking", Status: "warning",
		Detail: "cannot block calls (reconcile.block_calls is " + state + "; their flats are left as they are): " + strings.Join(names, ", ")}, true
}

// probePanels probes list at most checkPanelsAtOnce at a time: a line per
// panel, the summary, and a warning naming the panels whose key listing
// skipped lines it could not parse.
func probePanels(ctx context.Context, dial reconcile.PanelDialer, list []reconcile.PanelDevice, timeout time.Duration) []billing.Probe {
	out := make([]billing.Probe, len(list))
	skipped := make([]int, len(list))
	var g errgroup.Group
	g.SetLimit(checkPanelsAtOnce)
	for i, p := range list {
		g.Go(func() error { out[i], skipped[i] = probePanel(ctx, dial, p, timeout); return nil })
	}
	_ = g.Wait()
	out = append(out, panelSummary(out))
	if w, ok := skippedWarning(list, skipped); ok {
		out = append(out, w)
	}
	return out
}

// probePanel probes one panel; skipped is how many entries its listing
// skipped as unparseable (0 when its client does not count them).
func probePanel(ctx context.Context, dial reconcile.PanelDialer, d reconcile.PanelDevice, timeout time.Duration) (_ billing.Probe, skipped int) {
	name := fmt.Sprintf("panel %d", d.ID)
	ctx, cancel := context.WithTimeout(ctx, 2*timeout)
	defer cancel()
	p, err := dial(d)
	if err != nil {
		return panelFailed(d, err.Error()), 0
	}
	detail := fmt.Sprintf("%s %s", reconcile.Family(d.Family), d.IP)
	if pinger, ok := p.(interface {
		Ping(context.Context) (panels.Info, error)
	}); ok {
		info, err := pinger.Ping(ctx)
		if err != nil {
			return panelFailed(d, detail+": "+err.Error()), 0
		}
		detail += fmt.Sprintf(" (%s %s)", info.Model, info.DeviceID)
	}
	keys, err := p.ListKeys(ctx)
	if err != nil {
		return panelFailed(d, detail+": key table: "+err.Error()), 0
	}
	detail = fmt.Sprintf("%s: %d keys", detail, len(keys))
	if s, ok := p.(reconcile.LineSkipper); ok && s.Skipped() > 0 {
		skipped = s.Skipped()
		detail += fmt.Sprintf(", %d unparseable lines skipped", skipped)
	}
	return billing.Probe{Query: name, Status: "ok", Detail: detail}, skipped
}

// panelFailed is a panel's failed probe, with what to do about it.
func panelFailed(d reconcile.PanelDevice, detail string) billing.Probe {
	return billing.Probe{Query: fmt.Sprintf("panel %d", d.ID), Status: "error", Detail: detail, Hint: reconcile.PanelHint(d.ID, detail)}
}

// skippedWarning names the panels whose listing skipped lines it could not
// parse: entries another system wrote, which yardsync leaves as they are. A
// warning is no problem: check still passes.
func skippedWarning(list []reconcile.PanelDevice, skipped []int) (billing.Probe, bool) {
	var names []string
	for i, n := range skipped {
		if n > 0 {
			names = append(names, fmt.Sprintf("panel %d (%d)", list[i].ID, n))
		}
	}
	if len(names) == 0 {
		return billing.Probe{}, false
	}
	return billing.Probe{Query: "skipped lines", Status: "warning",
		Detail: "unparseable key table entries left on the panel as they are: " + strings.Join(names, ", ")}, true
}

// panelSummary is the one line an operator reads first: it fails when any
// panel does, and names them.
func panelSummary(probes []billing.Probe) billing.Probe {
	var failing []string
	for _, p := range probes {
		if p.Problem() {
			failing = append(failing, strings.TrimPrefix(p.Query, "panel "))
		}
	}
	s := billing.Probe{Query: "panels", Status: "ok", Detail: fmt.Sprintf("%d of %d panels answer with their key table", len(probes)-len(failing), len(probes))}
	switch {
	case len(probes) == 0:
		s.Status, s.Detail = "skipped", "no active panel in the store"
	case len(failing) > 0:
		s.Status, s.Detail = "error", s.Detail+"; failing: "+strings.Join(failing, ", ")
	}
	return s
}
