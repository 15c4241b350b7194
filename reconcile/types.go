package reconcile

import (
	"context"
	"strconv"
)

// Device types as SmartYard numbers them.
const (
	TypeCam    = 1
	TypeMewcam = 2
	TypeLock   = 3
)

// Panel families. A PanelDevice carries one of these, whatever paneltype
// number the devices row has: Families maps paneltype to a family name.
// They are also the default paneltypes of each family.
const (
	PanelBeward  = 1
	PanelSokol   = 2
	PanelQtech   = 11
	PanelAkuvox  = 12
	PanelRubetek = 13
)

// familyNames names every family yardsync drives.
var familyNames = map[Family]string{PanelBeward: "beward", PanelSokol: "sokol", PanelQtech: "qtech",
	PanelAkuvox: "akuvox", PanelRubetek: "rubetek"}

// Family is a panel family, named by String the same way in plans, panel
// errors and metric labels.
type Family int

// String names the family: beward, sokol, qtech, akuvox, rubetek, or
// family-N for an unknown N.
func (f Family) String() string {
	if name, ok := familyNames[f]; ok {
		return name
	}
	return "family-" + strconv.Itoa(int(f))
}

// ParseFamily returns the family of a name String gives.
func ParseFamily(name string) (Family, bool) {
	for f, n := range familyNames {
		if n == name {
			return f, true
		}
	}
	return 0, false
}

// Families maps devices.paneltype to a family name (panels.families). A nil
// Families is DefaultFamilies.
type Families map[int]string

// DefaultFamilies is SmartYard's 1 and 2 and yardsync's own numbers for
// the families SmartYard does not number.
func DefaultFamilies() Families {
	return Families{1: "beward", 2: "sokol", 11: "qtech", 12: "akuvox", 13: "rubetek"}
}

// undriven are the families named in config whose driver is not written
// yet: their devices are reported (check, panels, the status page) and
// left alone by runs, like an unknown paneltype, never failed run after run.
// Every named family is driven today; the set stays for the next one.
var undriven = map[Family]bool{}

// Of returns the family paneltype names; false when it names none, or a
// family yardsync does not drive yet, which is never guessed.
func (fs Families) Of(paneltype int) (Family, bool) {
	if fs == nil {
		fs = DefaultFamilies()
	}
	name, ok := fs[paneltype]
	if !ok {
		return 0, false
	}
	f, ok := ParseFamily(name)
	return f, ok && !undriven[f]
}

// Named returns the family name paneltype is mapped to, driven or not.
func (fs Families) Named(paneltype int) (string, bool) {
	if fs == nil {
		fs = DefaultFamilies()
	}
	name, ok := fs[paneltype]
	return name, ok
}

// Contract is one billing contract as the snapshot query reads it.
type Contract struct {
	UID      int64  `json:"uid"`
	Flat     string `json:"flat"`      // raw billing text; see FlatNumber
	CamsOpen bool   `json:"cams_open"` // intercom+video service assigned
	CamsPaid bool   `json:"cams_paid"` // and paid
}

// Active reports whether the contract should have door access.
func (c Contract) Active() bool { return c.CamsOpen && c.CamsPaid }

// CamsState is camsActiv(uid) of the specification.
type CamsState struct {
	CamsOpen bool `json:"cams_open"`
	CamsPaid bool `json:"cams_paid"`
}

// BillingRow is one billingList(phone) row, with the specification's field names.
type BillingRow struct {
	Login        string  `json:"login"`
	Address      string  `json:"address"`
	Internet     float64 `json:"internet"`
	InternetData string  `json:"internetdata"`
	TV           float64 `json:"tv"`
	TVData       string  `json:"tvdata"`
	Phone        float64 `json:"phone"`
	PhoneData    string  `json:"phonedata"`
	Cams         float64 `json:"cams"`
	CamsData     string  `json:"camsdata"`
	CamsName     string  `json:"camsname"`
	Balans       float64 `json:"balans"`
	Payment      float64 `json:"payment"`
	Invoice      bool    `json:"invoice"`
	Detail       bool    `json:"detail"`
	Receipt      bool    `json:"receipt"`
}

// Billing is what the reconciler reads from the provider's billing: every
// contract in one query.
type Billing interface {
	// Snapshot returns a new slice every call: the caller owns it and may
	// reorder it.
	Snapshot(ctx context.Context) ([]Contract, error)
}

// PanelKey is one RFID key on a panel, bound to a flat.
type PanelKey struct {
	// Code is normalised (upper-case hex, 14 characters) in what yardsync
	// pushes; a key read from a panel carries the code as the panel listed it.
	Code string `json:"code"`
	Flat int    `json:"flat"` // FlatUnlisted when the panel lists no flat for it
}

// FlatUnlisted is the flat of a key read from a panel whose firmware lists
// no flat for it (Beward without Apartment<n> lines). The flat yardsync
// recorded when it pushed the key stands in for the panel's answer, or
// such a key would look misbound, and be rebound, on every run.
const FlatUnlisted = -1

// PanelDevice is what a panel client is built from: a devices row.
type PanelDevice struct {
	ID       int    `json:"device_id"`
	Family   int    `json:"paneltype"` // the family (PanelBeward...), not the row's paneltype number
	IP       string `json:"panelip"`
	Login    string `json:"-"`
	Password string `json:"-"`
}

// Panel is one intercom panel as the reconciler drives it. A client makes one
// request at a time and never retries; errors wrap ErrTransient or ErrPermanent.
type Panel interface {
	// ListKeys reads every key the panel holds.
	ListKeys(ctx context.Context) ([]PanelKey, error)
	// AddKeys adds keys, or rebinds them when the code is already there.
	AddKeys(ctx context.Context, keys []PanelKey) error
	// DeleteKey removes one key by code.
	DeleteKey(ctx context.Context, code string) error
	// Finish ends a session of writes (Beward saves its config to flash).
	Finish(ctx context.Context) error
}

// PanelDialer builds a Panel client for a device.
type PanelDialer func(d PanelDevice) (Panel, error)
