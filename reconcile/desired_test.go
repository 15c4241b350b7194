package reconcile

import (
	"fmt"
	"reflect"
	"testing"
)

func ptr[T any](v T) *T { return &v }

// panelDevice is an active Beward panel at 10.0.0.id.
func panelDevice(id int) Device {
	return Device{ID: id, Type: TypeCam, IsActive: ptr(true), PanelType: ptr(PanelBeward), PanelIP: ptr(fmt.Sprintf("10.0.0.%d", id))}
}

func panelOf(id int) PanelDevice {
	return PanelDevice{ID: id, Family: PanelBeward, IP: fmt.Sprintf("10.0.0.%d", id)}
}

func lockDevice(id int) Device { return Device{ID: id, Type: TypeLock, IsActive: ptr(true)} }

func paid(uid int64, flat string) Contract {
	return Contract{UID: uid, Flat: flat, CamsOpen: true, CamsPaid: true}
}

const (
	keyA = "0000000000000A"
	keyB = "0000000000000B"
	keyC = "0000000000000C"
	keyD = "0000000000000D"
)

// wantDesired is the part of Desired a Desire case checks.
type wantDesired struct {
	Keys      map[int]map[string]Grant
	Access    []Access
	Conflicts []Conflict
	BadFlats  []BadFlat
	Reaches   map[int64][]int
}

