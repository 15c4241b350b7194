package api

import (
	"net/http"

	"yardsync/reconcile"
)

type rightOut struct {
	DeviceID   int     `json:"device_id"`
	DeviceType string  `json:"device_type"`
	Title      *string `json:"title"`
}

func (h *handler) rightsList(r *http.Request, b body) (int, any, error) {
	uid, err := b.id("uid")
	if err != nil {
		return 0, nil, err
	}
	list, err := h.Store.Rights(r.Context(), uid)
	if err != nil {
		return 0, nil, err
	}
	out := make([]rightOut, len(list))
	for i, rt := range list {
		out[i] = rightOut{DeviceID: rt.DeviceID, DeviceType: typeName(rt.Type), Title: rt.Title}
	}
	return http.StatusOK, map[string]any{"rights": out}, nil
}

func (h *handler) rightsAdd(r *http.Request, b body) (int, any, error) {
	uid, devices, err := rightsBody(b)
	if err != nil {
		return 0, nil, err
	}
	if err := h.Store.AddRights(r.Context(), uid, devices); err != nil {
		return 0, nil, err
	}
	h.touch(uid)
	return http.StatusOK, nil, nil
}

func (h *handler) rightsDel(r *http.Request, b body) (int, any, error) {
	uid, devices, err := rightsBody(b)
	if err != nil {
		return 0, nil, err
	}
	if err := h.Store.DeleteRights(r.Context(), uid, devices); err != nil {
		return 0, nil, err
	}
	h.touch(uid)
	return http.StatusOK, nil, nil
}

// rightsBody reads uid and device_id, one id or a list of them.
func rightsBody(b body) (int64, []int, error) {
	uid, err := b.id("uid")
	if err != nil {
		return 0, nil, err
	}
	ids, err := b.ints("device_id")
	if err != nil {
		return 0, nil, err
	}
	if len(ids) == 0 {
		return 0, nil, reconcile.Errorf(reconcile.ErrInvalid, "field \"device_id\" is required: one id or a list")
	}
	devices := make([]int, len(ids))
	for i, id := range ids {
		if id < 1 || id > 1<<31-1 {
			return 0, nil, reconcile.Errorf(reconcile.ErrInvalid, "field \"device_id\": %d is not a valid id", id)
		}
		devices[i] = int(id)
	}
	return uid, devices, nil
}
