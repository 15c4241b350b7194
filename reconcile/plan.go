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
	// Deleting says a delete of the key was sent since its last add or
	// rebind: a read that shows it gone may let its record go.
	Deleting bool `json:"deleting,omitempty"`
}

// PlanOptions tune Calculate.
type PlanOptions struct {
	Prune     string  // PruneOwned or PruneAll; anything else counts as PruneOwned
	MaxRevoke float64 // guard share, 0..1 (see guard.go)
	GuardMin  int     // revoking up to this many contracts is never held (see guard.go)
	Force     bool    // ignore the guard
	Panel     int     // a one-panel run: only this device id (with UIDs empty)
	UIDs      []int64 // none: full run; else a targeted run for these contracts only
	// Named marks UIDs asked for by name (sync/, reconcile --uid): such a run
	// is not guarded. A batch (API changes, watch, device or door fan-out) is.
	Named bool
	// Recorded are the access states the store holds for the run's
	// contracts (every contract on a full run): what the guard measures
	// the billing's revocations against.
	Recorded []Access
	// PaidFleet, when above 0, is the number of contracts paid across the
	// fleet before the run: a watch batch is measured against all of them.
	PaidFleet int
	// BlockCalls turns off the calls of flats whose contracts are all
	// connected but unpaid (reconcile.block_calls; see calls.go).
	BlockCalls bool
	// Calls are the call records of the panels in scope: flats whose
	// calls yardsync turned off, restored once the billing lets them be.
	Calls []CallRecord
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
	// Keep holds the desired keys the panel held on their flat when read,
	// every contract's, and in a targeted run every listed key outside its
	// scope: the session's read-back checks them too, so a panel that lost
	// keys meanwhile (a reboot) is seen.
	Keep []PanelKey `json:"-"`
	// CallsOff lists the flats to turn calls off on, CallsOn those to put
	// back as found, CallsHeld the flats the guard kept on (see calls.go).
	CallsOff  []CallOff `json:"calls_off,omitempty"`
	CallsOn   []CallOn  `json:"calls_on,omitempty"`
	CallsHeld []int     `json:"calls_held,omitempty"`
}

// Plan is the pure outcome of one calculation: what to write to each panel
// and the store. It is printable (--dry-run, --json) and applied only when
// HasChanges.
type Plan struct {
	Panel     int     `json:"panel,omitempty"` // a one-panel run's device id; 0 otherwise
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
	// Guard is the guard's reading: the contracts the run would revoke,
	// against how many and what limit (see guard.go).
	Guard *Guard `json:"guard,omitempty"`
	// Access lists the access states to write, AccessGone the recorded
	// (uid, device) pairs to drop; only changes are listed.
	Access     []Access `json:"access,omitempty"`
	AccessGone []Access `json:"access_gone,omitempty"`
	// AccessHeld lists the access states a guarded run did not lower or drop:
	// the mobile server opens doors by them, so a billing glitch must not
	// take them away any more than the keys.
	AccessHeld []Access `json:"access_held,omitempty"`
	// Conflicts and BadFlats are carried from Desired for the report (on a
	// targeted run only those naming its uids, on a one-panel run only
	// those of that panel and of the contracts reaching it).
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
	b := s.planner(desired, slices.Clone(owned), opt)
	for _, id := range s.panels {
		if keys, read := actual[id]; read {
			b.add(b.plan(id, keys))
		}
	}
	return b.finish(func(id int) bool { _, read := actual[id]; return read })
}

// planner builds a Plan one read panel at a time, in any order: a run
// plans each panel as its keys arrive and keeps only the plans with
// changes, so the listings of the panels that need nothing are let go at
// once. plan may run concurrently; add and finish may not.
type planner struct {
	s       scope
	desired Desired
	owned   []OwnedKey
	ownedAt map[int][]OwnedKey
	opt     PlanOptions
	callsAt map[int][]CallRecord
	guard   *Guard // decided before any panel is read
	p       Plan
}

// panelPlan is one read panel's plan.
type panelPlan struct {
	pp PanelPlan
}

// planner sorts owned by device (stably, in place) to index it.
func (s scope) planner(desired Desired, owned []OwnedKey, opt PlanOptions) *planner {
	g := guardOf(desired, opt, s)
	return &planner{s: s, desired: desired, owned: owned, ownedAt: ownedIndex(owned), opt: opt, guard: g, callsAt: callRecordsAt(opt.Calls),
		p: Plan{Panel: s.panel, UIDs: s.uids, Named: s.named && s.uids != nil, Prune: s.prune, MaxRevoke: opt.MaxRevoke, Panels: []PanelPlan{},
			Guarded: g.Held, Guard: g}}
}

