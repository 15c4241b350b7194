package panelsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"yardsync/reconcile"
)

// AkuvoxUser is one user of an emulated Akuvox: on an E12/R20A a key
// holder with up to 4 codes in CardCode joined by ";", on an S532 a key
// (UserID RFIDx<code>) or a flat (FLATx<n>, whose AnalogNumber "9999"
// turns the handset off).
type AkuvoxUser struct {
	ID            string `json:"ID"`
	UserID        string `json:"UserID"`
	Name          string `json:"Name"`
	CardCode      string `json:"CardCode"`
	PrivatePIN    string `json:"PrivatePIN"`
	ScheduleRelay string `json:"ScheduleRelay,omitempty"`  // E12, R20A
	ScheduleDash  string `json:"Schedule-Relay,omitempty"` // the S532's name for it
	Group         string `json:"Group"`
	AnalogNumber  string `json:"AnalogNumber"`
	// Fields an S532 FLAT user carries that a user set must keep.
	PhoneNum     string `json:"PhoneNum,omitempty"`
	AnalogSystem string `json:"AnalogSystem,omitempty"`
	AnalogMode   string `json:"AnalogMode,omitempty"`
}

// akuvoxLimits are the users each model holds (SmartYard-Server's
// getMaxUsers); Options.Capacity, when set, replaces them.
var akuvoxLimits = map[string]int{Akuvox: 1000, AkuvoxR20A: 4000, AkuvoxS532: 10000}

// akuvoxModels are the models /api/system/info names.
var akuvoxModels = map[string]string{Akuvox: "E12W", AkuvoxR20A: "R20A", AkuvoxS532: "S532"}

// isAkuvox reports whether family is one of the Akuvox models.
func isAkuvox(family string) bool { _, ok := akuvoxModels[family]; return ok }

// akuvoxCall is a POST /api body.
type akuvoxCall struct {
	Target string `json:"target"`
	Action string `json:"action"`
	Data   struct {
		Item []AkuvoxUser `json:"item"`
	} `json:"data"`
}

func akuvoxCallOf(r *http.Request, body []byte) (akuvoxCall, bool) {
	var c akuvoxCall
	if r.Method != http.MethodPost || r.URL.Path != "/api" || json.Unmarshal(body, &c) != nil {
		return c, false
	}
	return c, true
}

func akuvoxWriteKind(r *http.Request, body []byte) Writes {
	if r.Method == http.MethodGet && r.URL.Path == "/api/user/clear" {
		return WriteClear
	}
	c, ok := akuvoxCallOf(r, body)
	if !ok || c.Target != "user" {
		return 0
	}
	switch c.Action {
	case "add":
		return WriteAdd
	case "del":
		return WriteDelete
	case "clear":
		return WriteClear
	}
	return 0
}

// akuvoxAnswer writes the envelope: HTTP 200 whatever the outcome, retcode
// 0 on success.
func akuvoxAnswer(w http.ResponseWriter, code int, action, msg string, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"retcode": code, "action": action, "message": msg, "data": data})
}

// serveAkuvox answers as an Akuvox E12, R20A or S532 under /api.
func (p *Panel) serveAkuvox(w http.ResponseWriter, r *http.Request, body []byte) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/system/info":
		akuvoxAnswer(w, 0, "get", "OK", map[string]any{"Status": map[string]string{"Model": akuvoxModels[p.family],
			"MAC": "0C:11:05:" + p.opts.DeviceID, "FirmwareVersion": "12.30.10.36", "HardwareVersion": "12.0.0.0.0.0.0.0"}})
	case r.Method == http.MethodGet && r.URL.Path == "/api/user/get":
		list := p.akuvoxList(r.URL.Query().Get("NameOrCode"))
		akuvoxAnswer(w, 0, "get", "OK", map[string]any{"num": len(list), "item": list})
	case r.Method == http.MethodGet && r.URL.Path == "/api/user/clear":
		p.akuvoxClear(w)
	default:
		c, ok := akuvoxCallOf(r, body)
		switch {
		case !ok:
			writeJSON(w, http.StatusNotFound, map[string]any{"retcode": -1, "message": "unknown request"})
		case c.Target == "user" && c.Action == "add":
			p.akuvoxAdd(w, c.Data.Item)
		case c.Target == "user" && c.Action == "del":
			p.akuvoxDel(w, c.Data.Item)
		case c.Target == "user" && c.Action == "set":
			p.akuvoxSet(w, c.Data.Item)
		case c.Target == "user" && c.Action == "clear":
			p.akuvoxClear(w)
		default:
			akuvoxAnswer(w, -100, c.Action, "unsupported target or action", nil)
		}
	}
}

// akuvoxList lists the users, junk first (Faults.Junk: users whose
// CardCode is no hex), those whose UserID, Name, CardCode or PrivatePIN
// holds lookup (case-insensitive, as the firmware's fuzzy search) when it
// is set.
func (p *Panel) akuvoxList(lookup string) []AkuvoxUser {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []AkuvoxUser{}
	for i := range p.faults.Junk {
		u := AkuvoxUser{ID: "9" + strconv.Itoa(i+1), UserID: "guest-" + strconv.Itoa(i+1), Name: "guest", CardCode: "guest-" + strconv.Itoa(i+1)}
		if p.family == AkuvoxS532 {
			u.UserID, u.Name = "RFIDx"+u.CardCode, "RFID"
		}
		out = append(out, u)
	}
	out = append(out, p.users...)
	if lookup == "" {
		return out
	}
	l := strings.ToLower(lookup)
	return slices.DeleteFunc(out, func(u AkuvoxUser) bool {
		return !strings.Contains(strings.ToLower(u.UserID+"\x00"+u.Name+"\x00"+u.CardCode+"\x00"+u.PrivatePIN), l)
	})
}

