package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Call blocking (reconcile.block_calls). A flat on a panel where no
// contract reaching that panel is paid and at least one is connected but
// unpaid gets its calls turned off there; when one of them pays, the
// setting yardsync found before it turned them off comes back. yardsync
// records what it found (CallRecord) before it writes, turns back on only
// flats it holds a record of, and leaves every other flat alone.

// CallSetting is one flat's call switches on a panel.
type CallSetting struct {
	Handset bool `json:"handset"` // analogue (CMS) handset calls
	SIP     bool `json:"sip"`     // SIP calls; false where the family has no per-flat SIP switch
	// Raw is the family's own value where two bools cannot restore it
	// exactly (Rubetek call_type, Qtech tags); empty elsewhere.
	Raw string `json:"raw,omitempty"`
}

// Off reports whether the setting lets no call through.
func (s CallSetting) Off() bool { return !s.Handset && !s.SIP }

// CallSwitch is a Panel that can switch a flat's calls. SetCalls with the
// zero CallSetting turns them off; with a setting Calls read, it puts that
// setting back exactly. A panel client that wraps another answers
// ErrNoCalls when the one it wraps cannot.
type CallSwitch interface {
	Calls(ctx context.Context, flat int) (CallSetting, error)
	SetCalls(ctx context.Context, flat int, s CallSetting) error
}

// ErrNoCalls is a panel model that cannot turn a flat's calls off (Akuvox
// E12/R20A): check names it; a run leaves its flats as they are, and that
// alone makes no run partial and no panel failing.
var ErrNoCalls = errors.New("this panel model cannot turn a flat's calls off")

// CanSwitchCalls reports whether a panel client can switch a flat's calls.
func CanSwitchCalls(p Panel) bool {
	for {
		switch w := p.(type) {
		case *leasedPanel:
			p = w.p
		case *recordingPanel:
			p = w.Panel
		default:
			if m, ok := p.(interface{ SwitchesCalls() bool }); ok {
				return m.SwitchesCalls()
			}
			_, ok := p.(CallSwitch)
			return ok
		}
	}
}

// CallRecord is a flat whose calls yardsync turned off (or was about to):
// the setting it found there, which "on again" restores.
type CallRecord struct {
	DeviceID int         `json:"device_id"`
	Flat     int         `json:"flat"`
	Found    CallSetting `json:"found"`
	UIDs     []int64     `json:"uids"` // the unpaid contracts that turned the flat off
	// Seen says a read after the write showed the calls off; until then the
	// off is retried with the same Found (the panel may hold yardsync's
	// own off by now, which must not be taken for what it found).
	Seen bool `json:"seen"`
}

// CallBook keeps the call records (store.DB).
type CallBook interface {
	CallRecords(ctx context.Context, devices []int) ([]CallRecord, error)
	// RecordCallsOff records what was found on a flat before its calls are
	// turned off; a record already there keeps its Found.
	RecordCallsOff(ctx context.Context, rec CallRecord) error
	// CallsSeenOff marks a flat's record as seen off.
	CallsSeenOff(ctx context.Context, deviceID, flat int) error
	// ForgetCalls drops a flat's record once its setting is back.
	ForgetCalls(ctx context.Context, deviceID, flat int) error
	// ContractsReaching lists the contracts whose rights reach one of
	// panels, with the panels among them each reaches.
	ContractsReaching(ctx context.Context, panels []int) (map[int64][]int, error)
}

// FlatCalls is what the billing says of one flat on one panel.
type FlatCalls struct {
	Paid   bool    `json:"paid"`   // a contract reaching the panel on this flat is paid
	Unpaid []int64 `json:"unpaid"` // the connected but unpaid ones, sorted
	All    []int64 `json:"uids"`   // every contract in state 1 or 2 here, sorted
	// Frozen says a contract with several billing rows may live here: the
	// flat is left as it is.
	Frozen bool `json:"frozen,omitempty"`
}

// Blocked reports whether the flat's calls are to be off.
func (f FlatCalls) Blocked() bool { return !f.Paid && !f.Frozen && len(f.Unpaid) > 0 }

// CallOff is a flat whose calls a session turns off.
type CallOff struct {
	Flat int     `json:"flat"`
	UIDs []int64 `json:"uids"`
	// Found, when set, is what an earlier try recorded: used as it is.
	Found *CallSetting `json:"found,omitempty"`
}

// CallOn is a flat yardsync turned off whose calls a session puts back.
type CallOn struct {
	Flat  int         `json:"flat"`
	UIDs  []int64     `json:"uids"`
	Found CallSetting `json:"found"`
}

// flatCalls gives each panel's flats their billing state: contracts in
// state 1 or 2 with a usable flat that reach the panel. State 0 and bad
// flats change nothing; a uid with several rows freezes every flat it
// lists. A targeted run observes only some contracts: what it sees of a
// flat is then evidence of a payer, never of the absence of one.
func flatCalls(in Inputs, contracts map[int64]Contract, dups []int64, d *Desired) map[int]map[int]FlatCalls {
	out := map[int]map[int]FlatCalls{}
	at := func(id, flat int) (FlatCalls, bool) {
		if _, ok := d.Panels[id]; !ok {
			return FlatCalls{}, false
		}
		if out[id] == nil {
			out[id] = map[int]FlatCalls{}
		}
		return out[id][flat], true
	}
	for _, uid := range sortedKeys(contracts) {
		c := contracts[uid]
		flat, ok := FlatNumber(c.Flat)
		if !ok || !c.CamsOpen {
			continue
		}
		for _, id := range d.Reaches[uid] {
			if f, ok := at(id, flat); ok {
				f.Paid, f.All = f.Paid || c.CamsPaid, append(f.All, uid)
				if !c.CamsPaid {
					f.Unpaid = append(f.Unpaid, uid)
				}
				out[id][flat] = f
			}
		}
	}
	for _, c := range in.Contracts {
		flat, ok := FlatNumber(c.Flat)
		if !ok || !slices.Contains(dups, c.UID) {
			continue
		}
		for _, id := range d.Reaches[c.UID] {
			if f, ok := at(id, flat); ok {
				f.Frozen = true
				out[id][flat] = f
			}
		}
	}
	return out
}

