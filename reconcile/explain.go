package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Explanation says why a contract has or lacks door access, panel by panel:
// what a support person needs when "my key doesn't open the door".
type Explanation struct {
	UID     int64            `json:"uid"`
	Billing ExplainedBilling `json:"billing"`
	Active  bool             `json:"active"`
	Reason  string           `json:"reason"`
	Panels  []ExplainedPanel `json:"panels"`
	// ReasonCode and ReasonArgs are Reason for a reader that says it in
	// another language (the status page in Russian): one of the Reason*
	// codes and the numbers the sentence names.
	ReasonCode string     `json:"reason_code"`
	ReasonArgs ReasonArgs `json:"reason_args"`
}

// Reason codes of an Explanation, one per verdict sentence.
const (
	ReasonNoContract = "no_contract" // the billing has no such contract
	ReasonConflict   = "conflict"    // several billing rows (Rows)
	ReasonNoService  = "no_service"  // no intercom service
	ReasonNotPaid    = "not_paid"    // the service is not paid
	ReasonBadFlat    = "bad_flat"    // paid, but Flat is no flat number
	ReasonNoKeys     = "no_keys"     // paid, but SmartYard holds no keys
	ReasonNoPanels   = "no_panels"   // paid, but its rights reach no panel
	ReasonPaid       = "paid"        // paid: Keys keys on Panels panels as Flat
)

// ReasonArgs are the numbers a verdict names. StillOn, when above zero,
// adds that many unwanted keys still on the panels, held there by the guard
// of run HeldRun when Guard is set.
type ReasonArgs struct {
	Rows    int    `json:"rows,omitempty"`
	Keys    int    `json:"keys,omitempty"`
	Panels  int    `json:"panels,omitempty"`
	Flat    string `json:"flat,omitempty"`
	StillOn int    `json:"still_on,omitempty"`
	HeldRun int64  `json:"held_run,omitempty"`
	Guard   *Guard `json:"guard,omitempty"`
}

// ExplainedBilling is the contract's billing row as the snapshot reads it.
type ExplainedBilling struct {
	Found    bool   `json:"found"`
	CamsOpen bool   `json:"cams_open"`
	CamsPaid bool   `json:"cams_paid"`
	Flat     string `json:"flat"`
}

// ExplainedPanel is one panel the contract reaches, or holds keys of it.
type ExplainedPanel struct {
	DeviceID int            `json:"device_id"`
	Title    string         `json:"title"`
	Via      string         `json:"via"`             // "right", "door N", or "owned" (keys left from an earlier reach)
	Error    string         `json:"error,omitempty"` // why the panel could not be read
	Keys     []ExplainedKey `json:"keys"`
	// Calls is the contract's flat's calls there, when its flat is usable
	// and its contract connected (reconcile.block_calls).
	Calls *ExplainedCalls `json:"calls,omitempty"`
}

// ExplainedKey is one of the contract's keys on one panel.
type ExplainedKey struct {
	Code    string  `json:"code"`
	Wanted  bool    `json:"wanted"`
	OnPanel *bool   `json:"on_panel"` // null: the panel could not be read
	Owned   bool    `json:"owned"`
	Flat    *int    `json:"flat_on_panel,omitempty"`
	Last    *Change `json:"last_change,omitempty"`
}

// ChangeReader reads the change log.
type ChangeReader interface {
	Changes(ctx context.Context, f ChangeFilter) ([]Change, error)
}

// ExplainTimeout bounds each live panel read of an explanation.
const ExplainTimeout = 3 * time.Second

// Explain reads what a targeted run of uid would read, lists the keys live
// on each panel (with a short timeout; an unreachable panel is said so),
// and adds the last change the log holds for each key there. It writes
// nothing anywhere.
func (r *Runner) Explain(ctx context.Context, uid int64, log ChangeReader) (Explanation, error) {
	if uid <= 0 {
		return Explanation{}, Errorf(ErrInvalid, "uid %d is not a positive contract uid", uid)
	}
	o, err := r.observe(ctx, Request{UIDs: []int64{uid}, Named: true})
	if err != nil {
		return Explanation{}, err
	}
	in, owned := o.in, o.owned
	desired := Desire(in)
	ex := Explanation{UID: uid, Panels: []ExplainedPanel{}}
	ex.Billing, ex.Active, ex.ReasonCode, ex.ReasonArgs = verdict(uid, in, desired)
	ex.Reason = reasonText(uid, ex.ReasonCode, ex.ReasonArgs)
	for _, id := range explainedPanels(uid, desired, owned) {
		ex.Panels = append(ex.Panels, explainPanel(uid, desired.Panels[id], in, desired, owned))
	}
	if err := r.explainCalls(ctx, uid, ex.Panels, in, desired); err != nil {
		return ex, err
	}
	r.look().readLive(ctx, ex.Panels, desired)
	if log != nil {
		if err := lastChanges(ctx, log, ex.Panels); err != nil {
			return ex, err
		}
	}
	err = stillOn(ctx, &ex, log)
	ex.Reason = reasonText(uid, ex.ReasonCode, ex.ReasonArgs)
	return ex, err
}

