package reconcile

import "testing"

func TestFamilies(t *testing.T) {
	cam := func(pt int) Device {
		on, ip := true, "10.0.0.5"
		return Device{ID: 7, Type: TypeCam, IsActive: &on, PanelType: &pt, PanelIP: &ip}
	}
	t.Run("Defaults", func(t *testing.T) {
		for pt, want := range map[int]string{1: "beward", 2: "sokol", 11: "qtech", 12: "akuvox", 13: "rubetek"} {
			p, ok := cam(pt).Panel()
			if !ok || Family(p.Family).String() != want {
				t.Errorf("paneltype %d: got %v %v, want %s", pt, Family(p.Family), ok, want)
			}
		}
	})
	t.Run("Mapped", func(t *testing.T) {
		fs := Families{1: "beward", 21: "rubetek"}
		p, ok := cam(21).PanelIn(fs)
		if !ok || p.Family != PanelRubetek {
			t.Errorf("got %v %v, want rubetek", Family(p.Family), ok)
		}
		if _, ok := cam(2).PanelIn(fs); ok {
			t.Error("paneltype 2 is no panel when the families leave it out")
		}
		if !cam(2).UnknownFamily(fs) || cam(21).UnknownFamily(fs) {
			t.Error("UnknownFamily: want 2 unknown, 21 known")
		}
	})
	t.Run("Akuvox", func(t *testing.T) {
		// Akuvox (12) is driven: its devices are panels runs write.
		p, ok := cam(12).Panel()
		if !ok || p.Family != PanelAkuvox || cam(12).UnknownFamily(nil) {
			t.Errorf("paneltype 12: got %v %v, want akuvox, a panel runs write", Family(p.Family), ok)
		}
		list := []PanelStatus{{DeviceID: 3, PanelType: 12}}
		NameFamilies(list, nil)
		if list[0].Family != "akuvox" || list[0].LastError != "" {
			t.Errorf("got %+v, want akuvox with no error", list)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		list := []PanelStatus{{DeviceID: 1, PanelType: 3}, {DeviceID: 2, PanelType: 11}}
		NameFamilies(list, nil)
		if list[0].Family != "unknown" || list[0].LastError == "" || list[1].Family != "qtech" || list[1].LastError != "" {
			t.Errorf("got %+v", list)
		}
	})
}
