package api

import (
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strings"
	"unicode/utf8"

	"yardsync/reconcile"
)

// deviceRequest is the body of devices_add and devices_mod: every field
// absent (left as it is), null or 'None' (NULL), or a value.
type deviceRequest struct {
	DeviceID    ID             `json:"device_id"`
	DeviceType  Field[int64]   `json:"device_type"`
	DeviceUUID  Field[string]  `json:"device_uuid"`
	URL         Field[string]  `json:"url"`
	Stream      Field[string]  `json:"stream"`
	IsActive    Field[bool]    `json:"is_active"`
	Title       Field[string]  `json:"title"`
	Address     Field[string]  `json:"address"`
	Longitude   Field[float64] `json:"longitude"`
	Latitude    Field[float64] `json:"latitude"`
	RecordDays  Field[int64]   `json:"record_days"`
	DomophoneID Field[int64]   `json:"domophoneid"`
	MonitorID   Field[int64]   `json:"monitorid"`
	SIPPassword Field[string]  `json:"sippassword"`
	DTMF        Field[int64]   `json:"dtmf"`
	Camshot     Field[string]  `json:"camshot"`
	PanelType   Field[int64]   `json:"paneltype"`
	PanelIP     Field[string]  `json:"panelip"`
	PanelLogin  Field[string]  `json:"panellogin"`
	PanelPasswd Field[string]  `json:"panelpasswd"`
}

// check validates every value sent, in the order the API always checked them.
func (r deviceRequest) check() error {
	return firstErr(
		intIn("device_type", r.DeviceType, 1, math.MaxInt32), textMax("device_uuid", r.DeviceUUID, 64),
		textMax("url", r.URL, 64), textMax("stream", r.Stream, 64),
		textMax("title", r.Title, 64), textMax("address", r.Address, 110),
		coordinate("longitude", r.Longitude, 180), coordinate("latitude", r.Latitude, 90),
		intIn("record_days", r.RecordDays, 0, 36500), intIn("domophoneid", r.DomophoneID, 0, math.MaxInt32),
		intIn("monitorid", r.MonitorID, 0, math.MaxInt32),
		textMax("sippassword", r.SIPPassword, 1024), intIn("dtmf", r.DTMF, math.MinInt32, math.MaxInt32),
		textMax("camshot", r.Camshot, 4096), intIn("paneltype", r.PanelType, 1, math.MaxInt32), ipAddr("panelip", r.PanelIP),
		textMax("panellogin", r.PanelLogin, 1024), textMax("panelpasswd", r.PanelPasswd, 1024),
	)
}

// Patch validates the request and applies it to d: the device as stored for
// devices_mod, a new one for devices_add. 'None' for a column that cannot be
// NULL (device_type, device_uuid) leaves it as it is.
func (r deviceRequest) Patch(d *reconcile.Device) error {
	if err := r.check(); err != nil {
		return err
	}
	if v, ok := r.DeviceType.value(); ok {
		d.Type = int(v)
	}
	if v, ok := r.DeviceUUID.value(); ok {
		d.UUID = v
	}
	setPtr(&d.URL, r.URL)
	setPtr(&d.Stream, r.Stream)
	setPtr(&d.IsActive, r.IsActive)
	setPtr(&d.Title, r.Title)
	setPtr(&d.Address, r.Address)
	setPtr(&d.Longitude, r.Longitude)
	setPtr(&d.Latitude, r.Latitude)
	setInt(&d.RecordDays, r.RecordDays)
	setInt(&d.DomophoneID, r.DomophoneID)
	setInt(&d.MonitorID, r.MonitorID)
	setPtr(&d.SIPPassword, r.SIPPassword)
	setInt(&d.DTMF, r.DTMF)
	setPtr(&d.Camshot, r.Camshot)
	setInt(&d.PanelType, r.PanelType)
	setPtr(&d.PanelIP, blankIsNull(r.PanelIP))
	setPtr(&d.PanelLogin, r.PanelLogin)
	setPtr(&d.PanelPasswd, r.PanelPasswd)
	return nil
}

// setPtr writes a sent field to a nullable column: NULL for null or 'None'.
func setPtr[T int64 | float64 | bool | string](dst **T, f Field[T]) {
	if !f.Set {
		return
	}
	if f.Null {
		*dst = nil
		return
	}
	v := f.Value
	*dst = &v
}

// setInt is setPtr for integer columns held as int (checked to fit before).
func setInt(dst **int, f Field[int64]) {
	if !f.Set {
		return
	}
	if f.Null {
		*dst = nil
		return
	}
	v := int(f.Value)
	*dst = &v
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func invalid(name string, format string, args ...any) error {
	return reconcile.Errorf(reconcile.ErrInvalid, "field %q: %s", name, fmt.Sprintf(format, args...))
}

func intIn(name string, f Field[int64], min, max int64) error {
	if v, ok := f.value(); ok && (v < min || v > max) {
		return invalid(name, "%d is outside %d..%d", v, min, max)
	}
	return nil
}

func textMax(name string, f Field[string], max int) error {
	if v, ok := f.value(); ok && utf8.RuneCountInString(v) > max {
		return invalid(name, "longer than %d characters", max)
	}
	return nil
}

// coordinate checks a longitude or latitude. SmartYard's columns are
// numeric(16,14): they hold less than 100 in magnitude, so a longitude east
// of 100° (or west of -100°) cannot be stored, however valid, and is refused
// here with that reason instead of failing in the database.
func coordinate(name string, f Field[float64], limit float64) error {
	v, ok := f.value()
	if !ok {
		return nil
	}
	if v < -limit || v > limit {
		return invalid(name, "%g is outside %g..%g", v, -limit, limit)
	}
	if math.Abs(v) >= 100-5e-15 {
		return invalid(name, "%g cannot be stored: SmartYard's column is numeric(16,14), less than 100 in magnitude", v)
	}
	return nil
}

// blankIsNull reads an empty string as null (panelip "").
func blankIsNull(f Field[string]) Field[string] {
	if f.Set && !f.Null && f.Value == "" {
		return Field[string]{Set: true, Null: true}
	}
	return f
}

func ipAddr(name string, f Field[string]) error {
	v, ok := blankIsNull(f).value()
	if !ok {
		return nil
	}
	if _, err := netip.ParseAddr(v); err != nil {
		return invalid(name, "%q is not an IP address", v)
	}
	return nil
}

// panelTypeNamed refuses a paneltype that fams (panels.families, nil: the
// defaults) does not name: a device of it would never be reconciled.
func panelTypeNamed(f Field[int64], fams reconcile.Families) error {
	v, ok := f.value()
	if !ok {
		return nil
	}
	if _, named := fams.Named(int(v)); named {
		return nil
	}
	if fams == nil {
		fams = reconcile.DefaultFamilies()
	}
	var names []string
	for _, pt := range slices.Sorted(maps.Keys(fams)) {
		names = append(names, fmt.Sprintf("%d %s", pt, fams[pt]))
	}
	return invalid("paneltype", "%d names no family of panels.families (%s)", v, strings.Join(names, ", "))
}
