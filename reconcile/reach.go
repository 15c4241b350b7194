package reconcile

import "slices"

// reaches maps each uid with rights to the panels it reaches, sorted: a right
// to a panel reaches it directly, a right to a lock (type 3) reaches the
// panel every door of that lock names as its cam. Rights to devices that do
// not exist or are not panels reach nothing.
func reaches(in Inputs) map[int64][]int {
	panels := panelsByID(in.Devices, in.Families)
	viaLock := lockPanels(in, panels)
	out := map[int64][]int{}
	for uid, ids := range in.Rights {
		var reached []int
		for _, id := range ids {
			if _, ok := panels[id]; ok {
				reached = append(reached, id)
			}
			reached = append(reached, viaLock[id]...)
		}
		if len(reached) > 0 {
			slices.Sort(reached)
			out[uid] = slices.Clip(slices.Compact(reached))
		}
	}
	return out
}

// lockPanels maps each lock device id to the panels its doors name as cam.
func lockPanels(in Inputs, panels map[int]PanelDevice) map[int][]int {
	locks := map[int]bool{}
	for _, dev := range in.Devices {
		if dev.Type == TypeLock {
			locks[dev.ID] = true
		}
	}
	m := map[int][]int{}
	for _, door := range in.Doors {
		if _, ok := panels[door.Cam]; ok && locks[door.DeviceID] {
			m[door.DeviceID] = append(m[door.DeviceID], door.Cam)
		}
	}
	return m
}