// HeldReader finds the newest run the guard held that would have revoked a
// contract, unless a later full run went through (store.DB).
type HeldReader interface {
	HeldFor(ctx context.Context, uid int64) (runID int64, g *Guard, err error)
}

// stillOn adds to the reason of a contract without access what is still on
// the panels: its unwanted keys are never said to be removed while a panel
// holds them, and a guard holding them is named with its numbers.
func stillOn(ctx context.Context, ex *Explanation, log ChangeReader) error {
	n := 0
	for _, p := range ex.Panels {
		for _, k := range p.Keys {
			if !k.Wanted && k.OnPanel != nil && *k.OnPanel {
				n++
			}
		}
	}
	if n == 0 {
		return nil
	}
	ex.ReasonArgs.StillOn = n
	if hr, ok := log.(HeldReader); ok {
		id, g, err := hr.HeldFor(ctx, ex.UID)
		if err != nil {
			return err
		}
		ex.ReasonArgs.HeldRun, ex.ReasonArgs.Guard = id, g
	}
	return nil
}

// verdict reads the billing row and says with a reason code what follows from it.
func verdict(uid int64, in Inputs, d Desired) (ExplainedBilling, bool, string, ReasonArgs) {
	var rows []Contract
	for _, c := range in.Contracts {
		if c.UID == uid {
			rows = append(rows, c)
		}
	}
	if len(rows) == 0 {
		return ExplainedBilling{}, false, ReasonNoContract, ReasonArgs{}
	}
	c := rows[0]
	b := ExplainedBilling{Found: true, CamsOpen: c.CamsOpen, CamsPaid: c.CamsPaid, Flat: c.Flat}
	nkeys, npanels := len(d.Codes[uid]), len(d.Reach(uid))
	switch {
	case len(rows) > 1:
		return b, false, ReasonConflict, ReasonArgs{Rows: len(rows)}
	case !c.CamsOpen:
		return b, false, ReasonNoService, ReasonArgs{}
	case !c.CamsPaid:
		return b, false, ReasonNotPaid, ReasonArgs{}
	}
	if _, ok := FlatNumber(c.Flat); !ok {
		return b, false, ReasonBadFlat, ReasonArgs{Flat: c.Flat}
	}
	switch {
	case nkeys == 0:
		return b, true, ReasonNoKeys, ReasonArgs{}
	case npanels == 0:
		return b, true, ReasonNoPanels, ReasonArgs{}
	}
	return b, true, ReasonPaid, ReasonArgs{Keys: nkeys, Panels: npanels, Flat: c.Flat}
}

// reasonText says a verdict in English, with what is still on the panels.
func reasonText(uid int64, code string, a ReasonArgs) string {
	var s string
	switch code {
	case ReasonNoContract:
		s = fmt.Sprintf("The billing has no contract %d, so it gets no keys.", uid)
	case ReasonConflict:
		s = fmt.Sprintf("The billing returns %d rows for contract %d: a conflict, so yardsync leaves its panels as they are until the billing is fixed.", a.Rows, uid)
	case ReasonNoService:
		s = fmt.Sprintf("Contract %d does not have the intercom service in the billing, so its keys come off the panels.", uid)
	case ReasonNotPaid:
		s = fmt.Sprintf("Contract %d has the intercom service but has not paid for it, so its keys come off the panels.", uid)
	case ReasonBadFlat:
		s = fmt.Sprintf("Contract %d has paid, but its flat %q is not a number from 1 to 9999, so it gets no keys until the billing is fixed.", uid, a.Flat)
	case ReasonNoKeys:
		s = fmt.Sprintf("Contract %d has paid, but SmartYard holds no keys for it (keys_add).", uid)
	case ReasonNoPanels:
		s = fmt.Sprintf("Contract %d has paid, but its rights reach no active panel (rights_add, or a door whose cam is a panel).", uid)
	default:
		s = fmt.Sprintf("Contract %d has paid: its %d key(s) belong on %d panel(s) as flat %s.", uid, a.Keys, a.Panels, a.Flat)
	}
	switch {
	case a.StillOn > 0 && a.Guard != nil:
		s += fmt.Sprintf(" %d of its keys are still on the panels, held by the guard: run %d %s. They come off at the next run that reads the billing right, or with `yardsync reconcile --force`.", a.StillOn, a.HeldRun, a.Guard)
	case a.StillOn > 0:
		s += fmt.Sprintf(" %d of its keys are still on the panels: the next run takes them off.", a.StillOn)
	}
	return s
}

// explainedPanels lists the panels the contract reaches and those holding keys it owns.
func explainedPanels(uid int64, d Desired, owned []OwnedKey) []int {
	ids := slices.Clone(d.Reach(uid))
	for _, o := range owned {
		if _, ok := d.Panels[o.DeviceID]; ok && o.UID == uid {
			ids = append(ids, o.DeviceID)
		}
	}
	return uniqueSorted(ids)
}

