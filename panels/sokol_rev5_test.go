package panels_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// foreign are store entries another system wrote, with fields of their own
// that a rev.5 upload must carry as they were.
var foreign = []string{
	`{"uuid":"FFFFFFFF000001","panelCode":7,"encryption":true,"access":{"main":false,"second":true,"gates":{"0":false,"1":true}},"profileNum":3,"secretValue":"c2VjcmV0","securityLevel":2,"virtual":true}`,
	`{"uuid":"FFFFFFFF000002","panelCode":0,"encryption":false,"access":{"main":true,"second":false,"gates":{}},"profileNum":1,"secretValue":"","securityLevel":0,"virtual":false,"note":"lobby"}`,
}

// rev5Panel starts a rev.5 Sokol holding the foreign entries and keys.
func rev5Panel(t *testing.T, keys []reconcile.PanelKey, f panelsim.Faults, timeout time.Duration) (*panelsim.Panel, *panels.Client) {
	t.Helper()
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{Firmware: panelsim.Firmware{Rev5: true}, Faults: f}, timeout)
	entries := slices.Clone(foreign)
	for _, k := range keys {
		b, _ := json.Marshal(map[string]any{"uuid": k.Code, "panelCode": k.Flat})
		entries = append(entries, string(b))
	}
	if err := sim.SetSokolStore(entries); err != nil {
		t.Fatal(err)
	}
	return sim, c
}

// checkForeign asserts the store lists every foreign entry with its fields
// as they were set.
func checkForeign(t *testing.T, sim *panelsim.Panel) {
	t.Helper()
	listed := map[string]any{}
	for _, e := range sim.SokolStore() {
		var v map[string]any
		if err := json.Unmarshal([]byte(e), &v); err == nil {
			if uuid, _ := v["uuid"].(string); uuid != "" {
				listed[uuid] = v
			}
		}
	}
	for _, e := range foreign {
		var want map[string]any
		if err := json.Unmarshal([]byte(e), &want); err != nil {
			t.Fatal(err)
		}
		if got := listed[want["uuid"].(string)]; !reflect.DeepEqual(got, want) {
			t.Errorf("foreign entry now %v\n want %v", got, want)
		}
	}
}

