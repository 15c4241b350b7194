package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"yardsync/panels/panelsim"
)

// TestRefusedWritesShowFailing: a panel that lists its keys but refuses
// writes is failing in `panels --failing`, in panels/ and in
// yardsync_panel_up; a dry run, which only reads it, leaves it failing, and
// the run that gets its writes through clears it.
func TestRefusedWritesShowFailing(t *testing.T) {
	in := newInstall(t, 1)
	if _, code := in.cli("migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	ip := strings.Split(in.fleet.Addrs()[0], ":")[0]
	in.storeExec(`INSERT INTO devices (device_id, device_uuid, device_type, is_active, title, paneltype, panelip, panellogin, panelpasswd)
		VALUES (1, '00000000-0000-4000-8000-000000000701', 1, true, 'Подъезд 1', 2, $1, 'admin', 'pw')`, ip)
	in.exec(`INSERT INTO contracts VALUES (701, '', '7', true, true)`)
	in.storeExec(`INSERT INTO rights VALUES (701, '{1}')`)
	in.storeExec(`INSERT INTO keys VALUES (decode('00000000AF0701', 'hex'), 701, 'refused')`)
	in.fleet.Panel(0).SetFaults(panelsim.Faults{RefuseWrites: true})

	failing := func(when string, want bool) {
		t.Helper()
		out, code := in.cli("panels", "--failing", "--json")
		var got map[string]any
		if code != 0 {
			t.Fatalf("%s: panels --failing: exit %d: %s", when, code, out)
		}
		if !want {
			if out != "" {
				t.Fatalf("%s: panels --failing printed %q, want nothing", when, out)
			}
			return
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil || got["device_id"] != 1.0 || !strings.Contains(got["last_error"].(string), "401") {
			t.Fatalf("%s: panels --failing printed %q, want panel 1 with the refused write's 401", when, out)
		}
	}
	if out, code := in.cli("reconcile", "--json"); code != 2 || !strings.Contains(out, `"status":"partial"`) {
		t.Fatalf("writes refused: got %q exit %d, want partial and exit 2", out, code)
	}
	failing("after the refused write", true)
	if _, code := in.cli("reconcile", "--dry-run"); code != 0 {
		t.Fatalf("dry run: exit %d", code)
	}
	failing("after a dry run", true)

	stop := in.serve()
	defer stop()
	wantUp := func(up string) {
		t.Helper()
		resp, err := http.Get("http://" + in.listen + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		if want := `yardsync_panel_up{device_id="1"} ` + up; !strings.Contains(body.String(), want) {
			t.Fatalf("/metrics lacks %s", want)
		}
	}
	wantUp("0")
	var list struct {
		Panels []map[string]any `json:"panels"`
	}
	if code := in.post("panels", `{"failing": true}`, &list); code != 200 || len(list.Panels) != 1 || list.Panels[0]["device_id"] != 1.0 {
		t.Fatalf("panels/ failing: got %d %+v, want panel 1", code, list)
	}

	in.fleet.Panel(0).SetFaults(panelsim.Faults{})
	if out, code := in.cli("reconcile", "--json"); code != 0 {
		t.Fatalf("writes accepted again: got %q exit %d, want ok", out, code)
	}
	failing("after a run whose writes went through", false)
	wantUp("1")
}
