package panelsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// RubetekPack is the most codes one POST /api/v1/rfids_pack takes.
const RubetekPack = 400

const rubetekKeys = "/api/v1/rfids"

func rubetekWriteKind(r *http.Request) Writes {
	switch {
	case r.Method == http.MethodPost && (r.URL.Path == rubetekKeys || r.URL.Path == "/api/v1/rfids_pack"):
		return WriteAdd
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, rubetekKeys+"/"):
		return WriteDelete
	}
	return 0
}

// serveRubetek answers as an RV-3434: JSON under /api/v1, a 2xx on success,
// a 4xx with {"message"} on a refusal.
func (p *Panel) serveRubetek(w http.ResponseWriter, r *http.Request, body []byte) {
	switch path := r.URL.Path; {
	case path == "/api/v1/version" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"serial_number": p.opts.DeviceID, "model": "RV-3434",
			"hardware_version": "1.2", "firmware_version": "2024.05.1"})
	case path == rubetekKeys && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, p.rubetekList())
	case path == rubetekKeys && r.Method == http.MethodPost:
		var k struct {
			RFID string `json:"rfid"`
		}
		_ = json.Unmarshal(body, &k)
		p.rubetekAdd(w, []string{k.RFID})
	case path == "/api/v1/rfids_pack" && r.Method == http.MethodPost:
		var pack struct {
			RFIDs []string `json:"rfids"`
		}
		_ = json.Unmarshal(body, &pack)
		p.rubetekAdd(w, pack.RFIDs)
	case path == "/api/v1/apartments" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		p.rubetekApartments(w, r, body)
	case strings.HasPrefix(path, rubetekKeys+"/") && r.Method == http.MethodDelete:
		p.rubetekDelete(w, strings.TrimPrefix(path, rubetekKeys+"/"))
	default:
		writeJSON(w, http.StatusNotFound, rubetekMessage("not found"))
	}
}

func rubetekMessage(msg string) map[string]string { return map[string]string{"message": msg} }

func (p *Panel) rubetekList() []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]map[string]any, 0, p.faults.Junk+len(p.keys))
	for i := range p.faults.Junk {
		out = append(out, map[string]any{"rfid": "guest-" + strconv.Itoa(i+1), "door_access": []int{1}})
	}
	for _, k := range sorted(p.keys) {
		out = append(out, map[string]any{"rfid": k.Code, "door_access": []int{1, 5}})
	}
	return out
}

// rubetekAdd adds codes all or nothing: a bad code, a pack over 400 or a
// table it would overfill is refused whole (400, 400, 422). A held code
// stays as it is.
func (p *Panel) rubetekAdd(w http.ResponseWriter, codes []string) {
	if len(codes) == 0 || len(codes) > RubetekPack {
		writeJSON(w, http.StatusBadRequest, rubetekMessage("rfids: 1 to 400 codes"))
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fresh := map[string]bool{}
	for _, c := range codes {
		if c == "" || len(c) > 14 || strings.Trim(c, "0123456789ABCDEF") != "" {
			writeJSON(w, http.StatusBadRequest, rubetekMessage("rfid must be upper-case hex"))
			return
		}
		if _, ok := p.keys[c]; !ok {
			fresh[c] = true
		}
	}
	if p.opts.Capacity > 0 && len(p.keys)+len(fresh) > p.opts.Capacity {
		writeJSON(w, http.StatusUnprocessableEntity, rubetekMessage("rfids limit reached"))
		return
	}
	if !p.faults.DropAdds {
		for c := range fresh {
			p.keys[c] = 0
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (p *Panel) rubetekDelete(w http.ResponseWriter, code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.keys[code]; !ok {
		writeJSON(w, http.StatusNotFound, rubetekMessage("rfid not found"))
		return
	}
	if !p.faults.DropDeletes {
		delete(p.keys, code)
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}
