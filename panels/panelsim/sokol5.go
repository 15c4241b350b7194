package panelsim

import (
	"encoding/json"
	"fmt"
	"maps"

	"yardsync/reconcile"
)

// sokolFields are a rev.5 store entry's fields other than uuid and
// panelCode, each as the merge sent it.
type sokolFields map[string]json.RawMessage

// sokolModel is the deviceModel /system/info names.
func (p *Panel) sokolModel() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.opts.Firmware.Rev5 {
		return "ISCom X1 rev.5"
	}
	return "ISCom X1 rev.2"
}

// keepFields keeps what a merge sent for uuid beyond uuid and panelCode,
// on a rev.5; p.mu is held.
func (p *Panel) keepFields(uuid string, object map[string]json.RawMessage) {
	if !p.opts.Firmware.Rev5 {
		return
	}
	f := maps.Clone(object)
	delete(f, "uuid")
	delete(f, "panelCode")
	p.fields[uuid] = f
}

// sokolEntry is how the store lists key k: the default object, with the
// fields a rev.5 kept from its merge in place of the defaults; p.mu is held.
func (p *Panel) sokolEntry(k reconcile.PanelKey) any {
	def := sokolKey{UUID: k.Code, PanelCode: k.Flat, Access: allDoors()}
	f, ok := p.fields[k.Code]
	if !ok {
		return def
	}
	var out map[string]json.RawMessage
	b, _ := json.Marshal(def)
	_ = json.Unmarshal(b, &out)
	for name, v := range f {
		out[name] = v
	}
	return out
}

// SetSokolStore replaces a Sokol's store with entries, each a JSON object
// with a uuid and a panelCode, its other fields kept and listed as given:
// keys another system wrote, with doors, encryption or profiles of their own.
func (p *Panel) SetSokolStore(entries []string) error {
	keys := map[string]int{}
	fields := map[string]sokolFields{}
	for _, e := range entries {
		var k mergeKey
		var f sokolFields
		if json.Unmarshal([]byte(e), &k) != nil || json.Unmarshal([]byte(e), &f) != nil || k.UUID == nil || k.PanelCode == nil {
			return fmt.Errorf("panelsim: store entry %s: want an object with uuid and panelCode", e)
		}
		keys[*k.UUID] = *k.PanelCode
		delete(f, "uuid")
		delete(f, "panelCode")
		fields[*k.UUID] = f
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys, p.fields = keys, fields
	return nil
}

// SokolStore returns a Sokol's store as it lists it now, one JSON object
// per entry (foreign entries with no uuid first).
func (p *Panel) SokolStore() []string {
	var out []string
	for _, e := range p.sokolStore() {
		b, _ := json.Marshal(e)
		out = append(out, string(b))
	}
	return out
}
