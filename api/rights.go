package api

import (
	"context"
	"net/http"

	"yardsync/store"
)

// rightStore is what the rights calls need of the store.
type rightStore interface {
	Rights(ctx context.Context, uid int64) ([]store.Right, error)
	AddRights(ctx context.Context, uid int64, devices []int) error
	DeleteRights(ctx context.Context, uid int64, devices []int) error
}

type rightOut struct {
	DeviceID   int     `json:"device_id"`
	DeviceType string  `json:"device_type"`
	Title      *string `json:"title"`
}

// rightsRequest is the body of rights_add and rights_del.
type rightsRequest struct {
	UID      ID  `json:"uid"`
	DeviceID IDs `json:"device_id"`
}

func (h *handler) rightsList(r *http.Request, b body) (int, any, error) {
	uid, err := requireUID(b)
	if err != nil {
		return 0, nil, err
	}
	list, err := h.db.Rights(r.Context(), uid)
	if err != nil {
		return 0, nil, err
	}
	out := make([]rightOut, len(list))
	for i, rt := range list {
		name, ok := typeNames[rt.Type]
		if !ok {
			name = rt.TypeName
		}
		out[i] = rightOut{DeviceID: rt.DeviceID, DeviceType: name, Title: rt.Title}
	}
	return http.StatusOK, map[string]any{"rights": out}, nil
}

// rightsAdd adds devices to a contract's rights. The AXbills client sends []
// when every id is there already: a 200 that writes and schedules nothing.
func (h *handler) rightsAdd(r *http.Request, b body) (int, any, error) {
	uid, devices, err := rightsBody(b)
	if err != nil || len(devices) == 0 {
		return http.StatusOK, nil, err
	}
	if err := h.db.AddRights(r.Context(), uid, devices); err != nil {
		return 0, nil, err
	}
	h.touch(uid)
	return http.StatusOK, nil, nil
}

func (h *handler) rightsDel(r *http.Request, b body) (int, any, error) {
	uid, devices, err := rightsBody(b)
	if err != nil || len(devices) == 0 {
		return http.StatusOK, nil, err
	}
	if err := h.db.DeleteRights(r.Context(), uid, devices); err != nil {
		return 0, nil, err
	}
	h.revoke(uid)
	return http.StatusOK, nil, nil
}

// rightsBody reads uid and device_id: one id or a list of them, in any of
// the encodings IDs takes; an empty list is allowed.
func rightsBody(b body) (int64, []int, error) {
	req, err := decode[rightsRequest](b)
	if err != nil {
		return 0, nil, err
	}
	uid, err := requireID("uid", req.UID)
	if err != nil {
		return 0, nil, err
	}
	if !req.DeviceID.Set || req.DeviceID.Null {
		return 0, nil, invalid("device_id", "required: one id or a list")
	}
	devices := make([]int, len(req.DeviceID.Values))
	for i, id := range req.DeviceID.Values {
		devices[i] = int(id)
	}
	return uid, devices, nil
}
