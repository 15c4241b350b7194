package reconcile

import (
	"context"
	"fmt"
	"time"
)

// Change operations and results, as the change log spells them.
const (
	OpAdd    = "add"
	OpDelete = "delete"
	OpRebind = "rebind"

	ResultOK     = "ok"
	ResultFailed = "failed"
)

// Change is one panel write, as the change log keeps it: what a support
// person asks about when a key does not open a door.
type Change struct {
	At       time.Time `json:"at"`
	RunID    int64     `json:"run_id"`
	DeviceID int       `json:"device_id"`
	Op       string    `json:"op"` // OpAdd, OpDelete or OpRebind
	Code     string    `json:"code"`
	Flat     int       `json:"flat"`
	UID      int64     `json:"uid"`
	Result   string    `json:"result"` // ResultOK or ResultFailed
	Error    string    `json:"error"`
}

// ChangeFilter selects change log entries; zero fields select everything.
type ChangeFilter struct {
	UID      int64
	DeviceID int
	Code     string // normalised
	Since    time.Time
	Limit    int // 0: the store's default
}

// PanelContact is what one run learned of one panel: whether it answered,
// and how many keys it listed (-1 when it was not read).
type PanelContact struct {
	DeviceID int
	At       time.Time
	OK       bool
	Error    string
	Keys     int
	Probe    string // the key-table probe's finding, when the run made one
	// Skipped counts the entries the listing skipped as unparseable (-1
	// when the panel was not listed or its client does not count them).
	Skipped int
}

// PanelWrite is what a run learned of one panel's writes: Error is why a
// session that wrote to it failed; empty, that a session's writes were seen
// on the panel, or that a full run found nothing to change there. A panel
// whose writes failed stays failing, whatever its reads say, until then.
type PanelWrite struct {
	DeviceID int
	Error    string
}

// PanelStatus is a panel as the operators' status views show it.
type PanelStatus struct {
	DeviceID    int        `json:"device_id"`
	Title       string     `json:"title"`
	Family      string     `json:"family"`
	IP          string     `json:"ip"`
	LastContact *time.Time `json:"last_contact"`
	LastOK      *time.Time `json:"last_ok"`
	// LastError is the last contact's error, else the error of the last
	// write session that failed and was not made good since (PanelWrite).
	LastError   string `json:"last_error"`
	Keys        *int   `json:"keys"` // what the panel last listed; null until a run read it
	ManagedKeys int    `json:"managed_keys"`
	Probe       string `json:"probe,omitempty"`
	Skipped     int    `json:"skipped"`   // entries its last listing skipped as unparseable
	PanelType   int    `json:"paneltype"` // devices.paneltype, which Families names
}

// NameFamilies sets each status's Family from fs. A paneltype fs names no
// family of is reported as such, with what to do, and never guessed.
func NameFamilies(list []PanelStatus, fs Families) {
	for i, p := range list {
		f, ok := fs.Of(p.PanelType)
		if ok {
			list[i].Family = f.String()
			continue
		}
		if name, named := fs.Named(p.PanelType); named {
			list[i].Family = name
			list[i].LastError = fmt.Sprintf("paneltype %d is %s, which yardsync does not drive yet: runs leave this device alone", p.PanelType, name)
			continue
		}
		list[i].Family = "unknown"
		list[i].LastError = fmt.Sprintf("paneltype %d names no family: runs leave this device alone; "+
			"map it in panels.families (beward, sokol, qtech, akuvox, rubetek) or fix devices.paneltype", p.PanelType)
	}
}

// Failing reports whether the panel's last contact or its writes failed, or
// it was never reached.
func (p PanelStatus) Failing() bool { return p.LastError != "" || p.LastContact == nil }

// Journal keeps the change log and the panels' status. Runs write to it in
// batches, once per panel session, so it costs no request to a panel.
type Journal interface {
	RecordChanges(ctx context.Context, changes []Change) error
	RecordPanelContacts(ctx context.Context, contacts []PanelContact) error
}

// StatusRecorder keeps each panel's whole status: its contacts and what
// became of the writes sent to it (see ContactBatch).
type StatusRecorder interface {
	ContactRecorder
	RecordPanelWrites(ctx context.Context, writes []PanelWrite) error
}