// plan diffs one read panel in scope. It only reads the planner.
func (b *planner) plan(id int, keys []PanelKey) panelPlan {
	own := ownMap(b.ownedAt[id])
	if dev, dead := b.desired.Tombstones[id]; dead {
		return panelPlan{pp: b.s.diffTombstone(dev, keys, own)}
	}
	pp := b.s.diff(b.desired.Panels[id], b.desired.Keys[id], keys, own)
	pp.CallsOff, pp.CallsOn = b.s.callsOf(id, b.desired, b.callsAt[id], b.opt.BlockCalls)
	if b.guard.Held {
		// The guard holds every deletion on a live panel, the calls it
		// would turn off, and the clear-and-push that would make them.
		pp.Held, pp.Delete = pp.Delete, nil
		for _, c := range pp.CallsOff {
			pp.CallsHeld = append(pp.CallsHeld, c.Flat)
		}
		pp.CallsOff = nil
		return panelPlan{pp: pp}
	}
	pp.Whole = b.s.whole(b.desired.Keys[id], keys, pp)
	return panelPlan{pp: pp}
}

// add keeps one panel's plan if it changes anything or holds deletions.
func (b *planner) add(pp panelPlan) {
	if pp.pp.changes() || len(pp.pp.Held)+len(pp.pp.CallsHeld) > 0 {
		b.p.Panels = append(b.p.Panels, pp.pp)
	}
}

// finish completes the plan once every panel is in: read tells which
// panels of the scope were read (the rest are Unread).
func (b *planner) finish(read func(id int) bool) Plan {
	p := b.p
	for _, id := range b.s.panels {
		if !read(id) {
			p.Unread = append(p.Unread, id)
		}
	}
	slices.SortFunc(p.Panels, func(a, b PanelPlan) int { return cmp.Compare(a.Device.ID, b.Device.ID) })
	p.Orphans = b.s.orphans(b.desired, b.owned)
	p.Conflicts, p.BadFlats, p.Duplicates = b.s.reports(b.desired)
	return p
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

// without drops every step of the plan on codes and, if it dropped any,
// the clear-and-push (it would rewrite them): the panel keeps those codes
// as they are. Listed forms are compared normalised. The flats' calls are
// dropped too (see below).
func (pp PanelPlan) without(codes map[string]bool) PanelPlan {
	if len(codes) == 0 {
		return pp
	}
	n := pp.steps()
	drop := func(code string) bool { return codes[panelCode(code)] }
	pp.Add = slices.DeleteFunc(slices.Clone(pp.Add), func(k PanelKey) bool { return drop(k.Code) })
	pp.Rebind = slices.DeleteFunc(slices.Clone(pp.Rebind), func(k PanelKey) bool { return drop(k.Code) })
	pp.Delete = slices.DeleteFunc(slices.Clone(pp.Delete), drop)
	pp.Replace = slices.DeleteFunc(slices.Clone(pp.Replace), drop)
	pp.Forget = slices.DeleteFunc(slices.Clone(pp.Forget), drop)
	pp.Held = slices.DeleteFunc(slices.Clone(pp.Held), drop)
	pp.Claim = slices.DeleteFunc(slices.Clone(pp.Claim), func(o OwnedKey) bool { return drop(o.Code) })
	pp.Adopt = slices.DeleteFunc(slices.Clone(pp.Adopt), func(o OwnedKey) bool { return drop(o.Code) })
	pp.Keep = slices.DeleteFunc(slices.Clone(pp.Keep), func(k PanelKey) bool { return drop(k.Code) })
	if pp.steps() != n {
		pp.Whole = nil
	}
	// A newer run read the billing later and may have switched these
	// flats already: their calls wait for the next run's plan.
	pp.CallsOff, pp.CallsOn = nil, nil
	return pp
}

// steps counts every step of the plan.
func (pp PanelPlan) steps() int {
	return len(pp.Add) + len(pp.Rebind) + len(pp.Delete) + len(pp.Replace) + len(pp.Forget) + len(pp.Held) + len(pp.Claim) + len(pp.Adopt)
}

func (pp PanelPlan) changes() bool {
	return len(pp.Add)+len(pp.Rebind)+len(pp.Delete)+len(pp.Adopt)+len(pp.Forget)+len(pp.CallsOff)+len(pp.CallsOn) > 0
}

// ownedIndex groups owned keys by device without copying them: owned is
// sorted stably by device id in place, so each device's records keep their
// order (the store reads them sorted already).
func ownedIndex(owned []OwnedKey) map[int][]OwnedKey {
	slices.SortStableFunc(owned, func(a, b OwnedKey) int { return cmp.Compare(a.DeviceID, b.DeviceID) })
	idx := map[int][]OwnedKey{}
	for len(owned) > 0 {
		n := 1
		for n < len(owned) && owned[n].DeviceID == owned[0].DeviceID {
			n++
		}
		idx[owned[0].DeviceID] = owned[:n:n]
		owned = owned[n:]
	}
	return idx
}

// ownMap is one panel's ownership records by code; a code's first record wins.
func ownMap(recs []OwnedKey) map[string]OwnedKey {
	m := make(map[string]OwnedKey, len(recs))
	for _, o := range recs {
		if _, dup := m[o.Code]; !dup {
			m[o.Code] = o
		}
	}
	return m
}

func compareOwned(a, b OwnedKey) int {
	return cmp.Or(cmp.Compare(a.DeviceID, b.DeviceID), cmp.Compare(a.Code, b.Code),
		cmp.Compare(a.UID, b.UID), cmp.Compare(a.Flat, b.Flat))
}
