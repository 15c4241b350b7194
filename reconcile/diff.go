package reconcile

import "slices"

// scope is what one run may touch: which panels, which codes. It is
// computed once per run: the run reads exactly the panels it plans.
type scope struct {
	prune  string
	uids   []int64         // nil on a full run
	named  bool            // uids were asked for by name: the guard does not apply
	codes  map[string]bool // nil on a full run: every code
	frozen map[string]bool // codes of contracts with several billing rows: left as they are
	panels []int           // sorted; live panels and tombstones
	panel  int             // a one-panel run's device id; 0 otherwise
}

func newScope(desired Desired, owned []OwnedKey, opt PlanOptions) scope {
	s := scope{prune: PruneOwned, uids: uniqueSorted(opt.UIDs), named: opt.Named, frozen: frozenCodes(desired, owned)}
	if opt.Prune == PruneAll {
		s.prune = PruneAll
	}
	if len(s.uids) == 0 {
		s.uids = nil
		s.panels = uniqueSorted(append(sortedKeys(desired.Panels), desired.cleanable(sortedKeys(desired.Tombstones))...))
		if opt.Panel != 0 {
			s.panel = opt.Panel
			s.panels = slices.DeleteFunc(s.panels, func(id int) bool { return id != opt.Panel })
		}
		return s
	}
	s.codes = map[string]bool{}
	var panels []int
	for _, uid := range s.uids {
		for _, code := range desired.Codes[uid] {
			s.codes[code] = true
		}
		panels = append(panels, desired.Reach(uid)...)
	}
	var holding []int
	for _, o := range owned {
		if slices.Contains(s.uids, o.UID) {
			s.codes[o.Code] = true
			holding = append(holding, o.DeviceID)
		}
	}
	for _, id := range holding {
		if _, ok := desired.Panels[id]; ok {
			panels = append(panels, id)
		}
	}
	s.panels = uniqueSorted(append(panels, desired.cleanable(holding)...))
	return s
}

// frozenCodes lists the codes of contracts the snapshot lists more than
// once: the run cannot tell which row is true, so it neither adds nor
// deletes them anywhere.
func frozenCodes(desired Desired, owned []OwnedKey) map[string]bool {
	if len(desired.Duplicates) == 0 {
		return nil
	}
	m := map[string]bool{}
	for _, uid := range desired.Duplicates {
		for _, code := range desired.Codes[uid] {
			m[code] = true
		}
	}
	for _, o := range owned {
		if slices.Contains(desired.Duplicates, o.UID) {
			m[o.Code] = true
		}
	}
	return m
}

// devices returns the panels in scope as the run dials them.
func (s scope) devices(desired Desired) []PanelDevice {
	out := make([]PanelDevice, 0, len(s.panels))
	for _, id := range s.panels {
		if p, ok := desired.Panels[id]; ok {
			out = append(out, p)
		} else if p, ok := desired.Tombstones[id]; ok {
			out = append(out, p)
		}
	}
	return out
}

func (s scope) has(code string) bool { return (s.codes == nil || s.codes[code]) && !s.frozen[code] }

// diff plans one read panel: want is its desired keys, have what it holds,
// own what yardsync owns there. Listed codes are compared normalised; a
// delete names every form the panel listed the code in. A code the panel
// lists twice counts as present on the right flat when any of its entries
// has that flat.
func (s scope) diff(dev PanelDevice, want map[string]Grant, have []PanelKey, own map[string]OwnedKey) PanelPlan {
	flats, listed := listing(have, own)
	pp := PanelPlan{Device: dev}
	for _, code := range sortedKeys(want) {
		if s.has(code) {
			pp.want(want[code], flats, listed[code], own)
		} else if g := want[code]; slices.Contains(flats[code], g.Flat) {
			pp.Keep = append(pp.Keep, PanelKey{Code: code, Flat: g.Flat})
		}
	}
	for _, code := range sortedKeys(flats) {
		_, wanted := want[code]
		_, owned := own[code]
		switch {
		case !wanted && s.has(code) && (owned || s.prune == PruneAll):
			pp.Delete = append(pp.Delete, listed[code]...)
		case !wanted && s.codes != nil && !s.has(code):
			// A key outside a targeted run's scope, whose desired state
			// the run does not know: the session leaves it, so the
			// read-back checks it is still there.
			pp.Keep = append(pp.Keep, PanelKey{Code: code, Flat: flats[code][0]})
		}
	}
	s.unlisted(&pp, want, flats, own)
	return pp
}

// listing reads a panel's keys by normalised code: the flats each is listed
// on (the recorded flat standing in where none is listed) and the forms it
// is listed in.
func listing(have []PanelKey, own map[string]OwnedKey) (flats map[string][]int, listed map[string][]string) {
	flats, listed = map[string][]int{}, map[string][]string{}
	for _, k := range have {
		code := panelCode(k.Code)
		flats[code] = append(flats[code], standIn(k.Flat, own, code))
		if !slices.Contains(listed[code], k.Code) {
			listed[code] = append(listed[code], k.Code)
		}
	}
	return flats, listed
}

// diffTombstone plans a panel deleted from SmartYard: every key yardsync
// owns there goes, whatever the prune mode (the panel is no longer
// yardsync's to shape), and nothing is added.
func (s scope) diffTombstone(dev PanelDevice, have []PanelKey, own map[string]OwnedKey) PanelPlan {
	flats, listed := listing(have, own)
	pp := PanelPlan{Device: dev, Tombstone: true}
	for _, code := range sortedKeys(flats) {
		if _, owned := own[code]; owned && s.has(code) {
			pp.Delete = append(pp.Delete, listed[code]...)
		}
	}
	s.unlisted(&pp, nil, flats, own)
	return pp
}

