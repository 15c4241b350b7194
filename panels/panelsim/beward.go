package panelsim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Beward answers: plain text, CRLF line ends, "OK" on success, a 200 with
// "Request failed" on a rejected write, "<cgi> is not defined" (404) for a CGI
// the panel lacks. On the internal-table variant that includes extrfid_cgi,
// which is how clients tell the variants apart.
const (
	bewardOK     = "OK\r\n"
	bewardFailed = "Request failed\r\n"
)

func (p *Panel) serveBeward(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	if r.Method != http.MethodGet {
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	switch cgi := strings.TrimPrefix(r.URL.Path, "/cgi-bin/"); {
	case cgi == "systeminfo_cgi" && q.Get("action") == "get":
		fmt.Fprint(w, p.sysinfo())
	case cgi == "config_cgi" && q.Get("action") == "forcesave":
		p.mu.Lock()
		p.saves++
		p.mu.Unlock()
		fmt.Fprint(w, p.okBody())
	case cgi == "rfid_cgi" && p.family == Beward:
		fmt.Fprint(w, p.keyAction(q, tableKeys, "KeyValue", false))
	case cgi == "rfid_cgi" && p.family == BewardMifare && p.bothTables():
		fmt.Fprint(w, p.keyAction(q, tableRfid, "KeyValue", false))
	case cgi == "mifare_cgi" && p.family == BewardMifare:
		fmt.Fprint(w, p.keyAction(q, tableKeys, "Key", true))
	case cgi == "extrfid_cgi" && p.family == BewardMifare:
		fmt.Fprint(w, p.keyAction(q, tableExt, "Key", true))
	case cgi == "apartment_cgi":
		p.bewardApartment(w, q)
	case cgi == "systeminfo_cgi", cgi == "config_cgi":
		fmt.Fprint(w, bewardFailed)
	default:
		http.Error(w, "Error: "+r.URL.Path+" is not defined", http.StatusNotFound)
	}
}

func (p *Panel) sysinfo() string {
	return "DeviceID=" + p.opts.DeviceID + "\r\nDeviceModel=DKS15122\r\nHardwareVersion=1.0.0\r\n" +
		"SoftwareVersion=2.5.0.9\r\nHostName=" + p.opts.DeviceID + "\r\n"
}

// Beward key tables a request may address.
const (
	tableKeys = iota // the listed table: rfid_cgi or mifare_cgi
	tableExt         // extrfid_cgi of a mifare panel
	tableRfid        // rfid_cgi of a mifare panel with both tables
)

func (p *Panel) bothTables() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.opts.Firmware.BothTables
}

// keyAction runs list/add/delete/clear (and, with Firmware.Update, update)
// on one key table; a bare extrfid_cgi (no action) lists it.
// Tables with needType want Type=1 on add, as the SmartYard driver sends.
func (p *Panel) keyAction(q url.Values, which int, codeName string, needType bool) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	table := map[int]map[string]int{tableKeys: p.keys, tableExt: p.ext, tableRfid: p.rfid}[which]
	switch q.Get("action") {
	case "list", "":
		return listBeward(table, codeName, !p.faults.HideFlats, p.faults.Junk)
	case "add":
		if which == tableExt && p.opts.Firmware.ExtNoApartment && q.Has("Apartment") {
			return bewardFailed
		}
		return p.addBeward(table, q, needType)
	case "delete":
		return p.deleteBeward(table, q)
	case "update":
		if p.opts.Firmware.Update && codeName == "KeyValue" {
			return p.updateBeward(table, q)
		}
	case "clear":
		if !p.faults.DropDeletes {
			clear(table)
		}
		return p.okBody()
	}
	return bewardFailed
}

// listBeward lists junk foreign entries (Faults.Junk), then the table.
func listBeward(table map[string]int, codeName string, flats bool, junk int) string {
	var b strings.Builder
	for i := range junk {
		fmt.Fprintf(&b, "%s%d=%s\r\nApartment%d=%da\r\n", codeName, i+1, junkCode(i), i+1, 12+i)
	}
	for i, k := range sorted(table) {
		fmt.Fprintf(&b, "%s%d=%s\r\n", codeName, junk+i+1, k.Code)
		if flats {
			fmt.Fprintf(&b, "Apartment%d=%d\r\n", junk+i+1, k.Flat)
		}
	}
	return b.String()
}

// junkCode is the code of the i-th foreign entry on a Beward list.
func junkCode(i int) string { return fmt.Sprintf("FFFFFFFF%06X", i+1) }

// addBeward stores a new key if its code is normalised, its flat 0..9999 and
// the table has room (a full table refuses with "Request failed", as a
// refused write). With the DropAdds fault it says OK and keeps nothing.
// Nothing shows that Beward add overwrites a key, so the
// emulator refuses a code it already holds: a rebind must delete first.
func (p *Panel) addBeward(table map[string]int, q url.Values, needType bool) string {
	code := q.Get("Key")
	flat, ok := parseFlat(q.Get("Apartment"))
	if !p.codeOK(code) || !ok || needType && q.Get("Type") != "1" {
		return bewardFailed
	}
	if _, exists := table[code]; exists || p.full(table) {
		return bewardFailed
	}
	if !p.faults.DropAdds {
		table[code] = flat
	}
	return p.okBody()
}

// deleteBeward removes a key by Key (refused when absent) or every key of an
// Apartment (0 = all). With the DropDeletes fault it says OK and keeps them.
func (p *Panel) deleteBeward(table map[string]int, q url.Values) string {
	if q.Has("Key") {
		if _, ok := table[q.Get("Key")]; !ok {
			return bewardFailed
		}
		if !p.faults.DropDeletes {
			delete(table, q.Get("Key"))
		}
		return p.okBody()
	}
	flat, err := strconv.Atoi(q.Get("Apartment"))
	if err != nil {
		return bewardFailed
	}
	if p.faults.DropDeletes {
		return p.okBody()
	}
	for code, f := range table {
		if flat == 0 || f == flat {
			delete(table, code)
		}
	}
	return p.okBody()
}

func (p *Panel) full(table map[string]int) bool {
	return p.opts.Capacity > 0 && len(table) >= p.opts.Capacity
}

// validCode accepts only normalised codes: 14 upper-case hex digits.
func validCode(code string) bool {
	if len(code) != 14 {
		return false
	}
	for _, r := range code {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// parseFlat reads an apartment number 0..9999; empty means 0 (not bound).
func parseFlat(s string) (int, bool) {
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && n <= 9999
}
