package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"yardsync/billing"
	"yardsync/reconcile"
	"yardsync/store"
)

// families is panels.families, the defaults filled in.
func (e *env) families() reconcile.Families {
	if e.cfg.Panels.Families == nil {
		return reconcile.DefaultFamilies()
	}
	return e.cfg.Panels.Families
}

// validFamilies: every paneltype names a family yardsync drives.
func validFamilies(fs reconcile.Families) error {
	for _, pt := range slices.Sorted(maps.Keys(fs)) {
		if _, ok := reconcile.ParseFamily(fs[pt]); !ok {
			return fmt.Errorf("paneltype %d: family %q: want beward, sokol, qtech, akuvox or rubetek", pt, fs[pt])
		}
	}
	return nil
}

// namedStore is the store whose panel statuses carry the family names of
// panels.families, and name a paneltype it does not map (`panels`, the
// API and the status page read them through it).
type namedStore struct {
	*store.DB
	fams reconcile.Families
}

// PanelStatuses lists the store's panel statuses, families named.
func (s namedStore) PanelStatuses(ctx context.Context, failingOnly bool) ([]reconcile.PanelStatus, error) {
	list, err := s.DB.PanelStatuses(ctx, failingOnly)
	if err != nil {
		return nil, err
	}
	reconcile.NameFamilies(list, s.fams)
	return list, nil
}

// unknownFamilies is check's line naming the devices that would be panels
// but for a paneltype panels.families does not name.
func unknownFamilies(devices []reconcile.Device, fs reconcile.Families) (billing.Probe, bool) {
	var names []string
	for _, d := range devices {
		if d.UnknownFamily(fs) {
			names = append(names, fmt.Sprintf("device %d (paneltype %d)", d.ID, *d.PanelType))
		}
	}
	if len(names) == 0 {
		return billing.Probe{}, false
	}
	return billing.Probe{Query: "panel families", Status: "warning",
		Detail: "paneltype names no family, left alone by runs (map it in panels.families or fix devices.paneltype): " +
			strings.Join(names, ", ")}, true
}
