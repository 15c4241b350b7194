package main

import (
	"context"
	"fmt"
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
func (e *env) checkPanels(ctx context.Context) []billing.Probe {
	db, err := store.Open(ctx, e.cfg.Store.DSN)
	if err != nil {
		return nil // the store line already says why
	}
	defer db.Close()
	devices, err := db.Devices(ctx)
	if err != nil {
		return nil
	}
	var list []reconcile.PanelDevice
	for _, d := range devices {
		if p, ok := d.Panel(); ok {
			list = append(list, p)
		}
	}
	dial := panels.Dialer(panels.Options{Port: e.cfg.Panels.Port, Scheme: e.cfg.Panels.Scheme, Timeout: e.cfg.Reconcile.PanelTimeout})
	out := make([]billing.Probe, len(list))
	var g errgroup.Group
	g.SetLimit(checkPanelsAtOnce)
	for i, p := range list {
		g.Go(func() error { out[i] = probePanel(ctx, dial, p, e.cfg.Reconcile.PanelTimeout); return nil })
	}
	_ = g.Wait()
	return append(out, panelSummary(out))
}

func probePanel(ctx context.Context, dial reconcile.PanelDialer, d reconcile.PanelDevice, timeout time.Duration) billing.Probe {
	name := fmt.Sprintf("panel %d", d.ID)
	ctx, cancel := context.WithTimeout(ctx, 2*timeout)
	defer cancel()
	p, err := dial(d)
	if err != nil {
		return billing.Probe{Query: name, Status: "error", Detail: err.Error()}
	}
	detail := fmt.Sprintf("%s %s", reconcile.Family(d.Family), d.IP)
	if pinger, ok := p.(interface {
		Ping(context.Context) (panels.Info, error)
	}); ok {
		info, err := pinger.Ping(ctx)
		if err != nil {
			return billing.Probe{Query: name, Status: "error", Detail: detail + ": " + err.Error()}
		}
		detail += fmt.Sprintf(" (%s %s)", info.Model, info.DeviceID)
	}
	keys, err := p.ListKeys(ctx)
	if err != nil {
		return billing.Probe{Query: name, Status: "error", Detail: detail + ": key table: " + err.Error()}
	}
	return billing.Probe{Query: name, Status: "ok", Detail: fmt.Sprintf("%s: %d keys", detail, len(keys))}
}

// panelSummary is the one line an operator reads first.
func panelSummary(probes []billing.Probe) billing.Probe {
	failing := 0
	for _, p := range probes {
		if p.Problem() {
			failing++
		}
	}
	s := billing.Probe{Query: "panels", Status: "ok", Detail: fmt.Sprintf("%d of %d panels answer with their key table", len(probes)-failing, len(probes))}
	if len(probes) == 0 {
		s.Status, s.Detail = "skipped", "no active panel in the store"
	}
	return s
}