// akuvoxAdd adds users all or nothing: a code not in Akuvox form (upper
// hex, leading zeros stripped, even length), a code another user holds or
// more users than the table holds refuses the whole request.
func (p *Panel) akuvoxAdd(w http.ResponseWriter, items []AkuvoxUser) {
	p.mu.Lock()
	defer p.mu.Unlock()
	held := map[string]bool{}
	for _, u := range p.users {
		for _, c := range splitCodes(u.CardCode) {
			held[c] = true
		}
	}
	for _, u := range items {
		codes := splitCodes(u.CardCode)
		if len(codes) > 4 {
			akuvoxAnswer(w, -100, "add", "CardCode: at most 4 codes", nil)
			return
		}
		for _, c := range codes {
			if !akuvoxCodeOK(c) {
				akuvoxAnswer(w, -100, "add", "invalid CardCode "+c, nil)
				return
			}
			if held[c] {
				akuvoxAnswer(w, -100, "add", "CardCode "+c+" exist", nil)
				return
			}
			held[c] = true
		}
	}
	if len(p.users)+len(items) > p.akuvoxCapacity() {
		akuvoxAnswer(w, -100, "add", "user list is full", nil)
		return
	}
	if !p.faults.DropAdds {
		for _, u := range items {
			p.akuvoxInsert(u)
		}
	}
	akuvoxAnswer(w, 0, "add", "OK", nil)
}

// akuvoxInsert adds a user under the next ID; p.mu is held.
func (p *Panel) akuvoxInsert(u AkuvoxUser) {
	p.nextUser++
	u.ID = strconv.Itoa(p.nextUser)
	if u.UserID == "" {
		u.UserID = strconv.Itoa(p.nextUser)
	}
	p.users = append(p.users, u)
}

func (p *Panel) akuvoxDel(w http.ResponseWriter, items []AkuvoxUser) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, it := range items {
		if !slices.ContainsFunc(p.users, func(u AkuvoxUser) bool { return u.ID == it.ID }) {
			akuvoxAnswer(w, -100, "del", "user "+it.ID+" not exist", nil)
			return
		}
	}
	if !p.faults.DropDeletes {
		p.users = slices.DeleteFunc(p.users, func(u AkuvoxUser) bool {
			return slices.ContainsFunc(items, func(it AkuvoxUser) bool { return it.ID == u.ID })
		})
	}
	akuvoxAnswer(w, 0, "del", "OK", nil)
}

func (p *Panel) akuvoxClear(w http.ResponseWriter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.faults.DropDeletes {
		p.users = nil
	}
	akuvoxAnswer(w, 0, "clear", "OK", nil)
}

// akuvoxCapacity is the most users the panel holds; p.mu is held.
func (p *Panel) akuvoxCapacity() int {
	if p.opts.Capacity > 0 {
		return p.opts.Capacity
	}
	return akuvoxLimits[p.family]
}

// akuvoxCodeOK: upper-case hex, leading zeros stripped then padded with
// one zero to an even length, as SmartYard-Server's driver writes codes.
func akuvoxCodeOK(c string) bool {
	if c == "" || len(c) > 14 || strings.Trim(c, "0123456789ABCDEF") != "" {
		return false
	}
	t := strings.TrimLeft(c, "0")
	if len(t)%2 == 1 {
		t = "0" + t
	}
	return t == c
}

func splitCodes(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ";") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// akuvoxKeyUser reports whether u holds keys: every user of an E12/R20A,
// the RFIDx users of an S532.
func (p *Panel) akuvoxKeyUser(u AkuvoxUser) bool {
	return p.family != AkuvoxS532 || strings.HasPrefix(u.UserID, "RFIDx")
}

// akuvoxKeys are the codes of the key users, verbatim, on no flat; p.mu
// is held.
func (p *Panel) akuvoxKeys() []reconcile.PanelKey {
	m := map[string]int{}
	for _, u := range p.users {
		if p.akuvoxKeyUser(u) {
			for _, c := range splitCodes(u.CardCode) {
				m[c] = 0
			}
		}
	}
	return sorted(m)
}

// setAkuvoxKeys makes every key a user of its own, verbatim; p.mu is held.
func (p *Panel) setAkuvoxKeys(keys []reconcile.PanelKey) {
	p.users = nil
	for _, k := range keys {
		u := AkuvoxUser{CardCode: k.Code, ScheduleRelay: "1001-1;"}
		if p.family == AkuvoxS532 {
			u.UserID, u.Name, u.ScheduleRelay, u.ScheduleDash, u.Group = "RFIDx"+k.Code, "RFID", "", "1001-1;", "Default"
		}
		p.akuvoxInsert(u)
	}
}

// SetAkuvoxUsers replaces an Akuvox's users (verbatim; IDs are given anew):
// users another system wrote, several codes on one, flat users.
func (p *Panel) SetAkuvoxUsers(users []AkuvoxUser) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users = nil
	for _, u := range users {
		p.akuvoxInsert(u)
	}
}

// AkuvoxUsers returns an Akuvox's users, in the order it lists them.
func (p *Panel) AkuvoxUsers() []AkuvoxUser {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.users)
}
