package panels

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"yardsync/reconcile"
)

// qtech speaks Qtech QDB-27C-H: every call is POST /api with a JSON
// envelope {"target","action","session","data"}. Keys are not bound to a
// flat: they are listed with reconcile.FlatUnlisted and yardsync's
// ownership record keeps the flat. SmartYard-Server's driver checks no
// answer; yardsync takes a 2xx with a JSON object whose retcode is 0 (or
// absent) as success, and anything else as a refusal.
type qtech struct {
	c    *Client
	view codeView // the codes as last listed and written
}

// qtechKey is one listed key; other fields (name, days, doors) are left unread.
type qtechKey struct {
	Code lenientString `json:"code"`
}

// qtechEntry is one member of a listing's data: a key object, or anything
// else (the "num" count, another system's entry) that reads as no key. It
// decodes in the listing's one pass, so one odd member never fails the
// listing.
type qtechEntry struct {
	code string
	read bool // an object with a code
}

func (e *qtechEntry) UnmarshalJSON(b []byte) error {
	var k qtechKey
	if len(b) > 0 && b[0] == '{' && json.Unmarshal(b, &k) == nil {
		e.code, e.read = string(k.Code), true
	}
	return nil
}

func (q *qtech) ping(ctx context.Context) (Info, error) {
	var st struct {
		MAC   string `json:"mac"`
		Model string `json:"model"`
	}
	if err := q.call(ctx, "firmware", "status", struct{}{}, &st); err != nil {
		return Info{}, err
	}
	if st.MAC == "" {
		return Info{}, q.c.fail(reconcile.ErrPermanent, "POST /api firmware status", "answer has no mac")
	}
	return Info{DeviceID: strings.ReplaceAll(st.MAC, ":", ""), Model: st.Model}, nil
}

// listKeys reads the table, {"num": N, "0": {"code"}, "1": ...}. An entry
// whose code is no hex is another system's: skipped and counted.
func (q *qtech) listKeys(ctx context.Context) ([]reconcile.PanelKey, error) {
	var table map[string]qtechEntry
	if err := q.call(ctx, "rfkey", "get", struct{}{}, &table); err != nil {
		return nil, err
	}
	if table == nil {
		return nil, q.c.fail(reconcile.ErrPermanent, "POST /api rfkey get", "answer has no key table")
	}
	keys := make([]reconcile.PanelKey, 0, len(table))
	skipped := 0
	for name, k := range table {
		if name == "num" {
			continue
		}
		if !k.read || !hexCode(k.code) {
			skipped++
			continue
		}
		keys = append(keys, reconcile.PanelKey{Code: k.code, Flat: reconcile.FlatUnlisted})
	}
	q.c.skipped.Store(int64(skipped))
	q.view.listed(keys)
	return keys, nil
}

// qtechAdd is an add's data: every day, door 1, as SmartYard-Server sends it.
type qtechAdd struct {
	Name       string `json:"name"`
	Code       string `json:"code"`
	Mon        int    `json:"mon"`
	Tue        int    `json:"tue"`
	Wed        int    `json:"wed"`
	Thur       int    `json:"thur"`
	Fri        int    `json:"fri"`
	Sat        int    `json:"sat"`
	Sun        int    `json:"sun"`
	DoorNum    int    `json:"door_num"`
	WiegandNum int    `json:"door_wiegand_num"`
	DeviceName string `json:"device_name"`
}

// addKeys adds one key a request: the panel has no bulk add. A key already
// held is no change (the panel binds no flat, so there is nothing to
// rebind); the panel refuses a second add of a code, so held keys are
// skipped: those of this client's last listing, as its writes changed it
// (the reconciler has just listed the panel), or of a fresh listing.
func (q *qtech) addKeys(ctx context.Context, keys []reconcile.PanelKey) error {
	held, err := q.view.held(ctx, q.c, q.listKeys)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if held[k.Code] {
			continue
		}
		data := qtechAdd{Code: k.Code, Mon: 1, Tue: 1, Wed: 1, Thur: 1, Fri: 1, Sat: 1, Sun: 1, DoorNum: 1, WiegandNum: 2}
		err := q.call(ctx, "rfkey", "add", data, nil)
		q.view.learn([]string{k.Code}, true, err)
		if err != nil {
			return err
		}
	}
	return nil
}

// deleteKey deletes one code. A refusal is taken as "absent" when a fresh
// listing does not hold the code: the delete wanted it gone.
func (q *qtech) deleteKey(ctx context.Context, code string) error {
	err := q.call(ctx, "rfkey", "del", map[string]string{"code": code}, nil)
	if refused(err) && q.c.absent(ctx, code, q.listKeys) {
		return nil // the fresh listing is the view
	}
	q.view.learn([]string{code}, false, err)
	return err
}

func (q *qtech) finish(context.Context) error { return nil } // the panel keeps keys without a save

// call sends one envelope and reads the answer's data into out (nil: not read).
func (q *qtech) call(ctx context.Context, target, action string, data, out any) error {
	req := "POST /api " + target + " " + action
	body, err := json.Marshal(map[string]any{"target": target, "action": action, "session": "", "data": data})
	if err != nil {
		return q.c.fail(reconcile.ErrPermanent, req, "encode: %v", err)
	}
	a, err := q.c.do(ctx, http.MethodPost, "/api", body)
	if err != nil {
		return err
	}
	if err := q.c.statusError(req, a.status); err != nil {
		return err
	}
	retcode, message, _, derr, err := readEnvelope(a.body, out)
	if err != nil {
		return q.c.fail(reconcile.ErrPermanent, req, "unparsable answer %s", snippet(a.body))
	}
	if retcode != nil && *retcode != 0 {
		return q.c.refusal(req, action, message)
	}
	if derr != nil {
		return q.c.fail(reconcile.ErrPermanent, req, "unparsable data %s", snippet(a.body))
	}
	return nil
}
