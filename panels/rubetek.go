package panels

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"yardsync/reconcile"
)

// rubetekPack is the most codes one POST /api/v1/rfids_pack takes.
const rubetekPack = 400

// rubetekDoors are the doors a key opens: relay 1 (internal) and relay 2
// (external), as SmartYard-Server's driver grants them.
var rubetekDoors = []int{1, 5}

// rubetek speaks Rubetek RV-3434 / RV-3437: JSON REST under /api/v1, HTTP
// Basic. Keys open doors, not flats: they are listed with
// reconcile.FlatUnlisted and yardsync's ownership record keeps the flat.
// Success is a 2xx; a 4xx is a refusal, with the panel's message.
type rubetek struct {
	c    *Client
	view codeView // the codes as last listed and written
}

func (r *rubetek) ping(ctx context.Context) (Info, error) {
	var v struct {
		Serial flexString `json:"serial_number"`
		Model  string     `json:"model"`
	}
	if err := r.getJSON(ctx, "/api/v1/version", &v); err != nil {
		return Info{}, err
	}
	if v.Serial == "" {
		return Info{}, r.c.fail(reconcile.ErrPermanent, "GET /api/v1/version", "answer has no serial_number")
	}
	return Info{DeviceID: string(v.Serial), Model: v.Model}, nil
}

// listKeys reads GET /api/v1/rfids, [{"rfid", ...}]; an entry whose rfid
// is not hex is another system's: skipped and counted.
func (r *rubetek) listKeys(ctx context.Context) ([]reconcile.PanelKey, error) {
	var list []struct {
		RFID lenientString `json:"rfid"`
	}
	if err := r.getJSON(ctx, "/api/v1/rfids", &list); err != nil {
		return nil, err
	}
	if list == nil {
		return nil, r.c.fail(reconcile.ErrPermanent, "GET /api/v1/rfids", "answer is no key list")
	}
	keys := make([]reconcile.PanelKey, 0, len(list))
	skipped := 0
	for _, k := range list {
		if !hexCode(string(k.RFID)) {
			skipped++
			continue
		}
		keys = append(keys, reconcile.PanelKey{Code: string(k.RFID), Flat: reconcile.FlatUnlisted})
	}
	r.c.skipped.Store(int64(skipped))
	r.view.listed(keys)
	return keys, nil
}

// addKeys adds one key with POST /rfids, more in packs of at most 400 with
// POST /rfids_pack. Codes the panel holds are not sent again (the panel
// binds no flat, so there is nothing to rebind): those of this client's
// last listing, as its writes changed it (the reconciler has just listed
// the panel), or of a fresh listing.
func (r *rubetek) addKeys(ctx context.Context, keys []reconcile.PanelKey) error {
	codes, err := r.view.unheld(ctx, r.c, r.listKeys, keys)
	if err != nil {
		return err
	}
	if len(codes) == 1 {
		err := r.write(ctx, http.MethodPost, "/api/v1/rfids", map[string]any{"rfid": codes[0], "door_access": rubetekDoors})
		r.view.learn(codes, true, err)
		return err
	}
	for len(codes) > 0 {
		n := min(len(codes), rubetekPack)
		body := map[string]any{"rfids": codes[:n], "door_access": rubetekDoors}
		err := r.write(ctx, http.MethodPost, "/api/v1/rfids_pack", body)
		r.view.learn(codes[:n], true, err)
		if err != nil {
			return err
		}
		codes = codes[n:]
	}
	return nil
}

// deleteKey deletes one code as listed; a 404 is "not there", a success.
func (r *rubetek) deleteKey(ctx context.Context, code string) error {
	path := "/api/v1/rfids/" + url.PathEscape(code)
	a, err := r.c.do(ctx, http.MethodDelete, path, nil)
	if err == nil && a.status != http.StatusNotFound {
		err = r.judge(http.MethodDelete+" "+path, a)
	}
	r.view.learn([]string{code}, false, err)
	return err
}

func (r *rubetek) finish(context.Context) error { return nil } // no save step

func (r *rubetek) write(ctx context.Context, method, path string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return r.c.fail(reconcile.ErrPermanent, method+" "+path, "encode: %v", err)
	}
	a, err := r.c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	return r.judge(method+" "+path, a)
}

// judge takes a 2xx as success and a 4xx other than 401/403 as a refusal
// with the panel's message.
func (r *rubetek) judge(req string, a answer) error {
	if a.status >= 400 && a.status < 500 && a.status != 401 && a.status != 403 && a.status != 408 && a.status != 429 {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(a.body, &e)
		action := req
		if strings.HasPrefix(req, http.MethodPost) {
			action = "add"
		}
		return r.c.refusal(req+" status "+strconv.Itoa(a.status), action, e.Message)
	}
	return r.c.statusError(req, a.status)
}

func (r *rubetek) getJSON(ctx context.Context, path string, v any) error {
	a, err := r.c.get(ctx, path)
	if err != nil {
		return err
	}
	if err := r.c.statusError("GET "+path, a.status); err != nil {
		return err
	}
	if err := json.Unmarshal(bytes.TrimSpace(a.body), v); err != nil {
		return r.c.fail(reconcile.ErrPermanent, "GET "+path, "unparsable answer %s", snippet(a.body))
	}
	return nil
}
