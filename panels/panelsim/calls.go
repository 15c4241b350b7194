package panelsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// FlatCalls is one flat's call switches on an emulated panel, as a family
// neutral view: Handset is Beward BlockCMS=off, Sokol callsEnabled.handset,
// Qtech tags 0 (not 2 or 3), a Rubetek call_type naming analog; SIP is
// Beward PhonesActive=on, Sokol callsEnabled.sip, a Rubetek call_type
// naming sip (a Qtech and an S532 have no per-flat SIP switch: false); on
// an S532 Handset is a FLATx<n> user whose AnalogNumber is not 9999. Raw
// is the Qtech tags, the Rubetek call_type and the S532 AnalogNumber as the
// panel holds them.
type FlatCalls struct {
	Handset bool
	SIP     bool
	Raw     string
}

// flatState is one flat as the panel holds it.
type flatState struct {
	handset, sip       bool   // Beward, Sokol
	tags               int    // Qtech
	replace1, replace2 string // Qtech numbers, kept by writes
	callType           string // Rubetek
}

// Rubetek call types the emulator accepts (yardsync's reading of Enums/CallType).
var rubetekCallTypes = []string{"sip", "analog", "sip_analog", "blocked"}

// defaultFlat is a flat nobody configured: calls on. A Rubetek lists no
// such apartment (ok false).
func (p *Panel) defaultFlat(flat int) (flatState, bool) {
	if p.family == Rubetek {
		return flatState{}, false
	}
	return flatState{handset: true, sip: true, replace1: strconv.Itoa(flat), replace2: "1000000" + strconv.Itoa(flat)}, true
}

// flat returns a flat's state; p.mu is held.
func (p *Panel) flat(n int) (flatState, bool) {
	if st, ok := p.flats[n]; ok {
		return st, true
	}
	return p.defaultFlat(n)
}

// view renders a flat's state as FlatCalls.
func (p *Panel) view(st flatState) FlatCalls {
	switch p.family {
	case Qtech:
		return FlatCalls{Handset: st.tags != 2 && st.tags != 3, Raw: strconv.Itoa(st.tags)}
	case Rubetek:
		if st.callType == "blocked" {
			return FlatCalls{Raw: st.callType}
		}
		return FlatCalls{Handset: strings.Contains(st.callType, "analog"), SIP: strings.Contains(st.callType, "sip"), Raw: st.callType}
	}
	return FlatCalls{Handset: st.handset, SIP: st.sip}
}

// FlatCalls returns a flat's call switches; false for a Rubetek apartment
// or an S532 FLAT user the panel does not hold.
func (p *Panel) FlatCalls(flat int) (FlatCalls, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.family == AkuvoxS532 {
		return p.akuvoxFlatCalls(flat)
	}
	st, ok := p.flat(flat)
	return p.view(st), ok
}

// SetFlatCalls sets a flat's call switches, as an operator would on the
// panel (on a Rubetek it creates the apartment, on an S532 the FLAT user).
// Raw, when set, is the Qtech tags, the Rubetek call_type or the S532 FLAT
// user's AnalogNumber.
func (p *Panel) SetFlatCalls(flat int, c FlatCalls) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.family == AkuvoxS532 {
		p.setAkuvoxFlatCalls(flat, c)
		return
	}
	st, _ := p.flat(flat)
	if st.replace1 == "" {
		st.replace1 = strconv.Itoa(flat)
	}
	st.handset, st.sip = c.Handset, c.SIP
	st.tags = map[bool]int{true: 0, false: 2}[c.Handset]
	if t, err := strconv.Atoi(c.Raw); err == nil {
		st.tags = t
	}
	st.callType = c.Raw
	if p.family == Rubetek && c.Raw == "" {
		st.callType = map[[2]bool]string{{true, true}: "sip_analog", {true, false}: "analog", {false, true}: "sip", {false, false}: "blocked"}[[2]bool{c.Handset, c.SIP}]
	}
	p.setFlat(flat, st)
}

// setFlat stores a flat's state; p.mu is held.
func (p *Panel) setFlat(flat int, st flatState) {
	if p.flats == nil {
		p.flats = map[int]flatState{}
	}
	p.flats[flat] = st
}

// callWrite applies a call write unless the faults say otherwise: it
// reports false after answering 401 (a read-only account). DropCalls
// acknowledges the write and keeps nothing.
func (p *Panel) callWrite(w http.ResponseWriter, flat int, st flatState) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.faults.RefuseWrites {
		defer p.unauthorized(w, false)
		return false
	}
	if !p.faults.DropCalls {
		p.setFlat(flat, st)
	}
	return true
}

// flatNumber reads a flat number 1..9999.
func flatNumber(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= 9999
}

// bewardApartment answers apartment_cgi: action=get&Number=N lists the
// flat's fields, action=set&Number=N&BlockCMS=on|off&PhonesActive=on|off
// changes the switches given.
func (p *Panel) bewardApartment(w http.ResponseWriter, q url.Values) {
	flat, ok := flatNumber(q.Get("Number"))
	if !ok {
		fmt.Fprint(w, bewardFailed)
		return
	}
	p.mu.Lock()
	st, _ := p.flat(flat)
	p.mu.Unlock()
	switch q.Get("action") {
	case "get":
		fmt.Fprintf(w, "Number=%d\r\nDoorCodeActive=off\r\nDoorCode=0\r\nBlockCMS=%s\r\nPhonesActive=%s\r\nPhone1=%d\r\n",
			flat, onOff(!st.handset), onOff(st.sip), flat)
	case "set":
		block, phones := q.Get("BlockCMS"), q.Get("PhonesActive")
		if !switchValue(block) || !switchValue(phones) {
			fmt.Fprint(w, bewardFailed)
			return
		}
		if block != "" {
			st.handset = block == "off"
		}
		if phones != "" {
			st.sip = phones == "on"
		}
		if p.callWrite(w, flat, st) {
			fmt.Fprint(w, bewardOK)
		}
	default:
		fmt.Fprint(w, bewardFailed)
	}
}

