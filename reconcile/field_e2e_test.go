package reconcile_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestSaveAfterCutShortSession: a Beward session that deleted a key, then
// lost the panel in a later write, still sends forcesave, or the delete is
// undone at the panel's next reboot (and its record, seen gone on the next
// run, would be forgotten while the key comes back). Failed before issue 13:
// a session cut short sent no forcesave.
func TestSaveAfterCutShortSession(t *testing.T) {
	for _, family := range []string{"beward", "beward-mifare"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 1)
			w.runner.Opts.MaxRevoke = 1
			w.contract(871, "1", true, true, "0000000000AF11", 0)
			w.contract(872, "2", true, true, "0000000000AF12", 0)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 2 {
				t.Fatalf("first run: got %+v", res.Summary)
			}
			w.exec(`UPDATE contracts SET cams_paid = false`)
			p := w.fleet.Panel(0)
			saves := p.Saves()
			var deletes atomic.Int32
			p.SetHook(func(ctx context.Context, r panelsim.Request) {
				if r.Write {
					deletes.Add(1)
				}
				// The first key's delete goes through; then the panel
				// answers no write or listing, only the save.
				if deletes.Load() > 1 && (r.Write || strings.Contains(r.Query, "action=list")) {
					<-ctx.Done()
					panic(http.ErrAbortHandler)
				}
			})
			res := w.run(reconcile.Request{})
			p.SetHook(nil)
			if res.Status != reconcile.StatusPartial {
				t.Fatalf("got %+v: want partial, the panel stopped answering", res.Summary)
			}
			if p.Saves() != saves+1 {
				t.Fatalf("saves %d, want %d: the delete that went through must be saved", p.Saves(), saves+1)
			}
		})
	}
}

// TestSokolClearAndMerge: a Sokol holding only yardsync's keys, with many
// revocations due, gets DELETE /key/store/clear and one merge instead of a
// delete per key; with a foreign key on it, deletes go one by one and the
// foreign key stays.
func TestSokolClearAndMerge(t *testing.T) {
	for _, foreign := range []bool{false, true} {
		t.Run(fmt.Sprintf("foreign=%v", foreign), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "sokol", 1)
			w.runner.Opts.MaxRevoke = 1
			p := w.fleet.Panel(0)
			if foreign {
				p.SetKeys([]reconcile.PanelKey{{Code: "0000000000FFFF", Flat: 9}})
			}
			for i := range 6 {
				w.contract(880+i, strconv.Itoa(i+1), true, true, fmt.Sprintf("0000000000B0%02X", i), 0)
			}
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 6 {
				t.Fatalf("first run: got %+v", res.Summary)
			}
			w.exec(`UPDATE contracts SET cams_paid = false WHERE uid >= 882`)
			p.ResetRequests()
			res := w.run(reconcile.Request{})
			if res.Status != reconcile.StatusOK || res.Deleted != 4 {
				t.Fatalf("got %+v (failed %v), want 4 deleted", res.Summary, res.Failed)
			}
			writes := 0
			for _, r := range p.Requests() {
				if r.Write {
					writes++
				}
			}
			want, keys := 2, "0000000000B000=1 0000000000B001=2 "
			if foreign {
				want, keys = 4, "0000000000B000=1 0000000000B001=2 0000000000FFFF=9 "
			}
			if writes != want || w.keys(0) != keys {
				t.Errorf("%d writes, panel %q; want %d writes, panel %q", writes, w.keys(0), want, keys)
			}
			noOpRuns(t, w, 2)
		})
	}
}

// TestAXIOSTVFleetConverges is issue 13's done-when: a fleet pre-filled as
// the AXIOSTV server leaves it (codes short and lower case, no flats on
// Beward, a mifare Beward's keys in its rfid_cgi table, next to a card no
// contract has) converges in one run with no duplicate cards; two no-op runs
// then write nothing; when its contracts stop paying, their cards go and the
// card no contract has stays (prune: owned).
func TestAXIOSTVFleetConverges(t *testing.T) {
	const foreign = "00000000ffee01"
	codes := []string{"0a1b2c3d4e", "3375a686", "00c0ffee11"}
	for _, family := range []string{"beward", "beward-mifare", "sokol"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 2)
			w.runner.Opts.MaxRevoke = 1
			for i, raw := range codes {
				code, err := reconcile.NormalizeKey(raw)
				if err != nil {
					t.Fatal(err)
				}
				w.contract(990+i, strconv.Itoa(10+i), true, true, code, 0, 1)
			}
			for i := range 2 {
				prefillAXIOSTV(w.fleet.Panel(i), append(slices.Clone(codes), foreign))
			}
			res := w.run(reconcile.Request{})
			if res.Status != reconcile.StatusOK || res.Added != 0 {
				t.Fatalf("first run: got %+v (failed %v), want ok and no card added anew", res.Summary, res.Failed)
			}
			for i := range 2 {
				checkCards(t, w.fleet.Panel(i), map[string]int{"00000A1B2C3D4E": 10, "0000003375A686": 11, "000000C0FFEE11": 12}, foreign)
			}
			noOpRuns(t, w, 2)
			w.exec(`UPDATE contracts SET cams_paid = false`)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Deleted != 2*len(codes) {
				t.Fatalf("revoked: got %+v (failed %v), want %d cards deleted", res.Summary, res.Failed, 2*len(codes))
			}
			for i := range 2 {
				checkCards(t, w.fleet.Panel(i), map[string]int{}, foreign)
			}
		})
	}
}

