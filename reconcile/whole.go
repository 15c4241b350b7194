package reconcile

import (
	"context"
	"slices"
	"strings"
)

// wholeFrom is the fewest per-key deletions (deletes, other forms, and
// rebinds, which a Sokol does as delete + merge) for which clearing the
// store and pushing every wanted key (2 requests) is cheaper than a delete
// per key and a merge (at least 3).
const wholeFrom = 2

// whole returns the panel's whole wanted key set when a clear and one push
// may replace the per-key writes: a Sokol, a full run (a targeted run sees
// only some contracts' codes), every listed key wanted or deleted anyway (so
// a clear loses no key that stays foreign under the prune rule) and none
// frozen (a contract with several billing rows keeps its keys as they are), no more
// keys wanted than the panel now lists (so the push fits where they did),
// and at least wholeFrom per-key deletions due. Otherwise nil.
func (s scope) whole(want map[string]Grant, have []PanelKey, pp PanelPlan) []PanelKey {
	if pp.Device.Family != PanelSokol || s.codes != nil {
		return nil
	}
	if len(pp.Delete)+len(pp.Replace)+len(pp.Rebind) < wholeFrom {
		return nil
	}
	listed := map[string]bool{}
	for _, k := range have {
		code := panelCode(k.Code)
		if _, wanted := want[code]; s.frozen[code] || !wanted && !slices.Contains(pp.Delete, k.Code) {
			return nil // a clear would take a key that must stay as it is
		}
		listed[code] = true
	}
	if len(want) > len(listed) {
		return nil
	}
	keys := make([]PanelKey, 0, len(want))
	for _, g := range want {
		keys = append(keys, PanelKey{Code: g.Code, Flat: g.Flat})
	}
	slices.SortFunc(keys, func(a, b PanelKey) int { return strings.Compare(a.Code, b.Code) })
	return keys
}

// Replacer is a Panel that can make its key table exactly a given set in
// one go (a Sokol: clear, then one merge). A wrapper around a Panel that
// cannot answers ErrNoReplace, and the session writes key by key.
type Replacer interface {
	ReplaceKeys(ctx context.Context, keys []PanelKey) error
}

// ErrNoReplace says a panel cannot replace its keys in one go: a wrapper
// around a panel without ReplaceKeys, or a store holding entries a clear
// would take (a Sokol entry yardsync cannot read). Nothing was sent; the
// session writes key by key.
var ErrNoReplace = Errorf(ErrPermanent, "panel cannot replace its keys in one go")