// switchValue accepts a Beward switch parameter: on, off, or absent.
func switchValue(v string) bool { return v == "" || v == "on" || v == "off" }

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// sokolPanelCode answers GET and PUT /panelCode/<n>: the panel code object
// of panels.md 2.6; a PUT changes the callsEnabled switches it names.
func (p *Panel) sokolPanelCode(w http.ResponseWriter, r *http.Request, body []byte) {
	flat, ok := flatNumber(strings.TrimPrefix(r.URL.Path, "/panelCode/"))
	if !ok {
		writeJSON(w, http.StatusNotFound, errorsBody("panel code not found"))
		return
	}
	p.mu.Lock()
	st, _ := p.flat(flat)
	p.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"panelCode": flat, "inform": false, "soundOpenTh": nil,
			"sipAccounts":  []string{"1000000" + strconv.Itoa(flat)},
			"callsEnabled": map[string]bool{"handset": st.handset, "sip": st.sip},
			"resistances":  map[string]any{"answer": nil, "quiescent": nil}})
	case http.MethodPut:
		var pc struct {
			CallsEnabled *struct {
				Handset *bool `json:"handset"`
				SIP     *bool `json:"sip"`
			} `json:"callsEnabled"`
		}
		if json.Unmarshal(body, &pc) != nil {
			writeJSON(w, http.StatusBadRequest, errorsBody("invalid JSON"))
			return
		}
		if c := pc.CallsEnabled; c != nil && c.Handset != nil {
			st.handset = *c.Handset
		}
		if c := pc.CallsEnabled; c != nil && c.SIP != nil {
			st.sip = *c.SIP
		}
		if p.callWrite(w, flat, st) {
			w.WriteHeader(http.StatusOK)
		}
	default:
		writeJSON(w, http.StatusMethodNotAllowed, errorsBody("method not allowed"))
	}
}

// qtechDialreplace answers dialreplace get {"prefix"} with the flat's entry
// and set {"id","prefix","Replace1","Replace2","tags"}.
func (p *Panel) qtechDialreplace(w http.ResponseWriter, action string, data json.RawMessage) {
	var d struct {
		ID       json.Number `json:"id"`
		Prefix   json.Number `json:"prefix"`
		Replace1 *string     `json:"Replace1"`
		Replace2 *string     `json:"Replace2"`
		Tags     *int        `json:"tags"`
	}
	flat, ok := 0, false
	if json.Unmarshal(data, &d) == nil {
		flat, ok = flatNumber(d.Prefix.String())
	}
	if !ok {
		qtechAnswer(w, -1, "no such prefix", nil)
		return
	}
	p.mu.Lock()
	st, _ := p.flat(flat)
	p.mu.Unlock()
	switch action {
	case "get":
		qtechAnswer(w, 0, "OK", map[string]any{"id": flat, "prefix": flat, "Replace1": st.replace1, "Replace2": st.replace2,
			"tags": st.tags})
	case "set":
		if d.Tags == nil || !slices.Contains([]int{0, 1, 2, 3}, *d.Tags) {
			qtechAnswer(w, -1, "bad tags", nil)
			return
		}
		st.tags = *d.Tags
		if d.Replace1 != nil {
			st.replace1 = *d.Replace1
		}
		if d.Replace2 != nil {
			st.replace2 = *d.Replace2
		}
		if p.callWrite(w, flat, st) {
			qtechAnswer(w, 0, "OK", nil)
		}
	default:
		qtechAnswer(w, -1, "unsupported target or action", nil)
	}
}

// rubetekApartments answers GET /api/v1/apartments (every apartment the
// panel holds) and POST /api/v1/apartments (create or update one by id).
func (p *Panel) rubetekApartments(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method == http.MethodGet {
		p.mu.Lock()
		out := []map[string]any{}
		for _, n := range sortedFlats(p.flats) {
			st := p.flats[n]
			out = append(out, map[string]any{"id": n, "sip_number": "1000000" + strconv.Itoa(n), "analog_number": strconv.Itoa(n),
				"call_type": st.callType, "door_access": []int{1}, "access_codes": []string{}})
		}
		p.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
		return
	}
	var a struct {
		ID       int    `json:"id"`
		CallType string `json:"call_type"`
	}
	if json.Unmarshal(body, &a) != nil || a.ID < 1 || a.ID > 9999 || !slices.Contains(rubetekCallTypes, a.CallType) {
		writeJSON(w, http.StatusUnprocessableEntity, rubetekMessage("invalid apartment"))
		return
	}
	if p.callWrite(w, a.ID, flatState{callType: a.CallType}) {
		writeJSON(w, http.StatusOK, map[string]any{"id": a.ID})
	}
}

func sortedFlats(m map[int]flatState) []int {
	out := make([]int, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
