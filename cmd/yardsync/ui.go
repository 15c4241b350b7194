package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
	_ "time/tzdata" // ui.time_zone works on hosts without a zone database, e.g. in a container

	"yardsync/api"
	"yardsync/panels"
	"yardsync/reconcile"
	"yardsync/store"
	"yardsync/ui"
)

// UIConfig is the status page at /ui/.
type UIConfig struct {
	// TimeZone is the IANA zone the page shows times in, with their offset
	// (e.g. Europe/Moscow); empty: the host's.
	TimeZone string `yaml:"time_zone"`
}

// Location is the zone of TimeZone, the host's when it is empty.
func (u UIConfig) Location() (*time.Location, error) {
	if u.TimeZone == "" {
		return time.Local, nil
	}
	return time.LoadLocation(u.TimeZone)
}

func (u UIConfig) validZone() error {
	if _, err := u.Location(); err != nil {
		return fmt.Errorf("%q is not a time zone of the IANA database, e.g. Europe/Moscow or UTC; empty is the host's zone", u.TimeZone)
	}
	return nil
}

// statusPage builds the /ui/ handler from what wire put into opts: the
// store always, billing, explain and runs when billing is configured.
func (e *env) statusPage(db *store.DB, users ui.Verifier, opts *api.Options) http.Handler {
	uo := ui.Options{Store: namedStore{DB: db, fams: e.families()}, Sessions: db, Users: users, Explain: opts.Explain, PanelKeys: e.panelKeys(db),
		Throttle: opts.Throttle, Log: e.log}
	uo.Location, _ = e.cfg.UI.Location() // Validate has checked it
	if opts.Billing != nil {
		uo.UIDs = opts.Billing.UIDs
	}
	if opts.Syncer != nil {
		uo.Sync = opts.Syncer // its one-panel run backs the page's sync button
	}
	return ui.New(uo)
}

// panelKeys reads a panel's keys live, for the panel's page, under the
// panel's lease as runs read it (a panel another run is working on is said
// busy). It uses a plain client: a look from the page is no run and leaves
// the panel status alone.
func (e *env) panelKeys(db *store.DB) func(context.Context, int) ([]reconcile.PanelKey, error) {
	looker := &reconcile.Runner{Store: db, Log: e.log,
		Dial: panels.Dialer(panels.Options{Port: e.cfg.Panels.Port, Scheme: e.cfg.Panels.Scheme, Timeout: ui.LiveTimeout}),
		Opts: reconcile.Options{PanelTimeout: ui.LiveTimeout, Families: e.families()}}
	return func(ctx context.Context, id int) ([]reconcile.PanelKey, error) {
		dev, err := db.Device(ctx, id)
		if err != nil {
			return nil, err
		}
		pd, ok := dev.PanelIn(e.families())
		if !ok {
			return nil, fmt.Errorf("device %d is not an active panel with an address", id)
		}
		return looker.ListPanel(ctx, pd)
	}
}
