package reconcile

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// world is one random observation: a Desired built by Desire from random
// inputs, the panels' keys, and the ownership records.
type world struct {
	desired Desired
	actual  map[int][]PanelKey
	owned   []OwnedKey
}

var propCodes = []string{keyA, keyB, keyC, keyD, "0000000000000E", "0000000000000F"}

func randomWorld(r *rand.Rand) world {
	w := world{desired: Desire(randomInputs(r)), actual: map[int][]PanelKey{}}
	for id := 1; id <= 4; id++ {
		if r.IntN(6) == 0 {
			continue // not read
		}
		for _, code := range pick(r, propCodes) {
			w.actual[id] = append(w.actual[id], PanelKey{Code: code, Flat: r.IntN(4)})
		}
	}
	for range r.IntN(10) {
		w.owned = append(w.owned, OwnedKey{DeviceID: 1 + r.IntN(6), Code: propCodes[r.IntN(len(propCodes))], Flat: r.IntN(4), UID: 1 + r.Int64N(5)})
	}
	return w
}

func pick[T any](r *rand.Rand, from []T) []T {
	var out []T
	for _, v := range from {
		if r.IntN(3) == 0 {
			out = append(out, v)
		}
	}
	return out
}

// apply plays a plan on a copy of the panels' keys, failing on impossible steps.
func apply(t *testing.T, actual map[int][]PanelKey, p Plan) map[int]map[string]int {
	t.Helper()
	state := map[int]map[string]int{}
	for id, keys := range actual {
		state[id] = map[string]int{}
		for _, k := range keys {
			state[id][k.Code] = k.Flat
		}
	}
	for _, pp := range p.Panels {
		m := state[pp.Device.ID]
		if m == nil {
			t.Fatalf("plan for unread panel %d", pp.Device.ID)
		}
		for _, k := range pp.Add {
			if _, ok := m[k.Code]; ok {
				t.Fatalf("panel %d: add of present %s", pp.Device.ID, k.Code)
			}
			m[k.Code] = k.Flat
		}
		for _, k := range pp.Rebind {
			if _, ok := m[k.Code]; !ok {
				t.Fatalf("panel %d: rebind of absent %s", pp.Device.ID, k.Code)
			}
			m[k.Code] = k.Flat
		}
		for _, code := range pp.Delete {
			if _, ok := m[code]; !ok && panelCode(code) != code {
				// A key yardsync sent and does not see is deleted blind, in
				// the form it pushed (its add may land late); the owned
				// property test checks it is owned.
				t.Fatalf("panel %d: delete of absent %s in a listed form", pp.Device.ID, code)
			}
			delete(m, code)
		}
	}
	return state
}

func wantedFlats(d Desired, id int) map[string]int {
	m := map[string]int{}
	for code, g := range d.Keys[id] {
		m[code] = g.Flat
	}
	return m
}

func TestCalculatePropertyPruneAll(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		w := randomWorld(r)
		p := Calculate(w.desired, w.actual, w.owned, PlanOptions{Prune: PruneAll, Force: true})
		for id, got := range apply(t, w.actual, p) {
			if want := wantedFlats(w.desired, id); !maps.Equal(got, want) {
				t.Fatalf("case %d panel %d: got %v, want %v", i, id, got, want)
			}
		}
	}
}

func TestCalculatePropertyPruneOwned(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 500 {
		w := randomWorld(r)
		p := Calculate(w.desired, w.actual, w.owned, PlanOptions{Prune: PruneOwned, MaxRevoke: 0.3})
		own := ownedIndex(slices.Clone(w.owned))
		for _, pp := range p.Panels {
			for _, code := range append(pp.Delete, pp.Held...) {
				if _, ok := ownMap(own[pp.Device.ID])[code]; !ok {
					t.Fatalf("case %d panel %d: deletes %s, not owned there", i, pp.Device.ID, code)
				}
			}
		}
		for id, got := range apply(t, w.actual, p) {
			for code, flat := range wantedFlats(w.desired, id) {
				if got[code] != flat {
					t.Fatalf("case %d panel %d: %s on flat %d, want %d", i, id, code, got[code], flat)
				}
			}
		}
		if p.Guarded != (p.Guard.Revoking > p.Guard.Limit) {
			t.Fatalf("case %d: guarded %v with %s", i, p.Guarded, p.Guard)
		}
	}
}

func TestCalculatePropertyTargeted(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 500 {
		w := randomWorld(r)
		uid := 1 + r.Int64N(5)
		p := Calculate(w.desired, w.actual, w.owned, PlanOptions{Prune: PruneAll, MaxRevoke: 0, UIDs: []int64{uid}, Named: true})
		mine := map[string]bool{}
		for _, code := range w.desired.Codes[uid] {
			mine[code] = true
		}
		for _, o := range w.owned {
			if o.UID == uid {
				mine[o.Code] = true
			}
		}
		if p.Guarded {
			t.Fatalf("case %d: targeted run guarded", i)
		}
		for _, code := range touched(p) {
			if !mine[code] {
				t.Fatalf("case %d: uid %d plan touches %s, not its code", i, uid, code)
			}
		}
	}
}

func touched(p Plan) []string {
	var codes []string
	for _, pp := range p.Panels {
		for _, k := range append(pp.Add, pp.Rebind...) {
			codes = append(codes, k.Code)
		}
		for _, o := range pp.Adopt {
			codes = append(codes, o.Code)
		}
		codes = append(codes, pp.Delete...)
		codes = append(codes, pp.Forget...)
	}
	for _, o := range p.Orphans {
		codes = append(codes, o.Code)
	}
	return codes
}
