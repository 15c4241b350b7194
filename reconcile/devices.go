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

// Panel reports whether the device is an intercom panel the reconciler
// drives: an active camera (type 1 or 2) of a known family with an address.
func (d Device) Panel() (PanelDevice, bool) {
	if d.Type != TypeCam && d.Type != TypeMewcam {
		return PanelDevice{}, false
	}
	if d.IsActive == nil || !*d.IsActive || d.PanelType == nil || d.PanelIP == nil || *d.PanelIP == "" {
		return PanelDevice{}, false
	}
	if *d.PanelType != PanelBeward && *d.PanelType != PanelSokol {
		return PanelDevice{}, false
	}
	return PanelDevice{ID: d.ID, Family: *d.PanelType, IP: *d.PanelIP, Login: deref(d.PanelLogin), Password: deref(d.PanelPasswd)}, true
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