func TestDesire(t *testing.T) {
	tests := []struct {
		name string
		in   Inputs
		want wantDesired
	}{
		{
			name: "rights to the panel itself",
			in: Inputs{
				Contracts: []Contract{paid(10, "5")},
				Rights:    map[int64][]int{10: {1}},
				Keys:      map[int64][]string{10: {keyB, keyA, keyA}},
				Devices:   []Device{panelDevice(1), panelDevice(2)},
			},
			want: wantDesired{
				Keys:    map[int]map[string]Grant{1: {keyA: {keyA, 5, 10}, keyB: {keyB, 5, 10}}},
				Access:  []Access{{10, 1, AccessPaid}},
				Reaches: map[int64][]int{10: {1}},
			},
		},
		{
			name: "rights to a lock reach the panel its door names as cam",
			in: Inputs{
				Contracts: []Contract{paid(10, " 12 ")},
				Rights:    map[int64][]int{10: {3}},
				Keys:      map[int64][]string{10: {keyA}},
				Devices:   []Device{panelDevice(1), panelDevice(2), lockDevice(3)},
				Doors:     []Door{{ID: 1, DeviceID: 3, Cam: 2}},
			},
			want: wantDesired{
				Keys:    map[int]map[string]Grant{2: {keyA: {keyA, 12, 10}}},
				Access:  []Access{{10, 3, AccessPaid}},
				Reaches: map[int64][]int{10: {2}},
			},
		},
		{
			name: "door of a non-lock or to a non-panel cam reaches nothing",
			in: Inputs{
				Contracts: []Contract{paid(10, "1")},
				Rights:    map[int64][]int{10: {4, 5}},
				Keys:      map[int64][]string{10: {keyA}},
				Devices: []Device{
					panelDevice(1),
					{ID: 2, Type: TypeCam, IsActive: ptr(false), PanelType: ptr(PanelBeward), PanelIP: ptr("10.0.0.2")},
					{ID: 4, Type: TypeCam},
					lockDevice(5),
				},
				Doors: []Door{{ID: 1, DeviceID: 4, Cam: 1}, {ID: 2, DeviceID: 5, Cam: 2}},
			},
			want: wantDesired{
				Keys:    map[int]map[string]Grant{},
				Access:  []Access{{10, 4, AccessPaid}, {10, 5, AccessPaid}},
				Reaches: map[int64][]int{},
			},
		},
		{
			name: "inactive contracts get no keys; access follows isActiv",
			in: Inputs{
				Contracts: []Contract{
					{UID: 10, Flat: "1", CamsOpen: true},
					{UID: 11, Flat: "2", CamsPaid: true},
					{UID: 12, Flat: "3"},
				},
				Rights:  map[int64][]int{10: {1}, 11: {1}, 12: {1}, 13: {1, 99}},
				Keys:    map[int64][]string{10: {keyA}, 11: {keyB}, 12: {keyC}, 13: {keyD}},
				Devices: []Device{panelDevice(1)},
			},
			want: wantDesired{
				Keys: map[int]map[string]Grant{},
				Access: []Access{
					{10, 1, AccessUnpaid}, {11, 1, AccessNone}, {12, 1, AccessNone}, {13, 1, AccessNone},
				},
				Reaches: map[int64][]int{10: {1}, 11: {1}, 12: {1}, 13: {1}},
			},
		},
		{
			name: "bad flats get no keys and only active ones are listed",
			in: Inputs{
				Contracts: []Contract{
					paid(15, "10000"), paid(11, "7а"), paid(12, "12/1"), paid(13, ""), paid(14, "0"),
					{UID: 16, Flat: "x", CamsOpen: true}, paid(17, "9999"),
				},
				Rights:  map[int64][]int{11: {1}, 12: {1}, 13: {1}, 14: {1}, 15: {1}, 16: {1}, 17: {1}},
				Keys:    map[int64][]string{11: {keyA}, 12: {keyB}, 13: {keyC}, 14: {keyD}, 17: {"0000000000000E"}},
				Devices: []Device{panelDevice(1)},
			},
			want: wantDesired{
				Keys: map[int]map[string]Grant{1: {"0000000000000E": {"0000000000000E", 9999, 17}}},
				Access: []Access{
					{11, 1, 2}, {12, 1, 2}, {13, 1, 2}, {14, 1, 2}, {15, 1, 2}, {16, 1, 1}, {17, 1, 2},
				},
				BadFlats: []BadFlat{{11, "7а"}, {12, "12/1"}, {13, ""}, {14, "0"}, {15, "10000"}},
				Reaches:  map[int64][]int{11: {1}, 12: {1}, 13: {1}, 14: {1}, 15: {1}, 16: {1}, 17: {1}},
			},
		},
		{
			name: "conflict: lowest uid wins whatever the input order",
			in: Inputs{
				Contracts: []Contract{paid(30, "9"), paid(20, "5"), paid(10, "7")},
				Rights:    map[int64][]int{10: {1}, 20: {1}, 30: {1}},
				Keys:      map[int64][]string{10: {keyA}, 20: {keyA}, 30: {keyA}},
				Devices:   []Device{panelDevice(1)},
			},
			want: wantDesired{
				Keys:   map[int]map[string]Grant{1: {keyA: {keyA, 7, 10}}},
				Access: []Access{{10, 1, 2}, {20, 1, 2}, {30, 1, 2}},
				Conflicts: []Conflict{
					{DeviceID: 1, Code: keyA, Winner: 10, Loser: 20, WinnerFlat: 7, LoserFlat: 5},
					{DeviceID: 1, Code: keyA, Winner: 10, Loser: 30, WinnerFlat: 7, LoserFlat: 9},
				},
				Reaches: map[int64][]int{10: {1}, 20: {1}, 30: {1}},
			},
		},
		{
			name: "same code on the same flat is no conflict",
			in: Inputs{
				Contracts: []Contract{paid(20, "5"), paid(10, "5")},
				Rights:    map[int64][]int{10: {1}, 20: {1}},
				Keys:      map[int64][]string{10: {keyA}, 20: {keyA}},
				Devices:   []Device{panelDevice(1)},
			},
			want: wantDesired{
				Keys:    map[int]map[string]Grant{1: {keyA: {keyA, 5, 10}}},
				Access:  []Access{{10, 1, 2}, {20, 1, 2}},
				Reaches: map[int64][]int{10: {1}, 20: {1}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Desire(tt.in)
			got := wantDesired{Keys: d.Keys, Access: d.Access, Conflicts: d.Conflicts, BadFlats: d.BadFlats, Reaches: d.Reaches}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v,\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDesirePanels(t *testing.T) {
	devices := []Device{
		panelDevice(1),
		{ID: 2, Type: TypeMewcam, IsActive: ptr(true), PanelType: ptr(PanelSokol), PanelIP: ptr("10.0.0.2")},
		{ID: 3, Type: TypeCam, IsActive: ptr(true), PanelType: ptr(PanelBeward)},                     // no ip
		{ID: 4, Type: TypeCam, IsActive: ptr(true), PanelType: ptr(3), PanelIP: ptr("10.0.0.4")},     // unknown family
		{ID: 5, Type: TypeCam, IsActive: nil, PanelType: ptr(PanelBeward), PanelIP: ptr("10.0.0.5")}, // not active
		lockDevice(6),
	}
	got := Desire(Inputs{Devices: devices}).Panels
	want := map[int]PanelDevice{1: panelOf(1), 2: {ID: 2, Family: PanelSokol, IP: "10.0.0.2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestReach(t *testing.T) {
	d := Desire(Inputs{
		Rights:  map[int64][]int{10: {3, 1, 1}},
		Devices: []Device{panelDevice(1), panelDevice(2), lockDevice(3)},
		Doors:   []Door{{ID: 1, DeviceID: 3, Cam: 2}, {ID: 2, DeviceID: 3, Cam: 1}},
	})
	t.Run("OK", func(t *testing.T) {
		got := d.Reach(10)
		if want := []int{1, 2}; !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		got[0] = 99
		if d.Reach(10)[0] != 1 {
			t.Errorf("Reach returned the Desired's own slice")
		}
	})
	t.Run("NoRights", func(t *testing.T) {
		if got := d.Reach(11); len(got) != 0 {
			t.Errorf("got %v, want none", got)
		}
	})
}
