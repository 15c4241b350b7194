package api

import (
	"context"
	"math"
	"net/http"
	"strings"

	"yardsync/reconcile"
)

// doorStore is what the door calls need of the store.
type doorStore interface {
	Doors(ctx context.Context) ([]reconcile.Door, error)
	AddDoor(ctx context.Context, d reconcile.Door) (int, []int64, error)
	UpdateDoor(ctx context.Context, id int, patch func(*reconcile.Door) error) ([]int64, error)
	DeleteDoor(ctx context.Context, id int) ([]int64, error)
}

var icons = map[string]bool{"entrance": true, "wicket": true, "gate": true}

// doorRequest is the body of doors_add and doors_mod.
type doorRequest struct {
	DoorsID   ID            `json:"doors_id"`
	DeviceID  ID            `json:"device_id"`
	Cam       ID            `json:"cam"`
	Entrance  Field[int64]  `json:"entrance"`
	Icon      Field[string] `json:"icon"`
	Name      Field[string] `json:"name"`
	Open      Field[string] `json:"open"`
	OpenTrait Field[string] `json:"open_trait"`
}

func (r doorRequest) check() error {
	err := firstErr(
		optionalID("device_id", r.DeviceID), optionalID("cam", r.Cam),
		intIn("entrance", r.Entrance, 0, math.MaxInt32), textMax("icon", r.Icon, 14), textMax("name", r.Name, 1024),
		textMax("open", r.Open, 128), textMax("open_trait", r.OpenTrait, 16),
	)
	if err != nil {
		return err
	}
	if icon, ok := r.Icon.value(); ok && !icons[icon] {
		return invalid("icon", "%q is not one of entrance, wicket, gate", icon)
	}
	if open, ok := r.Open.value(); ok && strings.TrimSpace(open) == "" {
		return invalid("open", "empty: a door needs the URL that opens it")
	}
	if trait, ok := r.OpenTrait.value(); ok {
		switch strings.ToUpper(trait) {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			return invalid("open_trait", "%q is not an HTTP method", strings.ToUpper(trait))
		}
	}
	return nil
}

// Patch validates the request and applies it to d. 'None' leaves the NOT
// NULL columns (device_id, cam, open) as they are and sets open_trait to GET.
func (r doorRequest) Patch(d *reconcile.Door) error {
	if err := r.check(); err != nil {
		return err
	}
	if v, ok := r.DeviceID.value(); ok {
		d.DeviceID = int(v)
	}
	if v, ok := r.Cam.value(); ok {
		d.Cam = int(v)
	}
	if v, ok := r.Open.value(); ok {
		d.Open = v
	}
	setInt(&d.Entrance, r.Entrance)
	setPtr(&d.Icon, r.Icon)
	setPtr(&d.Name, r.Name)
	if r.OpenTrait.Set {
		trait := strings.ToUpper(r.OpenTrait.Value)
		if r.OpenTrait.Null {
			trait = "GET"
		}
		d.OpenTrait = &trait
	}
	return nil
}

func (h *handler) doorsList(r *http.Request, b body) (int, any, error) {
	list, err := h.db.Doors(r.Context())
	if err != nil {
		return 0, nil, err
	}
	if list == nil {
		list = []reconcile.Door{}
	}
	return http.StatusOK, map[string]any{"doors": list}, nil
}

func (h *handler) doorsAdd(r *http.Request, b body) (int, any, error) {
	req, err := decode[doorRequest](b)
	if err != nil {
		return 0, nil, err
	}
	if err := req.check(); err != nil {
		return 0, nil, err
	}
	for _, f := range []struct {
		name string
		sent bool
	}{{"device_id", req.DeviceID.Set && !req.DeviceID.Null}, {"cam", req.Cam.Set && !req.Cam.Null}, {"open", req.Open.Set && !req.Open.Null}} {
		if !f.sent {
			return 0, nil, required(f.name)
		}
	}
	trait, icon := "GET", "entrance"
	d := reconcile.Door{OpenTrait: &trait, Icon: &icon}
	if err := req.Patch(&d); err != nil {
		return 0, nil, err
	}
	if d.Icon == nil {
		d.Icon = &icon
	}
	id, uids, err := h.db.AddDoor(r.Context(), d)
	if err != nil {
		return 0, nil, err
	}
	h.touch(uids...)
	return http.StatusOK, map[string]int{"id": id}, nil
}

func (h *handler) doorsMod(r *http.Request, b body) (int, any, error) {
	req, err := decode[doorRequest](b)
	if err != nil {
		return 0, nil, err
	}
	id, err := requireID("doors_id", req.DoorsID)
	if err != nil {
		return 0, nil, err
	}
	if err := req.check(); err != nil {
		return 0, nil, err
	}
	uids, err := h.db.UpdateDoor(r.Context(), int(id), req.Patch)
	if err != nil {
		return 0, nil, err
	}
	h.touch(uids...)
	return http.StatusOK, nil, nil
}

// doorDel is the body of doors_del/.
type doorDel struct {
	DoorsID ID `json:"doors_id"`
}

func (d doorDel) id() (string, ID) { return "doors_id", d.DoorsID }

func (h *handler) doorsDel(r *http.Request, b body) (int, any, error) {
	return deleteByID[doorDel](h, r, b, h.db.DeleteDoor)
}
