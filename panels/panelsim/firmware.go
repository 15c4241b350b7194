package panelsim

import (
	"net/http"
	"net/url"
	"strings"

	"yardsync/reconcile"
)

// Firmware picks the firmware variant a Panel plays: the answers real panels
// in the field give that panels.md does not name. The zero value is the
// variant panels.md describes.
type Firmware struct {
	// BothTables makes a beward-mifare panel serve rfid_cgi as well, with a
	// table of its own, as panels the AXIOSTV server wrote to do (it writes
	// to rfid_cgi unless that answers 404).
	BothTables bool
	// LooseCodes makes adds accept codes of 1 to 14 hex digits in either
	// case and keep them verbatim, as the AXIOSTV server wrote them
	// (e.g. 0a1b2c3d4e).
	LooseCodes bool
	// WriteBody replaces the Beward "OK" answer to a successful write;
	// BodyEmpty means an empty body.
	WriteBody string
	// ExtNoApartment makes a beward-mifare panel's extrfid_cgi refuse an add
	// that names an Apartment.
	ExtNoApartment bool
	// Update makes rfid_cgi accept action=update&Key=K&Apartment=N, which
	// rebinds a key in one request (emulator only: unverified on firmware).
	Update bool
	// KeyMode is what a Sokol answers at /key/settings; 0 means 2 (7-byte
	// UID), the mode yardsync needs.
	KeyMode int
	// NoKeySettings makes a Sokol answer 404 at /key/settings, as firmware
	// without that resource would.
	NoKeySettings bool
	// MergeKeepsFlat makes a Sokol merge leave the panelCode of a uuid it
	// already holds, as firmware might: nothing shows a merge overwrites it.
	MergeKeepsFlat bool
	// Rev5 makes a Sokol an ISCom X1 rev.5 on new firmware: /system/info
	// names "ISCom X1 rev.5" as its deviceModel (else "ISCom X1 rev.2"),
	// and the store keeps every field a merge sends (encryption, access,
	// profileNum, secretValue, ...) and lists it back as sent.
	Rev5 bool
}

// BodyEmpty, as Firmware.WriteBody, answers successful Beward writes with an
// empty body.
const BodyEmpty = "<empty>"

// okBody is the answer to a successful Beward write.
func (p *Panel) okBody() string {
	switch p.opts.Firmware.WriteBody {
	case "":
		return bewardOK
	case BodyEmpty:
		return ""
	}
	return p.opts.Firmware.WriteBody + "\r\n"
}

// SetFirmware switches the firmware variant while the panel serves.
func (p *Panel) SetFirmware(f Firmware) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opts.Firmware = f
}

// RfidKeys returns the rfid_cgi table of a beward-mifare panel with
// Firmware.BothTables, sorted.
func (p *Panel) RfidKeys() []reconcile.PanelKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sorted(p.rfid)
}

// SetRfidKeys replaces the rfid_cgi table of a beward-mifare panel with
// Firmware.BothTables (verbatim, not validated): keys another system wrote.
func (p *Panel) SetRfidKeys(keys []reconcile.PanelKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rfid = map[string]int{}
	for _, k := range keys {
		p.rfid[k.Code] = k.Flat
	}
}

// codeOK checks a code an add names: normalised, or with LooseCodes any
// 1 to 14 hex digits.
func (p *Panel) codeOK(code string) bool {
	if !p.opts.Firmware.LooseCodes {
		return validCode(code)
	}
	if code == "" || len(code) > 14 {
		return false
	}
	return strings.Trim(strings.ToUpper(code), "0123456789ABCDEF") == ""
}

// updateBeward rebinds a key in one request: rfid_cgi action=update.
func (p *Panel) updateBeward(table map[string]int, q url.Values) string {
	code := q.Get("Key")
	flat, ok := parseFlat(q.Get("Apartment"))
	if _, exists := table[code]; !exists || !ok || !q.Has("Apartment") {
		return bewardFailed
	}
	if !p.faults.DropAdds {
		table[code] = flat
	}
	return p.okBody()
}

// serveKeySettings answers a Sokol's GET /key/settings.
func (p *Panel) serveKeySettings(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	fw := p.opts.Firmware
	p.mu.Unlock()
	if fw.NoKeySettings {
		writeJSON(w, http.StatusNotFound, errorsBody("not found"))
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, errorsBody("method not allowed"))
		return
	}
	mode := fw.KeyMode
	if mode == 0 {
		mode = 2
	}
	writeJSON(w, http.StatusOK, map[string]int{"mode": mode})
}