// callsOf plans one panel's flats. A full (or one-panel) run sees every
// contract: it turns off where the billing blocks a flat and no seen record
// says it is off already, and puts back a recorded flat the billing no
// longer blocks. A targeted run sees every contract only of the flats
// completeFlats read whole (those where one of its contracts is unpaid);
// elsewhere another contract of the flat may have paid, so it turns
// nothing off there and puts a flat back only when it sees a payer.
func (s scope) callsOf(id int, d Desired, recs []CallRecord, block bool) (off []CallOff, on []CallOn) {
	byFlat := map[int]CallRecord{}
	for _, r := range recs {
		byFlat[r.Flat] = r
	}
	flats, whole := d.Calls[id], d.CallsWhole[id]
	full := s.uids == nil
	for _, flat := range sortedKeys(flats) {
		f := flats[flat]
		rec, has := byFlat[flat]
		if !full && !whole[flat] || !block || !f.Blocked() || has && rec.Seen {
			continue
		}
		c := CallOff{Flat: flat, UIDs: f.Unpaid}
		if has {
			c.Found = &rec.Found
		}
		off = append(off, c)
	}
	for _, flat := range sortedKeys(byFlat) {
		rec, f := byFlat[flat], flats[flat]
		if f.Frozen || (full || whole[flat]) && block && f.Blocked() || !full && !whole[flat] && !f.Paid {
			continue
		}
		on = append(on, CallOn{Flat: flat, UIDs: rec.UIDs, Found: rec.Found})
	}
	return off, on
}

// callRecordsAt indexes call records by device.
func callRecordsAt(recs []CallRecord) map[int][]CallRecord {
	m := map[int][]CallRecord{}
	for _, r := range recs {
		m[r.DeviceID] = append(m[r.DeviceID], r)
	}
	return m
}

// CallCounts counts the flats a plan turns calls off on, and those it restores.
func (p Plan) CallCounts() (off, on int) {
	for _, pp := range p.Panels {
		off += len(pp.CallsOff)
		on += len(pp.CallsOn)
	}
	return off, on
}

// callRecords reads the call records of the run's panels; a store that
// keeps none has none.
func (r *Runner) callRecords(ctx context.Context, panels []int) ([]CallRecord, error) {
	book, ok := r.Store.(CallBook)
	if !ok || len(panels) == 0 {
		return nil, nil
	}
	recs, err := book.CallRecords(ctx, panels)
	if err != nil {
		return nil, fmt.Errorf("read call records, nothing changed: %w", err)
	}
	return recs, nil
}

// completeFlats reads, for a run of some contracts, every contract of each
// flat where one of the run's contracts is connected but unpaid: the other
// contracts reaching the panel (the store's rights and doors) and their
// billing rows. Those flats are then known whole (Desired.CallsWhole) and
// the run may turn their calls off. A billing or store error fails the run.
func (r *Runner) completeFlats(ctx context.Context, d *Desired, in Inputs, uids []int64) error {
	book, ok := r.Store.(CallBook)
	if !ok {
		return nil
	}
	want := map[int]map[int]bool{} // panel -> flats to complete
	var panels []int
	for id, flats := range d.Calls {
		for flat, f := range flats {
			if f.Blocked() && slices.ContainsFunc(f.Unpaid, func(uid int64) bool { return slices.Contains(uids, uid) }) {
				if want[id] == nil {
					want[id] = map[int]bool{}
					panels = append(panels, id)
				}
				want[id][flat] = true
			}
		}
	}
	if len(panels) == 0 {
		return nil
	}
	reach, err := book.ContractsReaching(ctx, uniqueSorted(panels))
	if err != nil {
		return fmt.Errorf("read store, nothing changed: %w", err)
	}
	seen := map[int64]bool{}
	for _, c := range in.Contracts {
		seen[c.UID] = true
	}
	var others []int64
	for uid := range reach {
		if !seen[uid] {
			others = append(others, uid)
		}
	}
	rows, err := r.contractsOf(ctx, uniqueSorted(others))
	if err != nil {
		return fmt.Errorf("billing snapshot, nothing changed: %w", err)
	}
	d.foldFlats(want, reach, rows)
	return nil
}

// foldFlats adds the contracts rows (reaching the panels reach says) to
// the flats of want, and marks those flats whole.
func (d *Desired) foldFlats(want map[int]map[int]bool, reach map[int64][]int, rows []Contract) {
	dups := Duplicates(rows)
	for _, c := range rows {
		flat, ok := FlatNumber(c.Flat)
		if !ok || !c.CamsOpen && !slices.Contains(dups, c.UID) {
			continue
		}
		for _, id := range reach[c.UID] {
			if !want[id][flat] {
				continue
			}
			f := d.Calls[id][flat]
			switch {
			case slices.Contains(dups, c.UID):
				f.Frozen = true
			default:
				f.Paid, f.All = f.Paid || c.CamsPaid, append(slices.Clone(f.All), c.UID)
			}
			d.Calls[id][flat] = f
		}
	}
	d.CallsWhole = want
}
