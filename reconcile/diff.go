package reconcile

import "slices"

// scope is what one calculation may touch: which panels, which codes.
type scope struct {
	prune  string
	uid    int64           // 0 on a full run
	codes  map[string]bool // nil on a full run: every code
	panels []int           // sorted
}

func newScope(desired Desired, owned []OwnedKey, opt PlanOptions) scope {
	s := scope{prune: PruneOwned, uid: opt.UID}
	if opt.Prune == PruneAll {
		s.prune = PruneAll
	}
	if opt.UID == 0 {
		s.panels = sortedKeys(desired.Panels)
		return s
	}
	s.codes = map[string]bool{}
	for _, code := range desired.Codes[opt.UID] {
		s.codes[code] = true
	}
	panels := desired.Reach(opt.UID)
	for _, o := range owned {
		if o.UID != opt.UID {
			continue
		}
		s.codes[o.Code] = true
		if _, ok := desired.Panels[o.DeviceID]; ok {
			panels = append(panels, o.DeviceID)
		}
	}
	s.panels = uniqueSorted(panels)
	return s
}

func (s scope) has(code string) bool { return s.codes == nil || s.codes[code] }

// diff plans one read panel: want is its desired keys, have what it holds,
// own what yardsync owns there. Listed codes are compared normalised; a
// delete names every form the panel listed the code in. A code the panel
// lists twice counts as present on the right flat when any of its entries
// has that flat.
func (s scope) diff(dev PanelDevice, want map[string]Grant, have []PanelKey, own map[string]OwnedKey) PanelPlan {
	flats := map[string][]int{}
	listed := map[string][]string{}
	for _, k := range have {
		code := panelCode(k.Code)
		flats[code] = append(flats[code], standIn(k.Flat, own, code))
		if !slices.Contains(listed[code], k.Code) {
			listed[code] = append(listed[code], k.Code)
		}
	}
	pp := PanelPlan{Device: dev}
	for _, code := range sortedKeys(want) {
		if s.has(code) {
			pp.want(want[code], flats, listed[code], own)
		}
	}
	for _, code := range sortedKeys(flats) {
		_, wanted := want[code]
		_, owned := own[code]
		if !wanted && s.has(code) && (owned || s.prune == PruneAll) {
			pp.Delete = append(pp.Delete, listed[code]...)
		}
	}
	for _, code := range sortedKeys(own) {
		_, wanted := want[code]
		_, present := flats[code]
		if !wanted && !present && s.has(code) {
			pp.Forget = append(pp.Forget, code)
		}
	}
	return pp
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
	case own[g.Code] != rec:
		pp.Adopt = append(pp.Adopt, rec)
	}
}

// revokes counts the keys Delete removes: a key listed in two forms is one.
func (pp PanelPlan) revokes() int {
	codes := make([]string, 0, len(pp.Delete))
	for _, form := range pp.Delete {
		codes = append(codes, panelCode(form))
	}
	slices.Sort(codes)
	return len(slices.Compact(codes))
}

// managed counts the keys of one read panel the guard compares against.
func (s scope) managed(have []PanelKey, own map[string]OwnedKey) int {
	codes := map[string]bool{}
	if s.prune == PruneAll {
		for _, k := range have {
			codes[panelCode(k.Code)] = true
		}
	} else {
		for code := range own {
			codes[code] = true
		}
	}
	n := 0
	for code := range codes {
		if s.has(code) {
			n++
		}
	}
	return n
}

// orphans lists the owned keys in scope on devices that are no longer panels.
func (s scope) orphans(desired Desired, owned []OwnedKey) []OwnedKey {
	var out []OwnedKey
	for _, o := range owned {
		if _, ok := desired.Panels[o.DeviceID]; !ok && s.has(o.Code) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, compareOwned)
	return slices.Compact(out)
}

// reports returns the conflicts and bad flats to show: all of them on a full
// run, those naming the uid on a targeted one.
func (s scope) reports(desired Desired) ([]Conflict, []BadFlat) {
	conflicts := slices.Clone(desired.Conflicts)
	bad := slices.Clone(desired.BadFlats)
	if s.uid != 0 {
		conflicts = slices.DeleteFunc(conflicts, func(c Conflict) bool { return c.Winner != s.uid && c.Loser != s.uid })
		bad = slices.DeleteFunc(bad, func(b BadFlat) bool { return b.UID != s.uid })
	}
	return conflicts, bad
}
