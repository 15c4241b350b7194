package reconcile

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// randomInputs is a small random observation with some of everything.
func randomInputs(r *rand.Rand) Inputs {
	in := Inputs{Rights: map[int64][]int{}, Keys: map[int64][]string{}}
	for id := 1; id <= 4; id++ {
		in.Devices = append(in.Devices, panelDevice(id))
	}
	in.Devices = append(in.Devices, lockDevice(5), Device{ID: 6, Type: TypeCam})
	in.Doors = []Door{{ID: 1, DeviceID: 5, Cam: 1 + r.IntN(4)}}
	for uid := int64(1); uid <= 5; uid++ {
		in.Contracts = append(in.Contracts, Contract{UID: uid, Flat: fmt.Sprint(r.IntN(4)), CamsOpen: r.IntN(4) > 0, CamsPaid: r.IntN(4) > 0})
		in.Rights[uid] = pick(r, []int{1, 2, 3, 4, 5, 6})
		in.Keys[uid] = pick(r, propCodes)
	}
	if r.IntN(3) == 0 {
		in.Tombstones = []PanelDevice{{ID: 9, Family: PanelSokol, IP: "10.0.0.9", Login: "admin", Password: "x"}}
	}
	return in
}

// TestDesireCacheProperty checks that a cache gives exactly what Desire
// gives, over runs whose inputs change a little, change back, or stay.
func TestDesireCacheProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	c := NewDesireCache()
	prev := randomInputs(r)
	for i := range 2000 {
		in := prev
		switch r.IntN(3) {
		case 0:
			in = randomInputs(r)
		case 1: // the same rows in another order, as SQL without ORDER BY returns them
			in.Contracts = slices.Clone(in.Contracts)
			r.Shuffle(len(in.Contracts), func(i, j int) { in.Contracts[i], in.Contracts[j] = in.Contracts[j], in.Contracts[i] })
		}
		if got, want := c.desire(in), Desire(in); !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d: cached desired state differs from Desire:\n got %+v\nwant %+v", i, got, want)
		}
		prev = in
	}
}

// TestDesireCacheSeesEveryChange checks that any one changed field of any
// input changes the fingerprint, and that row order does not.
func TestDesireCacheSeesEveryChange(t *testing.T) {
	base := func() Inputs {
		return Inputs{
			Contracts:  []Contract{paid(1, "1"), paid(2, "2")},
			Rights:     map[int64][]int{1: {1}, 2: {5}},
			Keys:       map[int64][]string{1: {keyA}, 2: {keyB}},
			Devices:    []Device{panelDevice(1), lockDevice(5)},
			Doors:      []Door{{ID: 1, DeviceID: 5, Cam: 1, Open: "x"}},
			Tombstones: []PanelDevice{{ID: 9, Family: PanelSokol, IP: "10.0.0.9", Login: "admin", Password: "x"}},
		}
	}
	changes := map[string]func(in *Inputs){
		"flat":            func(in *Inputs) { in.Contracts[0].Flat = "3" },
		"unpaid":          func(in *Inputs) { in.Contracts[0].CamsPaid = false },
		"closed":          func(in *Inputs) { in.Contracts[1].CamsOpen = false },
		"uid":             func(in *Inputs) { in.Contracts[1].UID = 3 },
		"contract gone":   func(in *Inputs) { in.Contracts = in.Contracts[:1] },
		"right added":     func(in *Inputs) { in.Rights[1] = []int{1, 5} },
		"right moved":     func(in *Inputs) { in.Rights = map[int64][]int{1: {5}, 2: {1}} },
		"key changed":     func(in *Inputs) { in.Keys[1] = []string{keyC} },
		"keys swapped":    func(in *Inputs) { in.Keys = map[int64][]string{1: {keyB}, 2: {keyA}} },
		"panel password":  func(in *Inputs) { in.Devices[0].PanelPasswd = ptr("other") },
		"panel address":   func(in *Inputs) { in.Devices[0].PanelIP = ptr("10.0.0.2") },
		"panel inactive":  func(in *Inputs) { in.Devices[0].IsActive = ptr(false) },
		"panel family":    func(in *Inputs) { in.Devices[0].PanelType = ptr(PanelSokol) },
		"door cam":        func(in *Inputs) { in.Doors[0].Cam = 2 },
		"tombstone login": func(in *Inputs) { in.Tombstones[0].Password = "y" },
		"tombstone gone":  func(in *Inputs) { in.Tombstones = nil },
	}
	c := NewDesireCache()
	want, ok := c.fingerprint(base())
	if !ok {
		t.Fatal("a plain observation spoilt the fingerprint")
	}
	for _, name := range slices.Sorted(maps.Keys(changes)) {
		in := base()
		changes[name](&in)
		if got, _ := c.fingerprint(in); got == want {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}
	in := base()
	slices.Reverse(in.Contracts)
	in.Devices = []Device{lockDevice(5), panelDevice(1)}
	if got, _ := c.fingerprint(in); got != want {
		t.Error("rows in another order changed the fingerprint")
	}
}

// TestDesireCacheNaN checks that inputs JSON cannot fingerprint are never reused.
func TestDesireCacheNaN(t *testing.T) {
	c := NewDesireCache()
	in := Inputs{Contracts: []Contract{paid(1, "1")}, Rights: map[int64][]int{1: {1}}, Keys: map[int64][]string{1: {keyA}},
		Devices: []Device{panelDevice(1)}}
	in.Devices[0].Longitude = ptr(math.NaN())
	if _, ok := c.fingerprint(in); ok {
		t.Fatal("a NaN longitude fingerprinted")
	}
	c.desire(in)
	in.Devices[0].PanelPasswd = ptr("new") // on the device JSON could not hash
	if got := c.desire(in); got.Panels[1].Password != "new" {
		t.Errorf("a spoilt fingerprint was reused: the panel's password is %q", got.Panels[1].Password)
	}
}