func explainPanel(uid int64, p PanelDevice, in Inputs, d Desired, owned []OwnedKey) ExplainedPanel {
	ep := ExplainedPanel{DeviceID: p.ID, Title: deviceTitle(in.Devices, p.ID), Via: via(uid, p.ID, in)}
	codes := slices.Clone(d.Codes[uid])
	own := map[string]bool{}
	for _, o := range owned {
		if o.DeviceID == p.ID && o.UID == uid {
			own[o.Code] = true
			codes = append(codes, o.Code)
		}
	}
	for _, code := range uniqueSorted(codes) {
		g, ok := d.Keys[p.ID][code]
		ep.Keys = append(ep.Keys, ExplainedKey{Code: code, Wanted: ok && g.UID == uid, Owned: own[code]})
	}
	return ep
}

// via says how the contract reaches the panel: its own right, a door of a
// lock in its rights, or not any more (keys it owns are still there).
func via(uid int64, panel int, in Inputs) string {
	rights := in.Rights[uid]
	if slices.Contains(rights, panel) {
		return "right"
	}
	for _, door := range in.Doors {
		if door.Cam == panel && slices.Contains(rights, door.DeviceID) {
			return "door " + strconv.Itoa(door.ID)
		}
	}
	return "owned"
}

func deviceTitle(devices []Device, id int) string {
	for _, dev := range devices {
		if dev.ID == id && dev.Title != nil {
			return *dev.Title
		}
	}
	return ""
}

// look is the state of a look at panels that writes nothing (explain, a
// panel's page): no run id, no change log, no drain signal.
func (r *Runner) look() *run { return r.newRun(Request{DryRun: true}, 0) }

// readLive lists each panel's keys at once (see listLive).
func (r *run) readLive(ctx context.Context, panels []ExplainedPanel, d Desired) {
	devs := make([]PanelDevice, 0, len(panels))
	at := map[int]*ExplainedPanel{}
	for i := range panels {
		devs = append(devs, d.Panels[panels[i].DeviceID])
		at[panels[i].DeviceID] = &panels[i]
	}
	r.listLive(ctx, devs, func(id int, keys []PanelKey, err error) { markLive(at[id], keys, err) })
}

// ListPanel reads one panel's keys live, as listLive does: for a page that
// shows what a panel holds.
func (r *Runner) ListPanel(ctx context.Context, dev PanelDevice) ([]PanelKey, error) {
	var keys []PanelKey
	err := errors.New("panel not read")
	r.look().listLive(ctx, []PanelDevice{dev}, func(_ int, k []PanelKey, e error) { keys, err = k, e })
	return keys, err
}

// listLive lists the panels' keys at once, each under the panel's lease as
// a run reads it, and hands each outcome to done: a look never talks to a
// panel another run is working on (it says who holds it instead). It waits
// up to ExplainTimeout for the leases, then up to as long for each list.
func (r *run) listLive(ctx context.Context, devs []PanelDevice, done func(id int, keys []PanelKey, err error)) {
	ctx, cancel := context.WithTimeout(ctx, 2*ExplainTimeout)
	defer cancel()
	l := r.newLeases(0, nil)
	l.wait = ExplainTimeout
	l.start(ctx)
	defer l.close(context.WithoutCancel(ctx))
	ids, byID := devicesOf(devs)
	l.each(ctx, ids, len(ids), false, func(g grant) {
		if g.err != nil {
			done(g.id, nil, g.err)
			return
		}
		defer l.release(g.id)
		ctx, cancel := context.WithTimeout(ctx, ExplainTimeout)
		defer cancel()
		keys, err := r.listOnce(ctx, l, byID[g.id])
		done(g.id, keys, err)
	})
}

func (r *Runner) listOnce(ctx context.Context, l *leases, dev PanelDevice) ([]PanelKey, error) {
	p, err := r.Dial(dev)
	if err != nil {
		return nil, err
	}
	return (&leasedPanel{p: p, id: dev.ID, l: l}).ListKeys(ctx)
}

func markLive(ep *ExplainedPanel, keys []PanelKey, err error) {
	if err != nil {
		ep.Error = err.Error()
		return
	}
	flats := map[string]int{}
	for _, k := range keys {
		flats[panelCode(k.Code)] = k.Flat // the panel may list 0a1b2c3d4e for 00000A1B2C3D4E
	}
	for i := range ep.Keys {
		flat, on := flats[ep.Keys[i].Code]
		ep.Keys[i].OnPanel = &on
		if on && flat != FlatUnlisted { // a panel that lists no flats says nothing of it
			ep.Keys[i].Flat = &flat
		}
	}
}

// lastChanges adds the newest change log entry of each key on each panel.
func lastChanges(ctx context.Context, log ChangeReader, panels []ExplainedPanel) error {
	for i := range panels {
		for j := range panels[i].Keys {
			k := &panels[i].Keys[j]
			got, err := log.Changes(ctx, ChangeFilter{DeviceID: panels[i].DeviceID, Code: k.Code, Limit: 1})
			if err != nil {
				return err
			}
			if len(got) > 0 {
				k.Last = &got[0]
			}
		}
	}
	return nil
}
