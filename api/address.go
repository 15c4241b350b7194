package api

import (
	"context"
	"net/http"

	"yardsync/reconcile"
	"yardsync/store"
)

// addressStore is what the address calls need of the store.
type addressStore interface {
	DevicesAt(ctx context.Context, address string) ([]reconcile.Device, error)
	UpdateDevices(ctx context.Context, patches []store.DevicePatch) error
}

// addressDeviceOut is an address_devices_list row.
type addressDeviceOut struct {
	DeviceID  int      `json:"device_id"`
	Title     *string  `json:"title"`
	Longitude *float64 `json:"longitude"`
	Latitude  *float64 `json:"latitude"`
}

// addressDevicesList answers the devices whose address is exactly the one
// sent: the AXbills address screen shows them to place them on its map.
func (h *handler) addressDevicesList(r *http.Request, b body) (int, any, error) {
	req, err := decode[struct {
		Address Field[string] `json:"address"`
	}](b)
	if err != nil {
		return 0, nil, err
	}
	address, ok := req.Address.value()
	if !ok || address == "" {
		return 0, nil, required("address")
	}
	list, err := h.db.DevicesAt(r.Context(), address)
	if err != nil {
		return 0, nil, err
	}
	out := make([]addressDeviceOut, len(list))
	for i, d := range list {
		out[i] = addressDeviceOut{DeviceID: d.ID, Title: d.Title, Longitude: d.Longitude, Latitude: d.Latitude}
	}
	return http.StatusOK, map[string]any{"devices": out}, nil
}

// position is one entry of address_devices_update's data.
type position struct {
	DeviceID  ID             `json:"device_id"`
	Latitude  Field[float64] `json:"latitude"`
	Longitude Field[float64] `json:"longitude"`
}

// Patch writes the coordinates sent: absent leaves one as it is, null or
// 'None' clears it.
func (p position) Patch(d *reconcile.Device) error {
	setPtr(&d.Latitude, p.Latitude)
	setPtr(&d.Longitude, p.Longitude)
	return nil
}

// addressDevicesUpdate moves devices on the map, every one or none: an
// unknown id is a 404 and nothing is written. Coordinates do not reach the
// panels, so no run is scheduled.
func (h *handler) addressDevicesUpdate(r *http.Request, b body) (int, any, error) {
	req, err := decode[struct {
		Data *[]position `json:"data"`
	}](b)
	if err != nil {
		return 0, nil, err
	}
	if req.Data == nil {
		return 0, nil, required("data")
	}
	patches := make([]store.DevicePatch, 0, len(*req.Data))
	for _, p := range *req.Data {
		id, err := requireID("data.device_id", p.DeviceID)
		if err != nil {
			return 0, nil, err
		}
		if err := firstErr(coordinate("data.latitude", p.Latitude, 90), coordinate("data.longitude", p.Longitude, 180)); err != nil {
			return 0, nil, err
		}
		patches = append(patches, store.DevicePatch{ID: int(id), Apply: p.Patch})
	}
	if len(patches) == 0 {
		return http.StatusOK, nil, nil
	}
	if err := h.db.UpdateDevices(r.Context(), patches); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, nil, nil
}
