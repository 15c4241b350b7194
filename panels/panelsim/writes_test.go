package panelsim_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

const other = "04A1B2C3D4E5F6"

// dialect is how a family writes and lists keys, with its success answers.
type dialect struct {
	family string
	add    func(code string, flat int) exchange
	del    func(code string) exchange
	clear  exchange
	list   func(want string) exchange // want: the listing's exact body
}

var dialects = []dialect{
	{family: panelsim.Beward,
		add: func(c string, f int) exchange {
			return exchange{"GET", "/cgi-bin/rfid_cgi?action=add&Key=" + c + "&Apartment=" + strconv.Itoa(f), "", "", 200, "OK\r\n"}
		},
		del: func(c string) exchange {
			return exchange{"GET", "/cgi-bin/rfid_cgi?action=delete&Key=" + c, "", "", 200, "OK\r\n"}
		},
		clear: exchange{"GET", "/cgi-bin/rfid_cgi?action=clear", "", "", 200, "OK\r\n"},
		list:  func(want string) exchange { return exchange{"GET", "/cgi-bin/rfid_cgi?action=list", "", "", 200, want} },
	},
	{family: panelsim.Sokol,
		add: func(c string, f int) exchange {
			return exchange{"PUT", "/key/store/merge", "application/json", `[{"uuid":"` + c + `","panelCode":` + strconv.Itoa(f) + `}]`, 200, ""}
		},
		del:   func(c string) exchange { return exchange{"DELETE", "/key/store/" + c, "", "", 200, ""} },
		clear: exchange{"DELETE", "/key/store/clear", "", "", 200, ""},
		list:  func(want string) exchange { return exchange{"GET", "/key/store", "", "", 200, want} },
	},
}

// TestLateApply: writes are acknowledged at once and applied LateApply
// later, in the order sent, also those sent after the fault is switched
// off while earlier ones wait; a listing meanwhile shows nothing yet.
func TestLateApply(t *testing.T) {
	const late = time.Second
	empty := map[string]string{panelsim.Beward: "", panelsim.Sokol: "[]\n"}
	for _, d := range dialects {
		t.Run(d.family, func(t *testing.T) {
			t.Parallel()
			p := panelsim.New(d.family, panelsim.Options{Faults: panelsim.Faults{LateApply: late}})
			base := serve(t, p)
			start := time.Now()
			// applied out of order, code would end up gone or on flat 1
			run(t, base, []exchange{d.add(code, 1), d.del(code), d.add(code, 2), d.add(other, 3), d.list(empty[d.family])})
			if n := p.Pending(); n != 4 || len(p.Keys()) != 0 {
				t.Fatalf("at once: %d pending, keys %v; want 4 pending and none applied", n, p.Keys())
			}
			p.SetFaults(panelsim.Faults{})
			run(t, base, []exchange{d.del(other)}) // joins the queue behind the others
			eventually(t, "the queue to drain", func() bool { return p.Pending() == 0 })
			if took := time.Since(start); took < late {
				t.Errorf("applied after %v, want %v or more", took, late)
			}
			if want := []reconcile.PanelKey{{Code: code, Flat: 2}}; !slices.Equal(p.Keys(), want) {
				t.Errorf("keys %v, want %v: the writes applied in order", p.Keys(), want)
			}
		})
	}
}

// TestWriteDelay: a slow write lands although its client gave up, and a
// patient client gets its answer after the delay.
func TestWriteDelay(t *testing.T) {
	const delay = 300 * time.Millisecond
	for _, d := range dialects {
		t.Run(d.family, func(t *testing.T) {
			t.Parallel()
			p := panelsim.New(d.family, panelsim.Options{Faults: panelsim.Faults{WriteDelay: delay}})
			base := serve(t, p)
			a := d.add(code, 1)
			start := time.Now()
			if _, _, err := send(a.method, base+a.path, a.contentType, a.body, 50*time.Millisecond); err == nil {
				t.Fatal("a write slower than the client's timeout answered")
			}
			eventually(t, "the abandoned write to land", func() bool { return len(p.Keys()) == 1 })
			if took := time.Since(start); took < delay {
				t.Errorf("applied after %v, want the delay of %v", took, delay)
			}
			start = time.Now()
			run(t, base, []exchange{d.add(other, 2)})
			if took := time.Since(start); took < delay {
				t.Errorf("answered after %v, want the delay of %v", took, delay)
			}
			if want := []reconcile.PanelKey{{Code: code, Flat: 1}, {Code: other, Flat: 2}}; !slices.Equal(p.Keys(), want) {
				t.Errorf("keys %v, want %v", p.Keys(), want)
			}
		})
	}
}

