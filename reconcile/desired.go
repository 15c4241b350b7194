package reconcile

import (
	"cmp"
	"maps"
	"slices"
)

// Inputs is everything a run observes besides the panels themselves.
type Inputs struct {
	Contracts []Contract         // billing snapshot
	Rights    map[int64][]int    // uid -> device ids (SmartYard rights.uid_right)
	Keys      map[int64][]string // uid -> normalised key codes (SmartYard keys table)
	Devices   []Device
	Doors     []Door
	// Tombstones are panels deleted from SmartYard that may still hold keys
	// yardsync put there, with what is needed to dial them.
	Tombstones []PanelDevice
	// Families names the family of each paneltype; nil: DefaultFamilies.
	Families Families
}

// Grant is one key a panel should hold, bound to the flat of the contract
// that owns it.
type Grant struct {
	Code string `json:"code"`
	Flat int    `json:"flat"`
	UID  int64  `json:"uid"`
}

// Desired is the state billing and the store ask for. Desire builds it; the
// plan only reads it.
type Desired struct {
	// Panels holds every panel (Device.Panel() true), by device id.
	Panels map[int]PanelDevice
	// Keys maps device id -> code -> grant; only panels with a grant appear.
	Keys map[int]map[string]Grant
	// Access has one entry per (uid, existing device) in rights, sorted by uid then device.
	Access []Access
	// Conflicts lists codes wanted on two flats of one panel: the lowest uid wins.
	Conflicts []Conflict
	// BadFlats lists active contracts whose flat is not 1..9999: they get no keys anywhere.
	BadFlats []BadFlat
	// Reaches maps every uid with rights to the panel ids it reaches now, sorted.
	Reaches map[int64][]int
	// Codes maps every uid of the keys table to its codes, sorted and unique:
	// a targeted run uses them to find that uid's keys on panels.
	Codes map[int64][]string
	// Known holds the id of every device read, panel or not: ownership
	// records on a device that exists but is not a panel now are kept.
	Known map[int]bool
	// Tombstones holds the deleted panels still to be cleaned, by device id.
	Tombstones map[int]PanelDevice
	// Duplicates lists, sorted, the uids the snapshot returned more than one
	// row for: which row is true is unknown, so they get no grants and their
	// keys are left as they are.
	Duplicates []int64
	// Calls maps device id -> flat -> what the billing says of its calls
	// (see calls.go); only flats with an unpaid (or frozen) contract appear.
	Calls map[int]map[int]FlatCalls
	// CallsWhole marks, on a run of some contracts, the flats whose every
	// contract was read (see completeFlats); nil on a full run, which reads all.
	CallsWhole map[int]map[int]bool
}

// Access is the state of one (uid, device) pair: AccessNone, AccessUnpaid or AccessPaid.
type Access struct {
	UID      int64 `json:"uid"`
	DeviceID int   `json:"device_id"`
	State    int   `json:"state"`
}

// Conflict is one code wanted by two contracts on different flats of one panel.
type Conflict struct {
	DeviceID   int    `json:"device_id"`
	Code       string `json:"code"`
	Winner     int64  `json:"winner"`
	Loser      int64  `json:"loser"`
	WinnerFlat int    `json:"winner_flat"`
	LoserFlat  int    `json:"loser_flat"`
}

// BadFlat is an active contract whose billing flat is not a number from 1 to 9999.
type BadFlat struct {
	UID  int64  `json:"uid"`
	Flat string `json:"flat"`
}

// Desire computes the desired state from one observation. It is pure and
// deterministic: the same inputs in any order give the same Desired. A uid
// the snapshot lists twice is a conflict (Duplicates), never decided by row order.
func Desire(in Inputs) Desired {
	contracts, dups := contractsByUID(in.Contracts)
	d := Desired{
		Panels:     panelsByID(in.Devices, in.Families),
		Keys:       map[int]map[string]Grant{},
		Access:     accessStates(in, contracts),
		Reaches:    reaches(in),
		Codes:      uniqueCodes(in.Keys),
		Known:      map[int]bool{},
		Tombstones: map[int]PanelDevice{},
		Duplicates: dups,
	}
	for _, dev := range in.Devices {
		d.Known[dev.ID] = true
	}
	for _, t := range in.Tombstones {
		if !d.Known[t.ID] {
			d.Tombstones[t.ID] = t
		}
	}
	for _, uid := range sortedKeys(contracts) {
		d.grantContract(contracts[uid])
	}
	d.Calls = flatCalls(in, contracts, dups, &d)
	slices.SortFunc(d.Conflicts, compareConflicts)
	return d
}

// Reach returns the panel ids a uid reaches now, sorted: its rights hold the
// panel itself, or a lock whose door names the panel as its cam. Payment
// plays no part: an unpaid contract still reaches its panels.
func (d Desired) Reach(uid int64) []int {
	return slices.Clone(d.Reaches[uid])
}

