package api

import (
	"net/http"
	"strings"

	"yardsync/reconcile"
	"yardsync/store"
)

var icons = map[string]bool{"entrance": true, "wicket": true, "gate": true}

func (h *handler) doorsList(r *http.Request, b body) (int, any, error) {
	list, err := h.Store.Doors(r.Context())
	if err != nil {
		return 0, nil, err
	}
	if list == nil {
		list = []reconcile.Door{}
	}
	return http.StatusOK, map[string]any{"doors": list}, nil
}

func (h *handler) doorsAdd(r *http.Request, b body) (int, any, error) {
	f, err := doorFields(b)
	if err != nil {
		return 0, nil, err
	}
	for _, name := range []string{"device_id", "cam", "open"} {
		if f[name] == nil {
			return 0, nil, reconcile.Errorf(reconcile.ErrInvalid, "field %q is required", name)
		}
	}
	if f["open_trait"] == nil {
		f["open_trait"] = "GET"
	}
	if f["icon"] == nil {
		f["icon"] = "entrance"
	}
	id, uids, err := h.Store.AddDoor(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	h.touch(uids...)
	return http.StatusOK, map[string]int{"id": id}, nil
}

func (h *handler) doorsMod(r *http.Request, b body) (int, any, error) {
	id, err := b.id("doors_id")
	if err != nil {
		return 0, nil, err
	}
	f, err := doorFields(b)
	if err != nil {
		return 0, nil, err
	}
	for _, notNull := range []string{"device_id", "cam", "open"} {
		if v, ok := f[notNull]; ok && v == nil {
			delete(f, notNull)
		}
	}
	if v, ok := f["open_trait"]; ok && v == nil {
		f["open_trait"] = "GET"
	}
	uids, err := h.Store.UpdateDoor(r.Context(), int(id), f)
	if err != nil {
		return 0, nil, err
	}
	h.touch(uids...)
	return http.StatusOK, nil, nil
}

func (h *handler) doorsDel(r *http.Request, b body) (int, any, error) {
	id, err := b.id("doors_id")
	if err != nil {
		return 0, nil, err
	}
	uids, err := h.Store.DeleteDoor(r.Context(), int(id))
	if err != nil {
		return 0, nil, err
	}
	h.touch(uids...)
	return http.StatusOK, nil, nil
}

func doorFields(b body) (store.Fields, error) {
	f := store.Fields{}
	steps := []func(body, store.Fields) error{
		intIn("device_id", 1, 1<<31-1), intIn("cam", 1, 1<<31-1), intIn("entrance", 0, 1<<31-1),
		textField("icon", 14), textField("name", 1024), textField("open", 128), textField("open_trait", 16),
	}
	for _, step := range steps {
		if err := step(b, f); err != nil {
			return nil, err
		}
	}
	if icon, ok := f["icon"].(string); ok && !icons[icon] {
		return nil, reconcile.Errorf(reconcile.ErrInvalid, "field \"icon\": %q is not one of entrance, wicket, gate", icon)
	}
	if trait, ok := f["open_trait"].(string); ok {
		trait = strings.ToUpper(trait)
		switch trait {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
			f["open_trait"] = trait
		default:
			return nil, reconcile.Errorf(reconcile.ErrInvalid, "field \"open_trait\": %q is not an HTTP method", trait)
		}
	}
	return f, nil
}