// unlisted plans the owned codes neither wanted nor on the panel. Not
// listed is not gone: an add yardsync sent may still land (a panel that
// applies writes late, a request it was still working on when yardsync
// gave up). So a record goes (Forget) only once a delete of its key was
// sent since the add; until then the key gets that delete, sent blind, in
// the normalised form yardsync pushed it in. The store keeps the record
// still while the add may land (see Bookkeeper.ForgetGone).
func (s scope) unlisted(pp *PanelPlan, want map[string]Grant, flats map[string][]int, own map[string]OwnedKey) {
	for _, code := range sortedKeys(own) {
		_, wanted := want[code]
		_, present := flats[code]
		switch {
		case wanted || present || !s.has(code):
		case own[code].Deleting:
			pp.Forget = append(pp.Forget, code)
		default:
			pp.Delete = append(pp.Delete, code)
		}
	}
}

// standIn returns the flat a panel listed, or, where it lists none, the
// flat yardsync recorded when it pushed the key (FlatUnlisted if it did not).
func standIn(flat int, own map[string]OwnedKey, code string) int {
	if o, ok := own[code]; ok && flat == FlatUnlisted {
		return o.Flat
	}
	return flat
}

// want plans one desired grant: add it, rebind it, or adopt it. A rebound
// code listed in another form is replaced: that form is deleted first, or
// the panel would hold the code twice.
func (pp *PanelPlan) want(g Grant, flats map[string][]int, forms []string, own map[string]OwnedKey) {
	rec := OwnedKey{DeviceID: pp.Device.ID, Code: g.Code, Flat: g.Flat, UID: g.UID}
	have, present := flats[g.Code]
	switch {
	case !present:
		pp.Add = append(pp.Add, PanelKey{Code: g.Code, Flat: g.Flat})
		pp.Claim = append(pp.Claim, rec)
	case !slices.Contains(have, g.Flat):
		pp.Rebind = append(pp.Rebind, PanelKey{Code: g.Code, Flat: g.Flat})
		pp.Claim = append(pp.Claim, rec)
		for _, f := range forms {
			if f != g.Code {
				pp.Replace = append(pp.Replace, f)
			}
		}
	default:
		pp.Keep = append(pp.Keep, PanelKey{Code: g.Code, Flat: g.Flat})
		if o := own[g.Code]; o.DeviceID != rec.DeviceID || o.Code != rec.Code || o.Flat != rec.Flat || o.UID != rec.UID || o.Deleting {
			pp.Adopt = append(pp.Adopt, rec)
		}
	}
}

// orphans lists the owned keys in scope on devices SmartYard no longer has
// and no tombstone describes (deleted by hand in the database): nothing can
// reach those panels, so the store forgets them. Keys on devices that exist
// but are not panels now (inactive, no address) are kept for when they are.
func (s scope) orphans(desired Desired, owned []OwnedKey) []OwnedKey {
	if s.panel != 0 {
		return nil // a one-panel run leaves other devices' records alone
	}
	var out []OwnedKey
	for _, o := range owned {
		_, live := desired.Panels[o.DeviceID]
		_, dead := desired.Tombstones[o.DeviceID]
		if !live && !dead && !desired.Known[o.DeviceID] && s.has(o.Code) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, compareOwned)
	return slices.Compact(out)
}

// mine reports whether a targeted run asked for uid (a full run asks for all).
func (s scope) mine(uid int64) bool { return s.uids == nil || slices.Contains(s.uids, uid) }

// reports returns the conflicts, bad flats and duplicates to show: all of
// them on a full run, those naming its uids on a targeted one, those of
// its panel and of the contracts reaching it on a one-panel run.
func (s scope) reports(desired Desired) ([]Conflict, []BadFlat, []int64) {
	shown := func(uid int64) bool {
		return s.mine(uid) && (s.panel == 0 || slices.Contains(desired.Reaches[uid], s.panel))
	}
	conflicts := slices.DeleteFunc(slices.Clone(desired.Conflicts), func(c Conflict) bool {
		return !shown(c.Winner) && !shown(c.Loser) || s.panel != 0 && c.DeviceID != s.panel
	})
	bad := slices.DeleteFunc(slices.Clone(desired.BadFlats), func(b BadFlat) bool { return !shown(b.UID) })
	dups := slices.DeleteFunc(slices.Clone(desired.Duplicates), func(uid int64) bool { return !shown(uid) })
	return conflicts, bad, dups
}

// access lists the access states to write and the recorded pairs to drop:
// those of the run's contracts whose state changed. A contract with several
// billing rows keeps what is recorded.
func (s scope) access(desired Desired, current []Access) (set, gone []Access) {
	skip := func(uid int64) bool { return !s.mine(uid) || slices.Contains(desired.Duplicates, uid) }
	if s.panel != 0 {
		current = slices.DeleteFunc(slices.Clone(current), func(a Access) bool { return a.DeviceID != s.panel })
		desired.Access = slices.DeleteFunc(slices.Clone(desired.Access), func(a Access) bool { return a.DeviceID != s.panel })
	}
	have := map[[2]int64]int{}
	for _, a := range current {
		if !skip(a.UID) {
			have[[2]int64{a.UID, int64(a.DeviceID)}] = a.State
		}
	}
	for _, a := range desired.Access {
		if skip(a.UID) {
			continue
		}
		k := [2]int64{a.UID, int64(a.DeviceID)}
		if st, ok := have[k]; !ok || st != a.State {
			set = append(set, a)
		}
		delete(have, k)
	}
	for _, a := range current {
		if _, ok := have[[2]int64{a.UID, int64(a.DeviceID)}]; ok {
			gone = append(gone, a)
		}
	}
	return set, gone
}
