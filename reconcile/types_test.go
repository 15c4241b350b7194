package reconcile

import "testing"

func TestFamilyString(t *testing.T) {
	cases := []struct {
		f    Family
		want string
	}{
		{PanelBeward, "beward"},
		{PanelSokol, "sokol"},
		{7, "family-7"},
	}
	for _, tc := range cases {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("Family(%d).String() = %q, want %q", int(tc.f), got, tc.want)
		}
	}
}
