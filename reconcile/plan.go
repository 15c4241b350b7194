package reconcile

import (
	"cmp"
	"slices"
)

// Prune modes (config reconcile.prune).
const (
	// PruneOwned deletes only keys yardsync recorded as its own.
	PruneOwned = "owned"
	// PruneAll makes each panel hold exactly the desired keys.
	PruneAll = "all"
)

// OwnedKey is a key yardsync recorded as its own on a panel.
type OwnedKey struct {
	DeviceID int    `json:"device_id"`
	Code     string `json:"code"`
	Flat     int    `json:"flat"`
	UID      int64  `json:"uid"`
}

// PlanOptions tune Calculate.
type PlanOptions struct {
	Prune     string  // PruneOwned or PruneAll; anything else counts as PruneOwned
	MaxRevoke float64 // guard share, 0..1: a run deleting more than this share of managed keys deletes none
	Force     bool    // ignore the guard
	Panel     int     // a one-panel run: only this device id (with UIDs empty)
	UIDs      []int64 // none: full run; else a targeted run for these contracts only
	// Named marks UIDs asked for by name (sync/, reconcile --uid): such a run
	// is not guarded. A batch (API changes, watch, device or door fan-out) is.
	Named bool
}

// PanelPlan is what one panel needs. Add and Rebind are panel writes, Delete
// panel deletions; Claim, Adopt and Forget are store bookkeeping.
type PanelPlan struct {
	Device PanelDevice `json:"device"`
	// Tombstone marks a panel deleted from SmartYard: only its owned keys are
	// deleted, and the guard neither counts nor holds them (the operator
	// deleted the panel; no billing reading is behind these deletions).
	Tombstone bool       `json:"tombstone,omitempty"`
	Add       []PanelKey `json:"add,omitempty"`    // missing keys
	Rebind    []PanelKey `json:"rebind,omitempty"` // present on the wrong flat (new flat given)
	Delete    []string   `json:"delete,omitempty"` // codes to remove, as the panel listed them
	// Replace holds other listed forms of rebound codes (0a1b2c3d4e for
	// 00000A1B2C3D4E), deleted before the push; the key itself stays.
	Replace []string `json:"replace,omitempty"`
	// Claim holds the ownership records of Add and Rebind, to write before the push.
	Claim []OwnedKey `json:"claim,omitempty"`
	// Adopt holds desired keys already on the panel with the right flat whose
	// ownership record is missing or stale: record them, no panel write.
	Adopt []OwnedKey `json:"adopt,omitempty"`
	// Forget holds owned codes neither on the panel nor desired: drop the records.
	// Codes in Delete are to be forgotten once the read-back shows them gone.
	Forget []string `json:"forget,omitempty"`
	// Held holds the deletions the guard withheld; nothing is to be done with them.
	Held []string `json:"held,omitempty"`
	// Whole, when set, is every key the panel should hold: it holds no key
	// that stays foreign, and enough deletions are due that clearing it and
	// pushing Whole in one go (two Sokol requests) beats a delete per key.
	// Add, Rebind, Delete and Replace still say what changes. See whole.go.
	Whole []PanelKey `json:"whole,omitempty"`
}

// Plan is the pure outcome of one calculation: what to write to each panel
// and the store. It is printable (--dry-run, --json) and applied only when
// HasChanges.
type Plan struct {
	UIDs      []int64 `json:"uids,omitempty"`  // the targeted contracts; none on a full run
	Named     bool    `json:"named,omitempty"` // UIDs were named: the guard does not apply
	Prune     string  `json:"prune"`
	MaxRevoke float64 `json:"max_revoke"`
	// Panels is sorted by device id and lists only panels with changes or held deletions.
	Panels []PanelPlan `json:"panels"`
	// Orphans are owned keys on devices SmartYard no longer has and no
	// tombstone describes: nothing can reach them, so the store forgets them.
	Orphans []OwnedKey `json:"orphans,omitempty"`
	// Unread lists panels in scope that are absent from actual (not read): they get no plan.
	Unread []int `json:"unread,omitempty"`
	// Guarded is set when the guard tripped: Delete lists moved to Held, adds and rebinds stay.
	Guarded bool `json:"guarded"`
	// Managed counts the keys the guard compares against on the read live
	// panels in scope: owned keys with PruneOwned, keys on the panels with PruneAll.
	Managed int `json:"managed"`
	// Revokes counts the deletions on live panels the plan wanted before the guard.
	Revokes int `json:"revokes"`
	// Access lists the access states to write, AccessGone the recorded
	// (uid, device) pairs to drop; only changes are listed.
	Access     []Access `json:"access,omitempty"`
	AccessGone []Access `json:"access_gone,omitempty"`
	// AccessHeld lists the access states a guarded run did not lower or drop:
	// the mobile server opens doors by them, so a billing glitch must not
	// take them away any more than the keys.
	AccessHeld []Access `json:"access_held,omitempty"`
	// Conflicts and BadFlats are carried from Desired for the report (on a
	// targeted run only those naming its uids).
	Conflicts []Conflict `json:"conflicts,omitempty"`
	BadFlats  []BadFlat  `json:"bad_flats,omitempty"`
	// Duplicates lists contracts the snapshot returned several rows for:
	// their panels were left as they are.
	Duplicates []int64 `json:"duplicates,omitempty"`
}