// grantContract adds the keys of one contract to every panel it reaches.
// Contracts must come in ascending uid order so the lowest uid wins conflicts.
func (d *Desired) grantContract(c Contract) {
	if !c.Active() {
		return
	}
	flat, ok := FlatNumber(c.Flat)
	if !ok {
		d.BadFlats = append(d.BadFlats, BadFlat{UID: c.UID, Flat: c.Flat})
		return
	}
	for _, id := range d.Reaches[c.UID] {
		for _, code := range d.Codes[c.UID] {
			d.grant(id, Grant{Code: code, Flat: flat, UID: c.UID})
		}
	}
}

// grant records g on a panel unless an earlier (lower) uid holds the code.
// The same code on the same flat is no conflict: the panel can hold it.
func (d *Desired) grant(id int, g Grant) {
	keys := d.Keys[id]
	if keys == nil {
		keys = map[string]Grant{}
		d.Keys[id] = keys
	}
	prev, taken := keys[g.Code]
	if !taken {
		keys[g.Code] = g
		return
	}
	if prev.Flat != g.Flat && prev.UID != g.UID {
		d.Conflicts = append(d.Conflicts, Conflict{
			DeviceID: id, Code: g.Code,
			Winner: prev.UID, Loser: g.UID,
			WinnerFlat: prev.Flat, LoserFlat: g.Flat,
		})
	}
}

func compareConflicts(a, b Conflict) int {
	return cmp.Or(cmp.Compare(a.DeviceID, b.DeviceID), cmp.Compare(a.Code, b.Code), cmp.Compare(a.Loser, b.Loser))
}

// contractsByUID indexes the snapshot by uid; a uid with several rows is
// left out and returned among the duplicates.
func contractsByUID(list []Contract) (map[int64]Contract, []int64) {
	m := make(map[int64]Contract, len(list))
	dups := Duplicates(list)
	for _, c := range list {
		m[c.UID] = c
	}
	for _, uid := range dups {
		delete(m, uid)
	}
	return m, dups
}

// Duplicates returns, sorted, the uids a snapshot lists more than once.
// Several rows for one contract are a conflict, not decided by row order:
// the reconciler leaves such a contract's panels as they are.
func Duplicates(list []Contract) []int64 {
	seen := make(map[int64]bool, len(list))
	var dups []int64
	for _, c := range list {
		if seen[c.UID] {
			dups = append(dups, c.UID)
		}
		seen[c.UID] = true
	}
	return uniqueSorted(dups)
}

// cleanable returns the ids among ids that are tombstones yardsync may
// dial: not one whose address a live panel has now (a panel replaced under
// a new device id is the live device's to shape; two sessions on one
// address would race).
func (d Desired) cleanable(ids []int) []int {
	live := map[string]bool{}
	for _, p := range d.Panels {
		live[p.IP] = true
	}
	var out []int
	for _, id := range ids {
		if t, ok := d.Tombstones[id]; ok && !live[t.IP] {
			out = append(out, id)
		}
	}
	return out
}

func panelsByID(devices []Device, fs Families) map[int]PanelDevice {
	m := map[int]PanelDevice{}
	for _, dev := range devices {
		if p, ok := dev.PanelIn(fs); ok {
			m[dev.ID] = p
		}
	}
	return m
}

// accessStates gives every (uid, existing device) pair of rights its state.
func accessStates(in Inputs, contracts map[int64]Contract) []Access {
	exists := map[int]bool{}
	for _, dev := range in.Devices {
		exists[dev.ID] = true
	}
	var out []Access
	for _, uid := range sortedKeys(in.Rights) {
		state := accessState(contracts[uid])
		for _, id := range uniqueSorted(in.Rights[uid]) {
			if exists[id] {
				out = append(out, Access{UID: uid, DeviceID: id, State: state})
			}
		}
	}
	return out
}

// accessState is isActiv of one contract; a missing snapshot row is the zero
// Contract, which is not open.
func accessState(c Contract) int {
	switch {
	case !c.CamsOpen:
		return AccessNone
	case !c.CamsPaid:
		return AccessUnpaid
	default:
		return AccessPaid
	}
}

// uniqueCodes gives each uid its codes sorted and unique, sharing the
// input's list where it is so already (the store reads them so).
func uniqueCodes(keys map[int64][]string) map[int64][]string {
	m := make(map[int64][]string, len(keys))
	for uid, codes := range keys {
		if !sortedUnique(codes) {
			codes = uniqueSorted(codes)
		}
		if len(codes) > 0 {
			m[uid] = codes
		}
	}
	return m
}

func sortedUnique[T cmp.Ordered](s []T) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return false
		}
	}
	return true
}

func uniqueSorted[T cmp.Ordered](s []T) []T {
	return slices.Compact(slices.Sorted(slices.Values(s)))
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
