package panelsim

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"
)

// sokolKey is a /key/store entry as the panel returns it.
type sokolKey struct {
	UUID          string      `json:"uuid,omitempty"` // empty on a foreign entry (Faults.Junk)
	PanelCode     int         `json:"panelCode"`
	Encryption    bool        `json:"encryption"`
	Access        sokolAccess `json:"access"`
	ProfileNum    int         `json:"profileNum"`
	SecretValue   string      `json:"secretValue"`
	SecurityLevel int         `json:"securityLevel"`
	Virtual       bool        `json:"virtual"`
}

type sokolAccess struct {
	Main   bool            `json:"main"`
	Second bool            `json:"second"`
	Gates  map[string]bool `json:"gates"`
}

// mergeKey is one element of a PUT /key/store/merge body.
type mergeKey struct {
	UUID       *string      `json:"uuid"`
	PanelCode  *int         `json:"panelCode"`
	Encryption *bool        `json:"encryption"`
	Access     *sokolAccess `json:"access"`
}

func (p *Panel) serveSokol(w http.ResponseWriter, r *http.Request, body []byte) {
	path := r.URL.Path
	switch {
	case path == "/system/info" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"deviceID": p.opts.DeviceID, "deviceModel": p.sokolModel(), "model": "ISCom X1"})
	case path == "/key/store" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, p.sokolStore())
	case path == "/key/settings":
		p.serveKeySettings(w, r)
	case path == "/key/store/merge" && r.Method == http.MethodPut:
		p.merge(w, r, body)
	case path == "/key/store/clear" && r.Method == http.MethodDelete:
		p.mu.Lock()
		if !p.faults.DropDeletes {
			clear(p.keys)
			clear(p.fields)
			p.faults.Junk = 0 // a clear empties the whole store, foreign entries too
		}
		p.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	case strings.HasPrefix(path, "/key/store/") && r.Method == http.MethodDelete:
		p.deleteSokol(w, strings.TrimPrefix(path, "/key/store/"))
	case strings.HasPrefix(path, "/panelCode/"):
		p.sokolPanelCode(w, r, body)
	case path == "/system/info", strings.HasPrefix(path, "/key/store"):
		writeJSON(w, http.StatusMethodNotAllowed, errorsBody("method not allowed"))
	default:
		writeJSON(w, http.StatusNotFound, errorsBody("not found"))
	}
}

func (p *Panel) sokolStore() []any {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]any, 0, p.faults.Junk+len(p.keys))
	for i := range p.faults.Junk {
		out = append(out, sokolKey{PanelCode: 12 + i, Access: allDoors()}) // no uuid
	}
	for _, k := range sorted(p.keys) {
		out = append(out, p.sokolEntry(k))
	}
	return out
}

func allDoors() sokolAccess {
	return sokolAccess{Main: true, Second: true, Gates: map[string]bool{"0": true, "1": true, "2": true, "3": true}}
}

// merge upserts an array of keys by uuid, all or nothing: a merge that would
// overfill the store is refused whole (422), as the firmware does.
func (p *Panel) merge(w http.ResponseWriter, r *http.Request, body []byte) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, errorsBody("want application/json"))
		return
	}
	var keys []mergeKey
	var objects []map[string]json.RawMessage
	if json.Unmarshal(body, &keys) != nil || json.Unmarshal(body, &objects) != nil {
		writeJSON(w, http.StatusBadRequest, errorsBody("body must be an array of keys"))
		return
	}
	for _, k := range keys {
		if msg := p.checkMergeKey(k); msg != "" {
			writeJSON(w, http.StatusBadRequest, errorsBody(msg))
			return
		}
	}
	if status, msg := p.upsert(keys, objects); status != http.StatusOK {
		writeJSON(w, status, errorsBody(msg))
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (p *Panel) checkMergeKey(k mergeKey) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case k.UUID == nil || !p.codeOK(*k.UUID):
		return "uuid must be 14 upper-case hex digits"
	case k.PanelCode == nil || *k.PanelCode < 0 || *k.PanelCode > 9999:
		return "panelCode must be 0 to 9999"
	case k.Encryption != nil && *k.Encryption && !p.opts.Firmware.Rev5:
		return "encryption is not supported"
	}
	return ""
}

func (p *Panel) upsert(keys []mergeKey, objects []map[string]json.RawMessage) (int, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fresh := map[string]bool{}
	for _, k := range keys {
		if _, ok := p.keys[*k.UUID]; !ok {
			fresh[*k.UUID] = true
		}
	}
	if p.opts.Capacity > 0 && len(p.keys)+len(fresh) > p.opts.Capacity {
		return http.StatusUnprocessableEntity, "key store is full"
	}
	if p.faults.DropAdds {
		return http.StatusOK, ""
	}
	for i, k := range keys {
		if _, held := p.keys[*k.UUID]; held && p.opts.Firmware.MergeKeepsFlat {
			continue
		}
		p.keys[*k.UUID] = *k.PanelCode
		p.keepFields(*k.UUID, objects[i])
	}
	return http.StatusOK, ""
}

func (p *Panel) deleteSokol(w http.ResponseWriter, code string) {
	p.mu.Lock()
	_, ok := p.keys[code]
	if !p.faults.DropDeletes {
		delete(p.keys, code)
		delete(p.fields, code)
	}
	p.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, errorsBody("key not found"))
		return
	}
	w.WriteHeader(http.StatusOK)
}

func errorsBody(msg string) map[string][]string { return map[string][]string{"errors": {msg}} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