// Calculate diffs the desired state against the keys read from each panel
// (actual; a panel missing from it was not read and gets no plan) and the
// keys yardsync owns. It does no I/O.
//
// A targeted run (opt.UIDs) covers the panels its uids reach now plus the
// panels holding keys they own, and touches only their codes (their keys
// table entries and the codes they own). Only a run whose uids were named
// is never guarded.
func Calculate(desired Desired, actual map[int][]PanelKey, owned []OwnedKey, opt PlanOptions) Plan {
	return newScope(desired, owned, opt).calculate(desired, actual, owned, opt)
}

func (s scope) calculate(desired Desired, actual map[int][]PanelKey, owned []OwnedKey, opt PlanOptions) Plan {
	ownedAt := ownedByPanel(owned)
	p := Plan{UIDs: s.uids, Named: s.named && s.uids != nil, Prune: s.prune, MaxRevoke: opt.MaxRevoke, Panels: []PanelPlan{}}
	for _, id := range s.panels {
		keys, read := actual[id]
		if !read {
			p.Unread = append(p.Unread, id)
			continue
		}
		if dev, dead := desired.Tombstones[id]; dead {
			p.Panels = append(p.Panels, s.diffTombstone(dev, keys, ownedAt[id]))
			continue
		}
		pp := s.diff(desired.Panels[id], desired.Keys[id], keys, ownedAt[id])
		pp.Whole = s.whole(desired.Keys[id], keys, pp)
		p.Managed += s.managed(keys, ownedAt[id])
		p.Revokes += pp.revokes()
		p.Panels = append(p.Panels, pp)
	}
	p.Orphans = s.orphans(desired, owned)
	p.Conflicts, p.BadFlats, p.Duplicates = s.reports(desired)
	p.guard(opt)
	p.Panels = slices.DeleteFunc(p.Panels, func(pp PanelPlan) bool { return !pp.changes() && len(pp.Held) == 0 })
	return p
}

// guard withholds every deletion on live panels of a run that would remove
// more than MaxRevoke of the managed keys, unless the run was asked for
// named contracts or forced.
func (p *Plan) guard(opt PlanOptions) {
	if p.Named || opt.Force || p.Managed == 0 {
		return
	}
	if float64(p.Revokes) <= opt.MaxRevoke*float64(p.Managed) {
		return
	}
	p.Guarded = true
	for i := range p.Panels {
		if !p.Panels[i].Tombstone {
			p.Panels[i].Held, p.Panels[i].Delete = p.Panels[i].Delete, nil
		}
		p.Panels[i].Whole = nil // a clear would delete what the guard holds
	}
}

// setAccess records the access changes; a guarded plan holds back every
// one that lowers or drops a recorded state.
func (p *Plan) setAccess(set, gone []Access, current []Access) {
	if !p.Guarded {
		p.Access, p.AccessGone = set, gone
		return
	}
	was := map[[2]int64]int{}
	for _, a := range current {
		was[[2]int64{a.UID, int64(a.DeviceID)}] = a.State
	}
	for _, a := range set {
		if st, ok := was[[2]int64{a.UID, int64(a.DeviceID)}]; ok && a.State < st {
			p.AccessHeld = append(p.AccessHeld, a)
		} else {
			p.Access = append(p.Access, a)
		}
	}
	p.AccessHeld = append(p.AccessHeld, gone...)
}

// HasChanges reports whether applying the plan writes anything to a panel or the store.
func (p Plan) HasChanges() bool {
	return len(p.Orphans)+len(p.Access)+len(p.AccessGone) > 0 || slices.ContainsFunc(p.Panels, PanelPlan.changes)
}

// Counts returns the panel writes of the plan: keys added, rebound and deleted
// (after the guard).
func (p Plan) Counts() (add, rebind, del int) {
	for _, pp := range p.Panels {
		add += len(pp.Add)
		rebind += len(pp.Rebind)
		del += len(pp.Delete)
	}
	return add, rebind, del
}

func (pp PanelPlan) changes() bool {
	return len(pp.Add)+len(pp.Rebind)+len(pp.Delete)+len(pp.Adopt)+len(pp.Forget) > 0
}

func ownedByPanel(owned []OwnedKey) map[int]map[string]OwnedKey {
	m := map[int]map[string]OwnedKey{}
	for _, o := range owned {
		if m[o.DeviceID] == nil {
			m[o.DeviceID] = map[string]OwnedKey{}
		}
		if _, dup := m[o.DeviceID][o.Code]; !dup {
			m[o.DeviceID][o.Code] = o
		}
	}
	return m
}

func compareOwned(a, b OwnedKey) int {
	return cmp.Or(cmp.Compare(a.DeviceID, b.DeviceID), cmp.Compare(a.Code, b.Code),
		cmp.Compare(a.UID, b.UID), cmp.Compare(a.Flat, b.Flat))
}
