package panels

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"yardsync/reconcile"
)

// akuvoxModel is an Akuvox model yardsync drives, as /api/system/info names it.
type akuvoxModel string

// The Akuvox models yardsync drives. The Omny VDP-10L is an S532 to
// SmartYard-Server's driver, and so to yardsync.
const (
	akuvoxE12  akuvoxModel = "E12"
	akuvoxR20A akuvoxModel = "R20A"
	akuvoxS532 akuvoxModel = "S532"
)

// akuvoxUsers is the most users each model holds (SmartYard-Server's
// getMaxUsers). Every key yardsync adds is a user of its own.
var akuvoxUsers = map[akuvoxModel]int{akuvoxE12: 1000, akuvoxR20A: 4000, akuvoxS532: 10000}

// akuvoxBatch is the most users one add sends: an S532 may freeze on more.
const akuvoxBatch = 1000

// akuvoxScheduleRelay opens relay 1 at every hour (schedule 1001), as
// SmartYard-Server's driver grants a key.
const akuvoxScheduleRelay = "1001-1;"

// S532 user names: a key is the user RFIDx<code> (named RFID), a flat the
// user FLATx<n> (named FLAT), whose AnalogNumber turns the flat's handset
// off ("9999") or on (""). yardsync adds and deletes RFID users only; call
// blocking changes a FLAT user's AnalogNumber in place (akuvox_calls.go).
const (
	akuvoxRFIDPrefix = "RFIDx"
	akuvoxRFIDName   = "RFID"
)

// akuvoxFlatUser is the UserID of flat n's user on an S532.
func akuvoxFlatUser(n int) string { return "FLATx" + strconv.Itoa(n) }

// akuvox speaks Akuvox E12, R20A and S532: JSON under /api, HTTP Digest.
// The model is probed once per panel address (GET /api/system/info) and
// kept with the panel's traits, as a Sokol's key mode is. Keys are users:
// on an E12/R20A a user holds up to 4 codes in CardCode joined by ";", on
// an S532 yardsync's keys are users RFIDx<code>. No model binds a key to a
// flat that SmartYard-Server uses, so keys are listed with
// reconcile.FlatUnlisted and yardsync's ownership record keeps the flat.
// Success is a 2xx whose retcode is 0 (or absent); anything else is a
// refusal.
type akuvox struct {
	c     *Client
	pause time.Duration // between two batches of users
	view  codeView      // the codes as last listed and written
}

func (a *akuvox) ping(ctx context.Context) (Info, error) {
	const req = "GET /api/system/info"
	var info struct {
		Status struct {
			MAC   string `json:"MAC"`
			Model string `json:"Model"`
		} `json:"Status"`
	}
	if err := a.getJSON(ctx, "/api/system/info", &info); err != nil {
		return Info{}, err
	}
	if info.Status.MAC == "" {
		return Info{}, a.c.fail(reconcile.ErrPermanent, req, "answer has no MAC")
	}
	m, ok := akuvoxModelOf(info.Status.Model)
	if !ok {
		return Info{}, a.c.fail(reconcile.ErrPermanent, req, "model %q: yardsync drives the Akuvox E12, R20A and S532", info.Status.Model)
	}
	a.c.traits.update(a.c.addr, func(t *traits) { t.akuvox = m })
	return Info{DeviceID: strings.ReplaceAll(info.Status.MAC, ":", ""), Model: info.Status.Model}, nil
}

// akuvoxModelOf names the model a system-info Model is: E12S/E12W are
// E12s, an Omny VDP-10L is an S532.
func akuvoxModelOf(model string) (akuvoxModel, bool) {
	m := strings.ToUpper(model)
	switch {
	case strings.Contains(m, "S532"), strings.Contains(m, "VDP-10L"), strings.Contains(m, "VDP10L"):
		return akuvoxS532, true
	case strings.Contains(m, "R20A"):
		return akuvoxR20A, true
	case strings.Contains(m, "E12"):
		return akuvoxE12, true
	}
	return "", false
}

// model is the panel's model, probed once per address.
func (a *akuvox) model(ctx context.Context) (akuvoxModel, error) {
	if m := a.c.traits.get(a.c.addr).akuvox; m != "" {
		return m, nil
	}
	if _, err := a.ping(ctx); err != nil {
		return "", err
	}
	return a.c.traits.get(a.c.addr).akuvox, nil
}

func (a *akuvox) finish(context.Context) error { return nil } // users are kept without a save

// getJSON reads GET path's envelope and its data into v.
func (a *akuvox) getJSON(ctx context.Context, path string, v any) error {
	return a.call(ctx, http.MethodGet, path, nil, "get", v)
}

// post sends POST /api {"target","action","data"} and reads nothing back.
func (a *akuvox) post(ctx context.Context, target, action string, data any) error {
	body, err := json.Marshal(map[string]any{"target": target, "action": action, "data": data})
	if err != nil {
		return a.c.fail(reconcile.ErrPermanent, "POST /api "+target+" "+action, "encode: %v", err)
	}
	return a.call(ctx, http.MethodPost, "/api", body, target+" "+action, nil)
}

// call sends one request and judges the envelope; out (nil: not read)
// gets its data.
func (a *akuvox) call(ctx context.Context, method, path string, body []byte, action string, out any) error {
	req := method + " " + path
	if body != nil {
		req += " " + action
	}
	ans, err := a.c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	if err := a.c.statusError(req, ans.status); err != nil {
		return err
	}
	retcode, message, hasData, derr, err := readEnvelope(ans.body, out)
	if err != nil {
		return a.c.fail(reconcile.ErrPermanent, req, "unparsable answer %s", snippet(ans.body))
	}
	if retcode != nil && *retcode != 0 {
		return a.c.refusal(req, action, message)
	}
	if out != nil && (!hasData || derr != nil) {
		return a.c.fail(reconcile.ErrPermanent, req, "unparsable data %s", snippet(ans.body))
	}
	return nil
}