// TestLoseAnswer: writes of the named kinds are applied and their answer is
// lost, every time; other writes are answered.
func TestLoseAnswer(t *testing.T) {
	lose, err := panelsim.ParseWrites("merge,clear")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dialects {
		t.Run(d.family, func(t *testing.T) {
			t.Parallel()
			p := panelsim.New(d.family, panelsim.Options{Faults: panelsim.Faults{LoseAnswer: lose}})
			base := serve(t, p)
			lost := func(e exchange) {
				t.Helper()
				if status, body, err := send(e.method, base+e.path, e.contentType, e.body, time.Second); err == nil {
					t.Errorf("%s %s: answered %d %q, want the connection reset", e.method, e.path, status, body)
				}
			}
			for range 2 {
				lost(d.add(code, 1))
			}
			if want := []reconcile.PanelKey{{Code: code, Flat: 1}}; !slices.Equal(p.Keys(), want) {
				t.Errorf("after lost adds: keys %v, want %v", p.Keys(), want)
			}
			lost(d.add(other, 2))
			run(t, base, []exchange{d.del(code)}) // not a lost kind
			if want := []reconcile.PanelKey{{Code: other, Flat: 2}}; !slices.Equal(p.Keys(), want) {
				t.Errorf("after the delete: keys %v, want %v", p.Keys(), want)
			}
			lost(d.clear)
			if len(p.Keys()) != 0 {
				t.Errorf("after a lost clear: keys %v, want none", p.Keys())
			}
		})
	}
}

// TestRebootAfter: the n-th key write since the faults were set empties
// every table, once; the panel serves on.
func TestRebootAfter(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.family, func(t *testing.T) {
			p := panelsim.New(d.family, panelsim.Options{})
			p.SetKeys([]reconcile.PanelKey{{Code: "00000000C0FFEE", Flat: 9}})
			base := serve(t, p)
			run(t, base, []exchange{d.add("0000000000AA01", 1)}) // before the fault: not counted
			p.SetFaults(panelsim.Faults{RebootAfter: 3})
			run(t, base, []exchange{d.add(code, 1), d.add(other, 2)})
			if n := len(p.Keys()); n != 4 {
				t.Fatalf("after 2 writes: keys %v, want 4", p.Keys())
			}
			run(t, base, []exchange{d.del(other)})
			if n := len(p.Keys()); n != 0 {
				t.Fatalf("after the 3rd write: keys %v, want none", p.Keys())
			}
			run(t, base, []exchange{d.add(code, 4), d.add(other, 5), d.add("0000000000AA01", 6)})
			if n := len(p.Keys()); n != 3 {
				t.Errorf("after the reboot: keys %v, want the 3 new ones (once only)", p.Keys())
			}
		})
	}
	t.Run(panelsim.BewardMifare, func(t *testing.T) {
		p := panelsim.New(panelsim.BewardMifare, panelsim.Options{Firmware: panelsim.Firmware{BothTables: true}})
		p.SetKeys([]reconcile.PanelKey{{Code: code, Flat: 1}})
		p.SetRfidKeys([]reconcile.PanelKey{{Code: other, Flat: 2}})
		p.SetFaults(panelsim.Faults{RebootAfter: 1})
		run(t, serve(t, p), []exchange{
			{"GET", "/cgi-bin/extrfid_cgi?action=add&Key=0000000000AA01&Type=1", "", "", 200, "OK\r\n"},
		})
		if len(p.Keys())+len(p.ExtKeys())+len(p.RfidKeys()) != 0 {
			t.Errorf("mifare %v, extrfid %v, rfid %v: want every table empty", p.Keys(), p.ExtKeys(), p.RfidKeys())
		}
	})
}

