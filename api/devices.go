package api

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/netip"
	"unicode/utf8"

	"yardsync/reconcile"
	"yardsync/store"
)

// typeNames are the spec's device_type texts.
var typeNames = map[int]string{reconcile.TypeCam: "cam", reconcile.TypeMewcam: "mewcam", reconcile.TypeLock: "lock"}

func typeName(t int) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprint(t)
}

// deviceOut is a devices_list row: the device with device_type as text.
type deviceOut struct {
	reconcile.Device
	TypeName string `json:"device_type"`
}

func (h *handler) devicesList(r *http.Request, b body) (int, any, error) {
	list, err := h.Store.Devices(r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := make([]deviceOut, len(list))
	for i, d := range list {
		out[i] = deviceOut{Device: d, TypeName: typeName(d.Type)}
	}
	return http.StatusOK, map[string]any{"devices": out}, nil
}

func (h *handler) devicesAdd(r *http.Request, b body) (int, any, error) {
	f, err := deviceFields(b)
	if err != nil {
		return 0, nil, err
	}
	if f["device_type"] == nil {
		return 0, nil, reconcile.Errorf(reconcile.ErrInvalid, "field \"device_type\" is required (1 cam, 2 mewcam, 3 lock)")
	}
	if u, ok := f["device_uuid"].(string); !ok || !validUUID(u) {
		f["device_uuid"] = newUUID()
	}
	id, err := h.Store.AddDevice(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]int{"device_id": id}, nil
}

func (h *handler) devicesMod(r *http.Request, b body) (int, any, error) {
	id, err := b.id("device_id")
	if err != nil {
		return 0, nil, err
	}
	f, err := deviceFields(b)
	if err != nil {
		return 0, nil, err
	}
	for _, notNull := range []string{"device_type", "device_uuid"} {
		if v, ok := f[notNull]; ok && v == nil {
			delete(f, notNull) // 'None' for a required column leaves it as it is
		}
	}
	if u, ok := f["device_uuid"].(string); ok && !validUUID(u) {
		return 0, nil, reconcile.Errorf(reconcile.ErrInvalid, "field \"device_uuid\": %q is not a UUID", u)
	}
	if err := h.Store.UpdateDevice(r.Context(), int(id), f); err != nil {
		return 0, nil, err
	}
	h.touchDevice(r, int(id))
	return http.StatusOK, nil, nil
}

func (h *handler) devicesDel(r *http.Request, b body) (int, any, error) {
	id, err := b.id("device_id")
	if err != nil {
		return 0, nil, err
	}
	uids, err := h.Store.DeleteDevice(r.Context(), int(id))
	if err != nil {
		return 0, nil, err
	}
	h.touch(uids...)
	return http.StatusOK, nil, nil
}

// touchDevice schedules targeted runs for every contract that reaches a device.
func (h *handler) touchDevice(r *http.Request, id int) {
	uids, err := h.Store.UIDsReaching(r.Context(), id)
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

// deviceFields validates every device field sent and returns the columns to write.
func deviceFields(b body) (store.Fields, error) {
	f := store.Fields{}
	steps := []func(body, store.Fields) error{
		intIn("device_type", 1, 3), textField("device_uuid", 64),
		textField("url", 64), textField("stream", 64), boolField("is_active"),
		textField("title", 64), textField("address", 110),
		floatIn("longitude", -180, 180), floatIn("latitude", -90, 90),
		intIn("record_days", 0, 36500), intIn("domophoneid", 0, 1<<31-1),
		textField("sippassword", 1024), intIn("dtmf", -1<<31, 1<<31-1), textField("camshot", 4096),
		intIn("paneltype", 1, 2), ipField("panelip"),
		textField("panellogin", 1024), textField("panelpasswd", 1024),
	}
	for _, step := range steps {
		if err := step(b, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// fieldStep builds one step of a field list: read the field if it was sent,
// check a non-null value, and record it (nil for null or 'None').
func fieldStep[T any](name string, read func(body, string) (*T, error), check func(T) error) func(body, store.Fields) error {
	return func(b body, f store.Fields) error {
		if !b.has(name) {
			return nil
		}
		v, err := read(b, name)
		if err != nil {
			return err
		}
		if v != nil && check != nil {
			if err := check(*v); err != nil {
				return reconcile.Errorf(reconcile.ErrInvalid, "field %q: %w", name, err)
			}
		}
		f[name] = nilOr(v)
		return nil
	}
}

func intIn(name string, min, max int64) func(body, store.Fields) error {
	return fieldStep(name, body.int, func(v int64) error {
		if v < min || v > max {
			return fmt.Errorf("%d is outside %d..%d", v, min, max)
		}
		return nil
	})
}

func floatIn(name string, min, max float64) func(body, store.Fields) error {
	return fieldStep(name, body.float, func(v float64) error {
		if v < min || v > max {
			return fmt.Errorf("%g is outside %g..%g", v, min, max)
		}
		return nil
	})
}

func boolField(name string) func(body, store.Fields) error {
	return fieldStep(name, body.bool, nil)
}

func textField(name string, max int) func(body, store.Fields) error {
	return fieldStep(name, body.str, func(v string) error {
		if utf8.RuneCountInString(v) > max {
			return fmt.Errorf("longer than %d characters", max)
		}
		return nil
	})
}

// ipField reads an IP address; an empty string is null.
func ipField(name string) func(body, store.Fields) error {
	blankIsNull := func(b body, name string) (*string, error) {
		v, err := b.str(name)
		if v != nil && *v == "" {
			return nil, err
		}
		return v, err
	}
	return fieldStep(name, blankIsNull, func(v string) error {
		if _, err := netip.ParseAddr(v); err != nil {
			return fmt.Errorf("%q is not an IP address", v)
		}
		return nil
	})
}

// nilOr turns a nil pointer into an untyped nil (SQL NULL) and dereferences the rest.
func nilOr[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
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
