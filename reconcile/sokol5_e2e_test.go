package reconcile_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestEndToEndSokolRev5 takes a contract on an IS rev.5 Sokol through
// paying, not paying and paying again, against real PostgreSQL and the
// emulator, with a key another system wrote (its own doors, encryption and
// profile) on the panel. The revocation goes as the rev.5 writes: one clear
// and one merge of the whole store, at the session's end; the foreign key
// comes back from that merge exactly as it was listed, and the read-back
// counts the delete.
func TestEndToEndSokolRev5(t *testing.T) {
	const foreign = `{"uuid":"FFFFFFFF00F001","panelCode":7,"encryption":true,"access":{"main":false,"second":true,"gates":{"0":false}},"profileNum":2,"secretValue":"","securityLevel":1,"virtual":false}`
	w := newWorld(t, "sokol", 1)
	p := w.fleet.Panel(0)
	p.SetFirmware(panelsim.Firmware{Rev5: true})
	if err := p.SetSokolStore([]string{foreign}); err != nil {
		t.Fatal(err)
	}
	w.contract(401, "12", true, true, "0000000000AA01", 0)
	w.contract(402, "14", true, true, "0000000000AA02", 0)
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusOK || res.Added != 2 {
		t.Fatalf("first run: got %+v failed %v", res.Summary, res.Failed)
	}
	const all = "0000000000AA01=12 0000000000AA02=14 FFFFFFFF00F001=7 "
	if got := w.keys(0); got != all {
		t.Fatalf("panel: got %q, want %q", got, all)
	}
	checkStoreEntry(t, p, foreign)

	p.ResetRequests()
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 401`)
	res = w.run(reconcile.Request{})
	if res.Status != reconcile.StatusOK || res.Deleted != 1 || w.keys(0) != "0000000000AA02=14 FFFFFFFF00F001=7 " {
		t.Fatalf("stops paying: got %+v failed %v, panel %q", res.Summary, res.Failed, w.keys(0))
	}
	if got, want := writeLines(p), "DELETE /key/store/clear; PUT /key/store/merge"; got != want {
		t.Errorf("stops paying: writes %q, want %q", got, want)
	}
	checkStoreEntry(t, p, foreign)
	owned, err := w.db.OwnedKeysOn(bg, w.panels[0])
	if err != nil || len(owned) != 1 || owned[0].Code != "0000000000AA02" {
		t.Errorf("owned %v, %v: want only AA02's record left", owned, err)
	}

	w.exec(`UPDATE contracts SET cams_paid = true WHERE uid = 401`)
	res = w.run(namedRun(401))
	if res.Status != reconcile.StatusOK || res.Added != 1 || w.keys(0) != all {
		t.Fatalf("pays again: got %+v failed %v, panel %q", res.Summary, res.Failed, w.keys(0))
	}
	checkStoreEntry(t, p, foreign)
	if res := w.run(reconcile.Request{}); res.Added+res.Rebound+res.Deleted != 0 || res.Status != reconcile.StatusOK {
		t.Fatalf("a run after must change nothing: got %+v", res.Summary)
	}
}

// TestEndToEndSokolRev5LostClear: the clear of a revocation's upload is
// applied but its answer lost. The merge still follows, the reconciler
// retries Finish, which finds the store right and sends nothing more; the
// run is ok, the foreign key is there as it was, the debtor's key gone and
// its record with it.
func TestEndToEndSokolRev5LostClear(t *testing.T) {
	const foreign = `{"uuid":"FFFFFFFF00F002","panelCode":9,"encryption":false,"access":{"main":true,"second":false,"gates":{"1":true}},"profileNum":5,"secretValue":"","securityLevel":0,"virtual":true}`
	w := newWorld(t, "sokol", 1)
	p := w.fleet.Panel(0)
	p.SetFirmware(panelsim.Firmware{Rev5: true})
	if err := p.SetSokolStore([]string{foreign}); err != nil {
		t.Fatal(err)
	}
	w.contract(501, "12", true, true, "0000000000AB01", 0)
	w.contract(502, "14", true, true, "0000000000AB02", 0)
	if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK || res.Added != 2 {
		t.Fatalf("first run: got %+v failed %v", res.Summary, res.Failed)
	}
	p.ResetRequests()
	p.SetFaults(panelsim.Faults{LoseAnswer: panelsim.WriteClear})
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 501`)
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusOK || res.Deleted != 1 || w.keys(0) != "0000000000AB02=14 FFFFFFFF00F002=9 " {
		t.Fatalf("stops paying: got %+v failed %v, panel %q", res.Summary, res.Failed, w.keys(0))
	}
	if got, want := writeLines(p), "DELETE /key/store/clear; PUT /key/store/merge"; got != want {
		t.Errorf("writes %q, want %q", got, want)
	}
	checkStoreEntry(t, p, foreign)
	owned, err := w.db.OwnedKeysOn(bg, w.panels[0])
	if err != nil || len(owned) != 1 || owned[0].Code != "0000000000AB02" {
		t.Errorf("owned %v, %v: want only AB02's record left", owned, err)
	}
}

// checkStoreEntry asserts the Sokol lists entry (a JSON object) with every
// field as given.
func checkStoreEntry(t *testing.T, p *panelsim.Panel, entry string) {
	t.Helper()
	var want map[string]any
	if err := json.Unmarshal([]byte(entry), &want); err != nil {
		t.Fatal(err)
	}
	for _, e := range p.SokolStore() {
		var got map[string]any
		if json.Unmarshal([]byte(e), &got) == nil && got["uuid"] == want["uuid"] {
			if !reflect.DeepEqual(got, want) {
				t.Errorf("entry now %s\n want %s", e, entry)
			}
			return
		}
	}
	t.Errorf("entry %s gone from the store %q", entry, p.SokolStore())
}

// writeLines is the key writes a panel received, "METHOD path; ...".
func writeLines(p *panelsim.Panel) string {
	var out []string
	for _, r := range p.Requests() {
		if r.Write {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return strings.Join(out, "; ")
}