// TestJunk: listings carry foreign entries yardsync cannot read, before the
// keys; no write touches them.
func TestJunk(t *testing.T) {
	junk := "KeyValue1=FFFFFFFF000001\r\nApartment1=12a\r\nKeyValue2=FFFFFFFF000002\r\nApartment2=13a\r\n"
	t.Run(panelsim.Beward, func(t *testing.T) {
		p := panelsim.New(panelsim.Beward, panelsim.Options{Faults: panelsim.Faults{Junk: 2}})
		p.SetKeys([]reconcile.PanelKey{{Code: code, Flat: 7}})
		base := serve(t, p)
		run(t, base, []exchange{
			{"GET", "/cgi-bin/rfid_cgi?action=list", "", "", 200, junk + "KeyValue3=" + code + "\r\nApartment3=7\r\n"},
			{"GET", "/cgi-bin/rfid_cgi?action=delete&Key=FFFFFFFF000001", "", "", 200, "Request failed\r\n"},
			{"GET", "/cgi-bin/rfid_cgi?action=clear", "", "", 200, "OK\r\n"},
			{"GET", "/cgi-bin/rfid_cgi?action=list", "", "", 200, junk},
		})
		p.SetFaults(panelsim.Faults{Junk: 1, HideFlats: true})
		p.SetKeys([]reconcile.PanelKey{{Code: code, Flat: 7}})
		run(t, base, []exchange{
			{"GET", "/cgi-bin/rfid_cgi?action=list", "", "", 200, "KeyValue1=FFFFFFFF000001\r\nApartment1=12a\r\nKeyValue2=" + code + "\r\n"},
		})
	})
	t.Run(panelsim.BewardMifare, func(t *testing.T) {
		p := panelsim.New(panelsim.BewardMifare, panelsim.Options{Faults: panelsim.Faults{Junk: 1}})
		run(t, serve(t, p), []exchange{
			{"GET", "/cgi-bin/mifare_cgi?action=list", "", "", 200, "Key1=FFFFFFFF000001\r\nApartment1=12a\r\n"},
		})
	})
	t.Run(panelsim.Sokol, func(t *testing.T) {
		p := panelsim.New(panelsim.Sokol, panelsim.Options{Faults: panelsim.Faults{Junk: 2}})
		p.SetKeys([]reconcile.PanelKey{{Code: code, Flat: 7}})
		base := serve(t, p)
		_, body := call(t, "GET", base+"/key/store", "", "")
		var store []map[string]any
		if err := json.Unmarshal([]byte(body), &store); err != nil || len(store) != 3 {
			t.Fatalf("store %s: %v; want 2 foreign entries and the key", body, err)
		}
		for i, e := range store {
			if _, has := e["uuid"]; has != (i == 2) || e["panelCode"] != float64(map[int]int{0: 12, 1: 13, 2: 7}[i]) {
				t.Errorf("entry %d: %v", i, e)
			}
		}
		if want := []reconcile.PanelKey{{Code: code, Flat: 7}}; !slices.Equal(p.Keys(), want) {
			t.Errorf("keys %v, want %v: foreign entries are in no table", p.Keys(), want)
		}
		// A clear empties the whole store, the foreign entries too.
		run(t, base, []exchange{{"DELETE", "/key/store/clear", "", "", 200, ""}})
		if _, body := call(t, "GET", base+"/key/store", "", ""); body != "[]\n" && body != "[]" {
			t.Errorf("store after a clear %q, want empty", body)
		}
	})
}

// TestWriteFaultsSpareOtherRequests: the write faults leave lists, probes,
// saves and requests to tables the panel lacks as they are.
func TestWriteFaultsSpareOtherRequests(t *testing.T) {
	all, _ := panelsim.ParseWrites("add,delete,clear,update")
	p := panelsim.New(panelsim.Beward, panelsim.Options{Faults: panelsim.Faults{LateApply: time.Hour, WriteDelay: time.Hour, LoseAnswer: all}})
	run(t, serve(t, p), []exchange{
		{"GET", "/cgi-bin/extrfid_cgi", "", "", 404, "Error: /cgi-bin/extrfid_cgi is not defined\n"},
		{"GET", "/cgi-bin/mifare_cgi?action=add&Key=" + code + "&Type=1", "", "", 404, "Error: /cgi-bin/mifare_cgi is not defined\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=update&Key=" + code + "&Apartment=1", "", "", 200, "Request failed\r\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=list", "", "", 200, ""},
		{"GET", "/cgi-bin/config_cgi?action=forcesave", "", "", 200, "OK\r\n"},
	})
	for _, r := range p.Requests() {
		if r.Write {
			t.Errorf("%s %s?%s logged as a key write", r.Method, r.Path, r.Query)
		}
	}
}

func TestParseWrites(t *testing.T) {
	w, err := panelsim.ParseWrites(" clear, merge ,delete")
	if err != nil || w != panelsim.WriteClear|panelsim.WriteAdd|panelsim.WriteDelete || w.String() != "add,delete,clear" {
		t.Errorf("got %v (%q), %v", w, w.String(), err)
	}
	if w, err := panelsim.ParseWrites(""); err != nil || w != 0 {
		t.Errorf("empty list: %v, %v", w, err)
	}
	if _, err := panelsim.ParseWrites("add,purge"); err == nil || !strings.Contains(err.Error(), `"purge"`) {
		t.Errorf("got %v, want an error naming purge", err)
	}
}
