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
// deterministic: the same inputs in any order give the same Desired. When the
// snapshot lists a uid twice, its first row counts.
func Desire(in Inputs) Desired {
	contracts := contractsByUID(in.Contracts)
	d := Desired{
		Panels:  panelsByID(in.Devices),
		Keys:    map[int]map[string]Grant{},
		Access:  accessStates(in, contracts),
		Reaches: reaches(in),
		Codes:   uniqueCodes(in.Keys),
	}
	for _, uid := range sortedKeys(contracts) {
		d.grantContract(contracts[uid])
	}
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

func contractsByUID(list []Contract) map[int64]Contract {
	m := make(map[int64]Contract, len(list))
	for _, c := range list {
		if _, dup := m[c.UID]; !dup {
			m[c.UID] = c
		}
	}
	return m
}

func panelsByID(devices []Device) map[int]PanelDevice {
	m := map[int]PanelDevice{}
	for _, dev := range devices {
		if p, ok := dev.Panel(); ok {
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

func uniqueCodes(keys map[int64][]string) map[int64][]string {
	m := make(map[int64][]string, len(keys))
	for uid, codes := range keys {
		if u := uniqueSorted(codes); len(u) > 0 {
			m[uid] = u
		}
	}
	return m
}

func uniqueSorted[T cmp.Ordered](s []T) []T {
	return slices.Compact(slices.Sorted(slices.Values(s)))
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
