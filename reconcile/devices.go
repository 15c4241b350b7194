package reconcile

// Device is one row of SmartYard's devices table. Nullable columns are pointers.
type Device struct {
	ID          int      `json:"device_id"`
	UUID        string   `json:"device_uuid"`
	Type        int      `json:"device_type"` // an id of the types table; only TypeCam and TypeMewcam can be panels
	URL         *string  `json:"url"`
	Stream      *string  `json:"stream"`
	IsActive    *bool    `json:"is_active"`
	Title       *string  `json:"title"`
	Address     *string  `json:"address"`
	Longitude   *float64 `json:"longitude"`
	Latitude    *float64 `json:"latitude"`
	RecordDays  *int     `json:"record_days"`
	DomophoneID *int     `json:"domophoneid"`
	MonitorID   *int     `json:"monitorid"` // the reference server's monitor device (type 5 and up)
	SIPPassword *string  `json:"sippassword"`
	DTMF        *int     `json:"dtmf"`
	Camshot     *string  `json:"camshot"`
	PanelType   *int     `json:"paneltype"`
	PanelIP     *string  `json:"panelip"`
	PanelLogin  *string  `json:"panellogin"`
	PanelPasswd *string  `json:"panelpasswd"`
}

// Panel is PanelIn with the default families.
func (d Device) Panel() (PanelDevice, bool) { return d.PanelIn(nil) }

// PanelIn reports whether the device is an intercom panel the reconciler
// drives: an active camera (type 1 or 2) with an address whose paneltype
// names a family of fs. The PanelDevice carries that family.
func (d Device) PanelIn(fs Families) (PanelDevice, bool) {
	if !d.panelShaped() {
		return PanelDevice{}, false
	}
	f, ok := fs.Of(*d.PanelType)
	if !ok {
		return PanelDevice{}, false
	}
	return PanelDevice{ID: d.ID, Family: int(f), IP: *d.PanelIP, Login: deref(d.PanelLogin), Password: deref(d.PanelPasswd)}, true
}

// UnknownFamily reports whether the device would be a panel but for its
// paneltype, which names no family of fs: check, panels and the status
// page name it; runs leave it alone.
func (d Device) UnknownFamily(fs Families) bool {
	if !d.panelShaped() {
		return false
	}
	_, ok := fs.Of(*d.PanelType)
	return !ok
}

// panelShaped: an active camera with a paneltype and an address.
func (d Device) panelShaped() bool {
	if d.Type != TypeCam && d.Type != TypeMewcam {
		return false
	}
	return d.IsActive != nil && *d.IsActive && d.PanelType != nil && d.PanelIP != nil && *d.PanelIP != ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Door is one row of SmartYard's doors table: a lock (DeviceID) seen by a camera (Cam).
type Door struct {
	ID        int     `json:"id"`
	DeviceID  int     `json:"device_id"`
	Cam       int     `json:"cam"`
	Entrance  *int    `json:"entrance"`
	Icon      *string `json:"icon"`
	Name      *string `json:"name"`
	Open      string  `json:"open"`
	OpenTrait *string `json:"open_trait"`
}

// Access states of a (uid, device) pair, as SmartYard's isActiv reads them.
const (
	AccessNone   = 0 // not connected
	AccessUnpaid = 1 // connected but not paid
	AccessPaid   = 2
)
