package reconcile

import (
	"reflect"
	"slices"
	"testing"
)

// Codes another system wrote to a panel in another form (lower case, not
// padded) are the same key: compared normalised, deleted as listed.
const (
	keyLong = "00000A1B2C3D4E"
	keyRaw  = "0a1b2c3d4e"
)

func TestCalculateListedForms(t *testing.T) {
	grant := Grant{Code: keyLong, Flat: 5, UID: 10}
	rec := owned(1, keyLong, 5, 10)
	ownedOpt := PlanOptions{Prune: PruneOwned, MaxRevoke: 1}
	tests := []struct {
		name    string
		desired Desired
		current []PanelKey
		owned   []OwnedKey
		opt     PlanOptions
		want    Plan
	}{
		{
			name:    "a wanted key listed in another form on its flat is adopted, not added",
			desired: desiredOn(1, map[int][]Grant{1: {grant}}),
			current: []PanelKey{{keyRaw, 5}},
			opt:     ownedOpt,
			want:    Plan{Panels: []PanelPlan{{Device: panelOf(1), Adopt: []OwnedKey{rec}}}},
		},
		{
			name:    "a revoked key is deleted as the panel listed it",
			desired: desiredOn(1, nil),
			current: []PanelKey{{keyRaw, 5}},
			owned:   []OwnedKey{rec},
			opt:     ownedOpt,
			want:    Plan{Panels: []PanelPlan{{Device: panelOf(1), Delete: []string{keyRaw}}}},
		},
		{
			name:    "a revoked key listed in two forms is deleted in both",
			desired: desiredOn(1, nil),
			current: []PanelKey{{keyRaw, 5}, {keyLong, 5}},
			owned:   []OwnedKey{rec},
			opt:     ownedOpt,
			want:    Plan{Panels: []PanelPlan{{Device: panelOf(1), Delete: []string{keyRaw, keyLong}}}},
		},
		{
			name:    "a rebind replaces the other form",
			desired: desiredOn(1, map[int][]Grant{1: {grant}}),
			current: []PanelKey{{keyRaw, 6}},
			owned:   []OwnedKey{owned(1, keyLong, 6, 10)},
			opt:     ownedOpt,
			want: Plan{Panels: []PanelPlan{{Device: panelOf(1), Rebind: []PanelKey{{keyLong, 5}},
				Replace: []string{keyRaw}, Claim: []OwnedKey{rec}}}},
		},
		{
			name:    "a listed key without a listed flat is on the flat yardsync recorded",
			desired: desiredOn(1, map[int][]Grant{1: {grant}}),
			current: []PanelKey{{keyLong, FlatUnlisted}},
			owned:   []OwnedKey{rec},
			opt:     ownedOpt,
			want:    Plan{Panels: []PanelPlan{}},
		},
		{
			name:    "a listed key without a listed flat and no record is rebound once",
			desired: desiredOn(1, map[int][]Grant{1: {grant}}),
			current: []PanelKey{{keyLong, FlatUnlisted}},
			opt:     ownedOpt,
			want: Plan{Panels: []PanelPlan{{Device: panelOf(1), Rebind: []PanelKey{{keyLong, 5}},
				Claim: []OwnedKey{rec}}}},
		},
		{
			name:    "the record stands in only where no flat is listed",
			desired: desiredOn(1, map[int][]Grant{1: {grant}}),
			current: []PanelKey{{keyLong, 6}},
			owned:   []OwnedKey{rec},
			opt:     ownedOpt,
			want: Plan{Panels: []PanelPlan{{Device: panelOf(1), Rebind: []PanelKey{{keyLong, 5}},
				Claim: []OwnedKey{rec}}}},
		},
		{
			name:    "prune all counts one key in two forms once",
			desired: desiredOn(1, map[int][]Grant{1: {grant}}),
			current: []PanelKey{{keyRaw, 5}, {keyLong, 5}},
			owned:   []OwnedKey{rec},
			opt:     PlanOptions{Prune: PruneAll, MaxRevoke: 1},
			want:    Plan{Panels: []PanelPlan{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Calculate(tt.desired, map[int][]PanelKey{1: tt.current}, tt.owned, tt.opt)
			want := tt.want
			want.Prune, want.MaxRevoke = pruneMode(tt.opt.Prune), tt.opt.MaxRevoke
			got.Guard = nil
			got = withoutKeep(got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %s,\nwant %s", mustJSON(t, got), mustJSON(t, want))
			}
		})
	}
}

func TestVerifyListedForms(t *testing.T) {
	del := PanelPlan{Delete: []string{keyRaw}}
	rebind := PanelPlan{Rebind: []PanelKey{{keyLong, 5}}, Replace: []string{keyRaw}}
	tests := []struct {
		name   string
		pp     PanelPlan
		have   []PanelKey
		gone   []string
		unkept []string
	}{
		{"DeleteSeenGone", del, nil, []string{keyLong}, nil},
		{"DeleteStillListedInAnotherForm", del, []PanelKey{{keyLong, 5}}, nil, []string{"delete " + keyRaw}},
		{"ReplaceDone", rebind, []PanelKey{{keyLong, 5}}, nil, nil},
		{"ReplaceNotKept", rebind, []PanelKey{{keyRaw, 6}, {keyLong, 5}}, nil, []string{"delete " + keyRaw}},
		{"RebindListedWithoutFlat", PanelPlan{Rebind: []PanelKey{{keyLong, 5}}}, []PanelKey{{keyLong, FlatUnlisted}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verify(tt.pp, tt.have)
			if !slices.Equal(v.gone, tt.gone) || !slices.Equal(v.unkept, tt.unkept) {
				t.Errorf("got gone %v unkept %v, want %v %v", v.gone, v.unkept, tt.gone, tt.unkept)
			}
		})
	}
}

// TestMarkLiveListedForms: explain finds a key the panel lists in another
// form, and shows no flat where the panel lists none.
func TestMarkLiveListedForms(t *testing.T) {
	ep := ExplainedPanel{Keys: []ExplainedKey{{Code: keyLong}, {Code: keyA}, {Code: keyB}}}
	markLive(&ep, []PanelKey{{keyRaw, 5}, {keyA, FlatUnlisted}}, nil)
	got := ep.Keys
	if !*got[0].OnPanel || got[0].Flat == nil || *got[0].Flat != 5 {
		t.Errorf("key listed as %s: got on %v flat %v, want on panel on flat 5", keyRaw, *got[0].OnPanel, got[0].Flat)
	}
	if !*got[1].OnPanel || got[1].Flat != nil {
		t.Errorf("key listed without a flat: got on %v flat %v, want on panel, no flat", *got[1].OnPanel, got[1].Flat)
	}
	if *got[2].OnPanel {
		t.Error("a key not listed shows on the panel")
	}
}
