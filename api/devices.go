package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"

	"yardsync/reconcile"
	"yardsync/store"
)

// deviceStore is what the device calls need of the store.
type deviceStore interface {
	Devices(ctx context.Context) ([]reconcile.Device, error)
	Device(ctx context.Context, id int) (reconcile.Device, error)
	AddDevice(ctx context.Context, d reconcile.Device) (int, error)
	UpdateDevice(ctx context.Context, id int, patch func(*reconcile.Device) error) error
	UpdateDevices(ctx context.Context, patches []store.DevicePatch) error
	DeleteDevice(ctx context.Context, id int) ([]int64, error)
	UIDsReaching(ctx context.Context, id int) ([]int64, error)
	Types(ctx context.Context) ([]store.Type, error)
}

// typeNames are the spec's device_type texts; other types answer the name
// their row in types gives them.
var typeNames = map[int]string{reconcile.TypeCam: "cam", reconcile.TypeMewcam: "mewcam", reconcile.TypeLock: "lock"}

// deviceOut is a devices_list row: the device with device_type as text.
type deviceOut struct {
	reconcile.Device
	TypeName string `json:"device_type"`
}

func (h *handler) devicesList(r *http.Request, b body) (int, any, error) {
	list, err := h.db.Devices(r.Context())
	if err != nil {
		return 0, nil, err
	}
	names, err := h.typeNames(r.Context(), list)
	if err != nil {
		return 0, nil, err
	}
	secrets := roleOf(r).SeesSecrets()
	out := make([]deviceOut, len(list))
	for i, d := range list {
		if !secrets {
			d.PanelPasswd, d.SIPPassword = new(string), new(string) // "" to a role that may not see them
		}
		out[i] = deviceOut{Device: d, TypeName: names(d.Type)}
	}
	return http.StatusOK, map[string]any{"devices": out}, nil
}

// typeNames returns the text of each device type; the types table is read
// only when a device has a type beyond the spec's three.
func (h *handler) typeNames(ctx context.Context, list []reconcile.Device) (func(int) string, error) {
	names := typeNames
	for _, d := range list {
		if _, ok := typeNames[d.Type]; ok {
			continue
		}
		types, err := h.db.Types(ctx)
		if err != nil {
			return nil, err
		}
		names = map[int]string{}
		for _, t := range types {
			names[t.ID] = t.Type
		}
		for id, name := range typeNames {
			names[id] = name
		}
		break
	}
	return func(t int) string {
		if n, ok := names[t]; ok {
			return n
		}
		return fmt.Sprint(t)
	}, nil
}

func (h *handler) devicesAdd(r *http.Request, b body) (int, any, error) {
	req, err := decode[deviceRequest](b)
	if err != nil {
		return 0, nil, err
	}
	if _, ok := req.DeviceType.value(); !ok {
		return 0, nil, reconcile.Errorf(reconcile.ErrInvalid, "field \"device_type\" is required (an id of types_list: 1 cam, 2 mewcam, 3 lock)")
	}
	if u, ok := req.DeviceUUID.value(); !ok || !validUUID(u) {
		req.DeviceUUID = Field[string]{Set: true, Value: newUUID()}
	}
	d := reconcile.Device{IsActive: new(bool)} // the column's default when is_active is not sent
	if err := req.Patch(&d); err != nil {
		return 0, nil, err
	}
	if err := panelTypeNamed(req.PanelType, h.Families); err != nil {
		return 0, nil, err
	}
	id, err := h.db.AddDevice(r.Context(), d)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]int{"device_id": id}, nil
}

func (h *handler) devicesMod(r *http.Request, b body) (int, any, error) {
	req, err := decode[deviceRequest](b)
	if err != nil {
		return 0, nil, err
	}
	id, err := requireID("device_id", req.DeviceID)
	if err != nil {
		return 0, nil, err
	}
	if u, ok := req.DeviceUUID.value(); ok && !validUUID(u) {
		return 0, nil, reconcile.Errorf(reconcile.ErrInvalid, "field \"device_uuid\": %q is not a UUID", u)
	}
	if err := req.check(); err != nil {
		return 0, nil, err
	}
	if err := panelTypeNamed(req.PanelType, h.Families); err != nil {
		return 0, nil, err
	}
	if err := h.db.UpdateDevice(r.Context(), int(id), req.Patch); err != nil {
		return 0, nil, err
	}
	h.touchDevice(r, int(id))
	return http.StatusOK, nil, nil
}

// deviceDel is the body of devices_del/.
type deviceDel struct {
	DeviceID ID `json:"device_id"`
}

func (d deviceDel) id() (string, ID) { return "device_id", d.DeviceID }

func (h *handler) devicesDel(r *http.Request, b body) (int, any, error) {
	return deleteByID[deviceDel](h, r, b, h.db.DeleteDevice)
}

// delRequest is the body of a *_del/ call: one id, named.
type delRequest interface{ id() (string, ID) }

// deleteByID is a *_del/ call: it deletes the thing the body's id names
// with del, and runs the contracts that lost access with it.
func deleteByID[T delRequest](h *handler, r *http.Request, b body, del func(ctx context.Context, id int) ([]int64, error)) (int, any, error) {
	req, err := decode[T](b)
	if err != nil {
		return 0, nil, err
	}
	id, err := requireID(req.id())
	if err != nil {
		return 0, nil, err
	}
	uids, err := del(r.Context(), int(id))
	if err != nil {
		return 0, nil, err
	}
	h.touch(uids...)
	return http.StatusOK, nil, nil
}

// touchDevice schedules targeted runs for every contract that reaches a device.
func (h *handler) touchDevice(r *http.Request, id int) {
	uids, err := h.db.UIDsReaching(r.Context(), id)
	if err != nil {
		h.Log.Warn("contracts reaching a changed device unknown; the next full run covers them", "device_id", id, "error", err)
		return
	}
	h.touch(uids...)
}

func (h *handler) touch(uids ...int64) {
	if h.Syncer != nil && len(uids) > 0 {
		h.Syncer.Touch(uids...)
	}
}

// revoke schedules the run of a revocation asked for by naming its
// contract: the guard never holds it.
func (h *handler) revoke(uid int64) {
	if h.Syncer != nil {
		h.Syncer.Revoke(uid)
	}
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
