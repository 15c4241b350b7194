package panelsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// qtechCall is the envelope every Qtech request comes in: POST /api.
type qtechCall struct {
	Target  string          `json:"target"`
	Action  string          `json:"action"`
	Session string          `json:"session"`
	Data    json.RawMessage `json:"data"`
}

// qtechCallOf reads a request's envelope; ok is false for anything but a
// POST /api with a JSON envelope.
func qtechCallOf(r *http.Request, body []byte) (qtechCall, bool) {
	var c qtechCall
	if r.Method != http.MethodPost || r.URL.Path != "/api" || json.Unmarshal(body, &c) != nil {
		return c, false
	}
	return c, true
}

func qtechWriteKind(r *http.Request, body []byte) Writes {
	c, ok := qtechCallOf(r, body)
	if !ok || c.Target != "rfkey" {
		return 0
	}
	switch c.Action {
	case "add":
		return WriteAdd
	case "del":
		var d struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(c.Data, &d) == nil && d.ID == "-1" {
			return WriteClear
		}
		return WriteDelete
	}
	return 0
}

// serveQtech answers as a QDB-27C-H: HTTP 200 and {"retcode", "message",
// "data"} whatever the outcome; retcode 0 is success.
func (p *Panel) serveQtech(w http.ResponseWriter, r *http.Request, body []byte) {
	c, ok := qtechCallOf(r, body)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"retcode": -1, "message": "unknown request"})
		return
	}
	switch c.Target + " " + c.Action {
	case "firmware status":
		qtechAnswer(w, 0, "OK", map[string]string{"mac": "00:1c:" + p.opts.DeviceID, "model": "QDB-27C-H",
			"hardware": "1.0", "firmware": "27.2.1.95"})
	case "rfkey get":
		qtechAnswer(w, 0, "OK", p.qtechTable())
	case "rfkey add":
		p.qtechAdd(w, c.Data)
	case "rfkey del":
		p.qtechDel(w, c.Data)
	case "dialreplace get", "dialreplace set":
		p.qtechDialreplace(w, c.Action, c.Data)
	default:
		qtechAnswer(w, -1, "unsupported target or action", nil)
	}
}

func qtechAnswer(w http.ResponseWriter, code int, msg string, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"retcode": code, "message": msg, "data": data})
}

// qtechRow is one listed key, its fields in the panel's order.
type qtechRow struct {
	ID         int    `json:"id"`
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
}

// qtechTable lists the keys as {"num": N, "0": {...}, ...}; junk entries
// (Faults.Junk) have a code that is no hex.
func (p *Panel) qtechTable() map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]any, p.faults.Junk+len(p.keys)+1)
	i := 0
	entry := func(code string) {
		out[strconv.Itoa(i)] = qtechRow{ID: i + 1, Code: code, Mon: 1, Tue: 1, Wed: 1, Thur: 1, Fri: 1, Sat: 1, Sun: 1,
			DoorNum: 1, WiegandNum: 2}
		i++
	}
	for j := range p.faults.Junk {
		entry("card-" + strconv.Itoa(j+1))
	}
	for _, k := range sorted(p.keys) {
		entry(k.Code)
	}
	out["num"] = i
	return out
}

func (p *Panel) qtechAdd(w http.ResponseWriter, data json.RawMessage) {
	var d struct {
		Code *string `json:"code"`
	}
	if json.Unmarshal(data, &d) != nil || d.Code == nil || !p.qtechCodeOK(*d.Code) {
		qtechAnswer(w, -1, "invalid code", nil)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch _, held := p.keys[*d.Code]; {
	case held:
		qtechAnswer(w, -1, "rfkey exist", nil)
	case p.full(p.keys):
		qtechAnswer(w, -1, "rfkey table full", nil)
	default:
		if !p.faults.DropAdds {
			p.keys[*d.Code] = 0
		}
		qtechAnswer(w, 0, "OK", nil)
	}
}

func (p *Panel) qtechDel(w http.ResponseWriter, data json.RawMessage) {
	var d struct {
		Code string `json:"code"`
		ID   string `json:"id"`
	}
	_ = json.Unmarshal(data, &d)
	p.mu.Lock()
	defer p.mu.Unlock()
	if d.ID == "-1" {
		if !p.faults.DropDeletes {
			clear(p.keys)
		}
		qtechAnswer(w, 0, "OK", nil)
		return
	}
	if _, ok := p.keys[d.Code]; !ok {
		qtechAnswer(w, -1, "rfkey not exist", nil)
		return
	}
	if !p.faults.DropDeletes {
		delete(p.keys, d.Code)
	}
	qtechAnswer(w, 0, "OK", nil)
}

// qtechCodeOK: the panel takes upper-case hex, up to 14 digits (7 bytes).
func (p *Panel) qtechCodeOK(code string) bool {
	return code != "" && len(code) <= 14 && strings.Trim(code, "0123456789ABCDEF") == ""
}