// prefillAXIOSTV writes codes as the AXIOSTV server did: verbatim, unbound,
// in rfid_cgi (a mifare Beward's second table), on firmware that lists no
// flats on Beward and takes short lower-case codes.
func prefillAXIOSTV(p *panelsim.Panel, codes []string) {
	var keys []reconcile.PanelKey
	for _, c := range codes {
		keys = append(keys, reconcile.PanelKey{Code: c})
	}
	p.SetFirmware(panelsim.Firmware{BothTables: true, LooseCodes: true})
	switch p.Family() {
	case panelsim.BewardMifare:
		p.SetRfidKeys(keys)
		p.SetFaults(panelsim.Faults{HideFlats: true})
	case panelsim.Beward:
		p.SetKeys(keys)
		p.SetFaults(panelsim.Faults{HideFlats: true})
	default:
		p.SetKeys(keys)
	}
}

// checkCards fails unless the panel holds each wanted card exactly once over
// all its tables, on its flat, plus the foreign card, and nothing else.
func checkCards(t *testing.T, p *panelsim.Panel, want map[string]int, foreign string) {
	t.Helper()
	held := map[string][]int{}
	for _, k := range slices.Concat(p.Keys(), p.RfidKeys()) {
		code, err := reconcile.NormalizeKey(k.Code)
		if err != nil {
			t.Fatalf("panel holds %q: not a card", k.Code)
		}
		held[code] = append(held[code], k.Flat)
	}
	fcode, _ := reconcile.NormalizeKey(foreign)
	if len(held[fcode]) != 1 {
		t.Errorf("foreign card held %d times, want once", len(held[fcode]))
	}
	delete(held, fcode)
	for code, flat := range want {
		if got := held[code]; len(got) != 1 || got[0] != flat {
			t.Errorf("card %s held on flats %v, want once on %d", code, got, flat)
		}
		delete(held, code)
	}
	if len(held) != 0 {
		t.Errorf("cards held that no one wants: %v", held)
	}
	if p.Family() == panelsim.BewardMifare && !slices.Equal(p.Keys(), p.ExtKeys()) {
		t.Errorf("mifare %v, extrfid %v: want the same cards in both", p.Keys(), p.ExtKeys())
	}
}

// TestVariantsNoOp: on every firmware variant, a run that adds and rebinds
// keys is followed by two no-op runs that write nothing.
func TestVariantsNoOp(t *testing.T) {
	cases := []struct {
		family string
		name   string
		fw     panelsim.Firmware
		flats  bool
	}{
		{"beward", "no-flats", panelsim.Firmware{}, false},
		{"beward", "empty-body", panelsim.Firmware{WriteBody: panelsim.BodyEmpty}, true},
		{"beward", "success-body", panelsim.Firmware{WriteBody: "Success"}, true},
		{"beward-mifare", "both-tables", panelsim.Firmware{BothTables: true}, true},
		{"beward-mifare", "ext-no-apartment", panelsim.Firmware{ExtNoApartment: true}, true},
		{"beward-mifare", "no-flats+empty-body", panelsim.Firmware{WriteBody: panelsim.BodyEmpty}, false},
		{"sokol", "merge-keeps-flat", panelsim.Firmware{MergeKeepsFlat: true}, true},
		{"sokol", "no-key-settings+loose-codes", panelsim.Firmware{NoKeySettings: true, LooseCodes: true}, true},
	}
	for _, tc := range cases {
		t.Run(tc.family+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, tc.family, 1)
			p := w.fleet.Panel(0)
			p.SetFirmware(tc.fw)
			p.SetFaults(panelsim.Faults{HideFlats: !tc.flats})
			p.SetKeys([]reconcile.PanelKey{{Code: "0000000000C101", Flat: 99}}) // on the wrong flat: a rebind
			w.contract(1101, "5", true, true, "0000000000C101", 0)
			w.contract(1102, "6", true, true, "0000000000C102", 0)
			if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 1 || res.Rebound != 1 {
				t.Fatalf("first run: got %+v (failed %v), want one add and one rebind", res.Summary, res.Failed)
			}
			if got := w.keys(0); got != "0000000000C101=5 0000000000C102=6 " {
				t.Fatalf("panel holds %q", got)
			}
			noOpRuns(t, w, 2)
		})
	}
}