// keyWrites returns the key writes the panel received, as request lines.
func keyWrites(sim *panelsim.Panel) []string {
	var out []string
	for _, r := range sim.Requests() {
		if r.Write {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// TestSokolRev5Upload: a rev.5 session's delete and rebind are held until
// Finish, then sent as one clear and one merge of the whole store, which
// carries the foreign entries (encryption, doors, profiles, unknown fields)
// exactly; the read-back shows the result.
func TestSokolRev5Upload(t *testing.T) {
	ctx := context.Background()
	keys := makeKeys(3, 0)
	sim, c := rev5Panel(t, keys, panelsim.Faults{}, time.Second)
	listed := sim.SokolStore() // each entry's object, as the listing sends it
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteKey(ctx, keys[0].Code); err != nil {
		t.Fatal(err)
	}
	rebound := reconcile.PanelKey{Code: keys[1].Code, Flat: 42}
	if err := c.AddKeys(ctx, []reconcile.PanelKey{rebound, keys[2]}); err != nil {
		t.Fatal(err)
	}
	if w := keyWrites(sim); len(w) != 0 {
		t.Fatalf("writes before Finish: %q", w)
	}
	if err := c.Finish(ctx); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if w, want := keyWrites(sim), []string{"DELETE /key/store/clear", "PUT /key/store/merge"}; !slices.Equal(w, want) {
		t.Errorf("writes %q, want %q", w, want)
	}
	for _, r := range sim.Requests() {
		if r.Path == "/key/store/merge" && (!strings.Contains(r.Body, listed[2]) || !strings.Contains(r.Body, listed[3]) || !strings.Contains(r.Body, listed[4])) {
			t.Errorf("merge %s does not carry the foreign entries and %s as listed: %q", r.Body, keys[2].Code, listed)
		}
	}
	checkForeign(t, sim)
	got, err := c.ListKeys(ctx)
	want := []reconcile.PanelKey{{Code: "FFFFFFFF000001", Flat: 7}, {Code: "FFFFFFFF000002", Flat: 0}, rebound, keys[2]}
	slices.SortFunc(got, func(a, b reconcile.PanelKey) int { return strings.Compare(a.Code, b.Code) })
	slices.SortFunc(want, func(a, b reconcile.PanelKey) int { return strings.Compare(a.Code, b.Code) })
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("read-back %v, %v; want %v", got, err, want)
	}
	n := len(sim.Requests())
	if err := c.Finish(ctx); err != nil || len(sim.Requests()) != n {
		t.Errorf("second Finish: %v, %d requests; want nothing sent", err, len(sim.Requests())-n)
	}
}

// TestSokolRev5Replace: on a rev.5 ReplaceKeys (the reconciler's whole-table
// plan) is held like any write: Finish clears and merges once, and a key
// kept on its flat goes back as listed, with the doors it had.
func TestSokolRev5Replace(t *testing.T) {
	ctx := context.Background()
	keys := makeKeys(3, 0)
	sim, c := startPanel(t, panelsim.Sokol, reconcile.PanelSokol, panelsim.Options{Firmware: panelsim.Firmware{Rev5: true}}, time.Second)
	kept := `{"uuid":"` + keys[0].Code + `","panelCode":1,"access":{"main":true,"second":false,"gates":{}},"profileNum":4}`
	if err := sim.SetSokolStore([]string{kept, `{"uuid":"` + keys[1].Code + `","panelCode":2}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	want := []reconcile.PanelKey{keys[0], keys[2]}
	if err := c.ReplaceKeys(ctx, want); err != nil {
		t.Fatal(err)
	}
	if w := keyWrites(sim); len(w) != 0 {
		t.Fatalf("writes before Finish: %q", w)
	}
	if err := c.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if w, wantW := keyWrites(sim), []string{"DELETE /key/store/clear", "PUT /key/store/merge"}; !slices.Equal(w, wantW) {
		t.Errorf("writes %q, want %q", w, wantW)
	}
	if !slices.Equal(sim.Keys(), want) {
		t.Errorf("store %v, want %v", sim.Keys(), want)
	}
	if store := sim.SokolStore(); !strings.Contains(store[0], `"profileNum":4`) || !strings.Contains(store[0], `"second":false`) {
		t.Errorf("kept key now %s, want its doors and profile as listed", store[0])
	}
}

// TestSokolRev5KeyByKey: a store with an entry yardsync cannot read (no
// uuid) is never cleared: the writes go one by one, at once, and the entry
// stays. A session that would grow the store goes key by key too (a merge
// that did not fit after a clear would leave the panel empty).
func TestSokolRev5KeyByKey(t *testing.T) {
	ctx := context.Background()
	keys := makeKeys(3, 0)
	t.Run("unreadable", func(t *testing.T) {
		sim, c := rev5Panel(t, keys[:2], panelsim.Faults{Junk: 1}, time.Second)
		if _, err := c.ListKeys(ctx); err != nil || c.Skipped() != 1 {
			t.Fatalf("list: %v, skipped %d", err, c.Skipped())
		}
		if err := c.DeleteKey(ctx, keys[0].Code); err != nil {
			t.Fatal(err)
		}
		if err := c.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		if w, want := keyWrites(sim), []string{"DELETE /key/store/" + keys[0].Code}; !slices.Equal(w, want) {
			t.Errorf("writes %q, want %q", w, want)
		}
		if store := sim.SokolStore(); !strings.Contains(store[0], `"panelCode":12`) || strings.Contains(store[0], "uuid") {
			t.Errorf("the entry with no uuid is gone: %q", store)
		}
		checkForeign(t, sim)
	})
	t.Run("growing", func(t *testing.T) {
		sim, c := rev5Panel(t, keys[:1], panelsim.Faults{}, time.Second)
		if _, err := c.ListKeys(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.AddKeys(ctx, keys[1:]); err != nil {
			t.Fatal(err)
		}
		if w := keyWrites(sim); len(w) != 0 {
			t.Fatalf("writes before Finish: %q", w)
		}
		if err := c.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		if w, want := keyWrites(sim), []string{"PUT /key/store/merge"}; !slices.Equal(w, want) {
			t.Errorf("writes %q, want %q", w, want)
		}
		if got := sim.Keys(); len(got) != 5 {
			t.Errorf("store %v, want 2 foreign and 3 keys", got)
		}
		checkForeign(t, sim)
	})
}

// TestSokolRev5LostClear: the clear's answer is lost (the panel cleared):
// the merge still goes, one request timeout later, and the store ends whole;
// Finish reports the clear, and a retried Finish finds the store right and
// sends nothing.
func TestSokolRev5LostClear(t *testing.T) {
	ctx := context.Background()
	keys := makeKeys(2, 0)
	const timeout = 300 * time.Millisecond
	sim, c := rev5Panel(t, keys, panelsim.Faults{LoseAnswer: panelsim.WriteClear}, timeout)
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteKey(ctx, keys[0].Code); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := c.Finish(ctx)
	if err == nil || !reconcile.IsTransient(err) {
		t.Errorf("Finish = %v, want the lost clear's transient error", err)
	}
	if took := time.Since(start); took < timeout {
		t.Errorf("merge after %v, want at least one request timeout after the lost clear", took)
	}
	if w, want := keyWrites(sim), []string{"DELETE /key/store/clear", "PUT /key/store/merge"}; !slices.Equal(w, want) {
		t.Errorf("writes %q, want %q", w, want)
	}
	checkForeign(t, sim)
	if got := sim.Keys(); len(got) != 3 || slices.ContainsFunc(got, func(k reconcile.PanelKey) bool { return k.Code == keys[0].Code }) {
		t.Errorf("store %v, want the foreign entries and %s", got, keys[1].Code)
	}
	n := len(keyWrites(sim))
	if err := c.Finish(ctx); err != nil || len(keyWrites(sim)) != n {
		t.Errorf("retried Finish: %v, writes %q; want none", err, keyWrites(sim)[n:])
	}
}

// TestSokolRev5MergeRetried: clear and merge both fail (500; the clear
// may have emptied the store all the same): a retried Finish lists the
// store and puts back every entry the clear took, foreign ones included,
// from what the session read before it, with the delete made.
func TestSokolRev5MergeRetried(t *testing.T) {
	ctx := context.Background()
	keys := makeKeys(2, 0)
	sim, c := rev5Panel(t, keys, panelsim.Faults{}, time.Second)
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteKey(ctx, keys[0].Code); err != nil {
		t.Fatal(err)
	}
	sim.SetFaults(panelsim.Faults{ErrorRate: 1})
	if err := c.Finish(ctx); err == nil || !reconcile.IsTransient(err) {
		t.Fatalf("Finish with every request answered 500: %v, want a transient error", err)
	}
	if w, want := keyWrites(sim), []string{"DELETE /key/store/clear", "PUT /key/store/merge"}; !slices.Equal(w, want) {
		t.Errorf("writes %q, want %q: the merge follows a failed clear", w, want)
	}
	sim.SetKeys(nil) // as if the clear had landed before its 500
	sim.SetFaults(panelsim.Faults{})
	if err := c.Finish(ctx); err != nil {
		t.Fatalf("retried Finish: %v", err)
	}
	checkForeign(t, sim)
	if got := sim.Keys(); len(got) != 3 || slices.ContainsFunc(got, func(k reconcile.PanelKey) bool { return k.Code == keys[0].Code }) {
		t.Errorf("store %v, want the foreign entries and %s back, %s gone", got, keys[1].Code, keys[0].Code)
	}
}

// TestSokolRev5Faltering: a panel whose last request went unanswered gets
// no clear at the session's end unless it answers a listing first; the
// held writes wait for a Finish that can list.
func TestSokolRev5Faltering(t *testing.T) {
	ctx := context.Background()
	keys := makeKeys(2, 0)
	sim, c := rev5Panel(t, keys, panelsim.Faults{}, 200*time.Millisecond)
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteKey(ctx, keys[0].Code); err != nil {
		t.Fatal(err)
	}
	sim.SetFaults(panelsim.Faults{Hang: true})
	if _, err := c.Ping(ctx); err == nil {
		t.Fatal("Ping of a hanging panel: nil error")
	}
	sim.SetFaults(panelsim.Faults{ErrorRate: 1})
	if err := c.Finish(ctx); err == nil || !reconcile.IsTransient(err) {
		t.Errorf("Finish = %v, want the listing's transient error", err)
	}
	if w := keyWrites(sim); len(w) != 0 {
		t.Errorf("writes %q to a panel that does not answer, want none", w)
	}
	sim.SetFaults(panelsim.Faults{})
	if err := c.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if w, want := keyWrites(sim), []string{"DELETE /key/store/clear", "PUT /key/store/merge"}; !slices.Equal(w, want) {
		t.Errorf("writes %q, want %q", w, want)
	}
	checkForeign(t, sim)
}

// TestSokolProbeUnreadable: a /system/info answer that cannot be read is
// a rev.2 (always safe): the listing works and writes go at once.
func TestSokolProbeUnreadable(t *testing.T) {
	ctx := context.Background()
	sim := panelsim.New(panelsim.Sokol, panelsim.Options{Login: "admin", Password: testPassword, Firmware: panelsim.Firmware{Rev5: true}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/system/info" {
			_, _ = w.Write([]byte("<html>ISCom X1 rev.5</html>"))
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := mustClient(t, srv, reconcile.PanelSokol, "admin", testPassword, time.Second)
	if _, err := c.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.AddKeys(ctx, makeKeys(1, 0)); err != nil {
		t.Fatal(err)
	}
	if w := keyWrites(sim); len(w) != 1 || len(sim.Keys()) != 1 {
		t.Errorf("writes %q, keys %v: want the merge at once, as on a rev.2", w, sim.Keys())
	}
}

// TestSokolRev5Probe: the revision is probed once per panel address
// (clients of one Dialer share it); a rev.2 writes at once.
func TestSokolRev5Probe(t *testing.T) {
	ctx := context.Background()
	for _, rev5 := range []bool{false, true} {
		sim := panelsim.New(panelsim.Sokol, panelsim.Options{Login: "admin", Password: testPassword, Firmware: panelsim.Firmware{Rev5: rev5}})
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		host, port := hostPort(t, srv.Listener.Addr())
		dial := panels.Dialer(panels.Options{Port: port, Timeout: time.Second})
		for i, k := range makeKeys(3, 0) {
			p, err := dial(reconcile.PanelDevice{ID: 1, Family: reconcile.PanelSokol, IP: host, Login: "admin", Password: testPassword})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.AddKeys(ctx, []reconcile.PanelKey{k}); err != nil {
				t.Fatal(err)
			}
			if sent := len(keyWrites(sim)); rev5 && sent != i || !rev5 && sent != i+1 {
				t.Errorf("rev5 %v: %d writes after AddKeys of session %d", rev5, sent, i+1)
			}
			if err := p.Finish(ctx); err != nil {
				t.Fatal(err)
			}
		}
		probes := 0
		for _, r := range sim.Requests() {
			if r.Path == "/system/info" {
				probes++
			}
		}
		if probes != 1 || len(sim.Keys()) != 3 {
			t.Errorf("rev5 %v: %d probes, keys %v; want 1 probe and 3 keys", rev5, probes, sim.Keys())
		}
	}
}
