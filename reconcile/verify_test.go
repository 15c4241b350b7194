package reconcile

import (
	"slices"
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	const a, b, c = "0000000000000A", "0000000000000B", "0000000000000C"
	pp := PanelPlan{Add: []PanelKey{{Code: a, Flat: 1}}, Rebind: []PanelKey{{Code: b, Flat: 2}}, Delete: []string{c}}
	cases := []struct {
		name                 string
		have                 []PanelKey
		added, rebound, gone int
		unkept               []string
	}{
		{"AllKept", []PanelKey{{Code: a, Flat: 1}, {Code: b, Flat: 2}}, 1, 1, 1, nil},
		{"NothingKept", []PanelKey{{Code: b, Flat: 9}, {Code: c, Flat: 3}}, 0, 0, 0,
			[]string{"rebind " + b + " flat 2", "add " + a + " flat 1", "delete " + c}},
		{"AddOnWrongFlat", []PanelKey{{Code: a, Flat: 5}, {Code: b, Flat: 2}}, 0, 1, 1, []string{"add " + a + " flat 1"}},
		{"ListedTwiceOneRight", []PanelKey{{Code: a, Flat: 5}, {Code: a, Flat: 1}, {Code: b, Flat: 2}}, 1, 1, 1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := verify(pp, tc.have)
			if v.added != tc.added || v.rebound != tc.rebound || len(v.gone) != tc.gone || !slices.Equal(v.unkept, tc.unkept) {
				t.Errorf("got %+v, want added %d rebound %d gone %d unkept %v", v, tc.added, tc.rebound, tc.gone, tc.unkept)
			}
			if err := v.err(nil); (err != nil) != (len(tc.unkept) > 0) {
				t.Errorf("err %v with unkept %v", err, tc.unkept)
			} else if err != nil && !strings.Contains(err.Error(), tc.unkept[0]) {
				t.Errorf("err %q does not name %q", err, tc.unkept[0])
			}
		})
	}
}
