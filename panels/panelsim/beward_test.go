package panelsim_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

const code = "0000003375A686"

// TestBewardInternal pins the internal-table wire format of panels.md.
func TestBewardInternal(t *testing.T) {
	p := panelsim.New(panelsim.Beward, panelsim.Options{DeviceID: "77"})
	base := serve(t, p)
	run(t, base, []exchange{
		{"GET", "/cgi-bin/systeminfo_cgi?action=get", "", "", 200,
			"DeviceID=77\r\nDeviceModel=DKS15122\r\nHardwareVersion=1.0.0\r\nSoftwareVersion=2.5.0.9\r\nHostName=77\r\n"},
		{"GET", "/cgi-bin/extrfid_cgi", "", "", 404, "Error: /cgi-bin/extrfid_cgi is not defined\n"},
		{"GET", "/cgi-bin/mifare_cgi?action=list", "", "", 404, "Error: /cgi-bin/mifare_cgi is not defined\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=list", "", "", 200, ""},
		{"GET", "/cgi-bin/rfid_cgi?action=add&Key=" + code + "&Apartment=12", "", "", 200, "OK\r\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=add&Key=04A1B2C3D4E5F6", "", "", 200, "OK\r\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=list", "", "", 200,
			"KeyValue1=0000003375A686\r\nApartment1=12\r\nKeyValue2=04A1B2C3D4E5F6\r\nApartment2=0\r\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=add&Key=3375a686&Apartment=12", "", "", 200, "Request failed\r\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=add&Key=" + code + "&Apartment=10000", "", "", 200, "Request failed\r\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=add&Key=" + code + "&Apartment=13", "", "", 200, "Request failed\r\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=delete&Key=04A1B2C3D4E5F6", "", "", 200, "OK\r\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=delete&Key=04A1B2C3D4E5F6", "", "", 200, "Request failed\r\n"},
		{"GET", "/cgi-bin/config_cgi?action=forcesave", "", "", 200, "OK\r\n"},
		{"POST", "/cgi-bin/rfid_cgi?action=list", "", "", 405, "405 Method Not Allowed\n"},
	})
	if want := []reconcile.PanelKey{{Code: code, Flat: 12}}; !slices.Equal(p.Keys(), want) {
		t.Errorf("keys %v, want %v", p.Keys(), want)
	}
	if p.Saves() != 1 {
		t.Errorf("saves %d, want 1", p.Saves())
	}
}

// TestBewardMifare pins the mifare + external table wire format.
func TestBewardMifare(t *testing.T) {
	p := panelsim.New(panelsim.BewardMifare, panelsim.Options{})
	base := serve(t, p)
	run(t, base, []exchange{
		{"GET", "/cgi-bin/rfid_cgi?action=list", "", "", 404, "Error: /cgi-bin/rfid_cgi is not defined\n"},
		{"GET", "/cgi-bin/mifare_cgi?action=add&Key=" + code + "&Apartment=5", "", "", 200, "Request failed\r\n"},
		{"GET", "/cgi-bin/mifare_cgi?action=add&Key=" + code + "&Type=1&Apartment=5", "", "", 200, "OK\r\n"},
		{"GET", "/cgi-bin/extrfid_cgi?action=add&Key=" + code + "&Type=1&Apartment=5", "", "", 200, "OK\r\n"},
		{"GET", "/cgi-bin/mifare_cgi?action=list", "", "", 200, "Key1=0000003375A686\r\nApartment1=5\r\n"},
		{"GET", "/cgi-bin/extrfid_cgi", "", "", 200, "Key1=0000003375A686\r\nApartment1=5\r\n"},
		{"GET", "/cgi-bin/mifare_cgi?action=delete&Key=" + code, "", "", 200, "OK\r\n"},
	})
	if len(p.Keys()) != 0 || len(p.ExtKeys()) != 1 {
		t.Errorf("mifare %v, extrfid %v: want the delete on mifare only", p.Keys(), p.ExtKeys())
	}
}

func TestBewardAuth(t *testing.T) {
	p := panelsim.New(panelsim.Beward, panelsim.Options{Login: "admin", Password: "other"})
	base := serve(t, p)
	run(t, base, []exchange{
		{"GET", "/cgi-bin/rfid_cgi?action=add&Key=" + code, "", "", 401, "401 Unauthorized\n"},
	})
	if len(p.Keys()) != 0 {
		t.Errorf("unauthorised add stored %v", p.Keys())
	}
	r := p.Requests()
	if len(r) != 1 || r[0].Authed || r[0].Query != "action=add&Key="+code {
		t.Errorf("request log %+v", r)
	}
}

func TestBewardCapacity(t *testing.T) {
	p := panelsim.New(panelsim.Beward, panelsim.Options{Capacity: 1})
	base := serve(t, p)
	run(t, base, []exchange{
		{"GET", "/cgi-bin/rfid_cgi?action=add&Key=" + code, "", "", 200, "OK\r\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=add&Key=04A1B2C3D4E5F6", "", "", 200, "Request failed\r\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=delete&Key=" + code, "", "", 200, "OK\r\n"},
		{"GET", "/cgi-bin/rfid_cgi?action=add&Key=04A1B2C3D4E5F6", "", "", 200, "OK\r\n"},
	})
}

func TestFaultSwitches(t *testing.T) {
	p := panelsim.New(panelsim.Beward, panelsim.Options{})
	base := serve(t, p)
	p.SetFaults(panelsim.Faults{Garbage: true})
	if status, body := call(t, "GET", base+"/cgi-bin/rfid_cgi?action=list", "", ""); status != 200 || !strings.HasPrefix(body, "<html>") {
		t.Errorf("garbage: got %d %q", status, body)
	}
	p.SetFaults(panelsim.Faults{ErrorRate: 1})
	if status, _ := call(t, "GET", base+"/cgi-bin/rfid_cgi?action=list", "", ""); status != 500 {
		t.Errorf("error rate 1: got %d, want 500", status)
	}
	p.SetFaults(panelsim.Faults{Unauthorized: true})
	if status, _ := call(t, "GET", base+"/cgi-bin/rfid_cgi?action=list", "", ""); status != 401 {
		t.Errorf("unauthorized: got %d, want 401", status)
	}
	p.SetFaults(panelsim.Faults{Reset: true})
	req, _ := http.NewRequest("GET", base+"/cgi-bin/rfid_cgi?action=list", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("reset: got status %d, want a transport error", resp.StatusCode)
	}
	if p.Faults() != (panelsim.Faults{Reset: true}) {
		t.Errorf("Faults() = %+v", p.Faults())
	}
}

// TestUnkeptWrites pins the DropAdds and DropDeletes faults: the panel
// answers as if the write happened, and its table does not change.
func TestUnkeptWrites(t *testing.T) {
	const other = "04A1B2C3D4E5F6"
	cases := []struct {
		family       string
		add, del     exchange
		addOK, delOK exchange
	}{
		{family: panelsim.Beward,
			add: exchange{"GET", "/cgi-bin/rfid_cgi?action=add&Key=" + other + "&Apartment=3", "", "", 200, "OK\r\n"},
			del: exchange{"GET", "/cgi-bin/rfid_cgi?action=delete&Key=" + code, "", "", 200, "OK\r\n"}},
		{family: panelsim.Sokol,
			add: exchange{"PUT", "/key/store/merge", "application/json", `[{"uuid":"` + other + `","panelCode":3}]`, 200, ""},
			del: exchange{"DELETE", "/key/store/" + code, "", "", 200, ""}},
	}
	for _, tc := range cases {
		t.Run(tc.family, func(t *testing.T) {
			p := panelsim.New(tc.family, panelsim.Options{})
			p.SetKeys([]reconcile.PanelKey{{Code: code, Flat: 12}})
			base := serve(t, p)
			want := []reconcile.PanelKey{{Code: code, Flat: 12}}
			p.SetFaults(panelsim.Faults{DropAdds: true})
			run(t, base, []exchange{tc.add})
			if !slices.Equal(p.Keys(), want) {
				t.Errorf("DropAdds: keys %v, want %v", p.Keys(), want)
			}
			p.SetFaults(panelsim.Faults{DropDeletes: true})
			run(t, base, []exchange{tc.del})
			if !slices.Equal(p.Keys(), want) {
				t.Errorf("DropDeletes: keys %v, want %v", p.Keys(), want)
			}
			p.SetFaults(panelsim.Faults{})
			run(t, base, []exchange{tc.add, tc.del})
			if want := []reconcile.PanelKey{{Code: other, Flat: 3}}; !slices.Equal(p.Keys(), want) {
				t.Errorf("no faults: keys %v, want %v", p.Keys(), want)
			}
		})
	}
}

// TestRefuseWrites pins the RefuseWrites fault: key writes get a 401 and
// change nothing, while the list still answers.
func TestRefuseWrites(t *testing.T) {
	cases := []struct {
		family, list, write, writeMethod string
	}{
		{panelsim.Beward, "/cgi-bin/rfid_cgi?action=list", "/cgi-bin/rfid_cgi?action=delete&Key=" + code, "GET"},
		{panelsim.Sokol, "/key/store", "/key/store/" + code, "DELETE"},
	}
	for _, tc := range cases {
		t.Run(tc.family, func(t *testing.T) {
			p := panelsim.New(tc.family, panelsim.Options{})
			p.SetKeys([]reconcile.PanelKey{{Code: code, Flat: 12}})
			base := serve(t, p)
			p.SetFaults(panelsim.Faults{RefuseWrites: true})
			if status, _ := call(t, tc.writeMethod, base+tc.write, "", ""); status != 401 {
				t.Errorf("write: got %d, want 401", status)
			}
			if status, body := call(t, "GET", base+tc.list, "", ""); status != 200 || !strings.Contains(body, code) {
				t.Errorf("list: got %d %q, want 200 with the key", status, body)
			}
			if want := []reconcile.PanelKey{{Code: code, Flat: 12}}; !slices.Equal(p.Keys(), want) {
				t.Errorf("keys %v, want %v", p.Keys(), want)
			}
		})
	}
}

// TestHookWrites checks the hook sees each request as it arrives, with key
// writes told apart from reads, probes and saves.
func TestHookWrites(t *testing.T) {
	cases := []struct {
		family string
		steps  []exchange
		writes []bool
	}{
		{panelsim.Beward, []exchange{
			{"GET", "/cgi-bin/extrfid_cgi", "", "", 404, "Error: /cgi-bin/extrfid_cgi is not defined\n"},
			{"GET", "/cgi-bin/rfid_cgi?action=list", "", "", 200, ""},
			{"GET", "/cgi-bin/rfid_cgi?action=add&Key=" + code + "&Apartment=1", "", "", 200, "OK\r\n"},
			{"GET", "/cgi-bin/config_cgi?action=forcesave", "", "", 200, "OK\r\n"},
			{"GET", "/cgi-bin/rfid_cgi?action=delete&Key=" + code, "", "", 200, "OK\r\n"},
		}, []bool{false, false, true, false, true}},
		{panelsim.Sokol, []exchange{
			{"GET", "/key/store", "", "", 200, "[]\n"},
			{"PUT", "/key/store/merge", "application/json", `[{"uuid":"` + code + `","panelCode":1}]`, 200, ""},
			{"DELETE", "/key/store/" + code, "", "", 200, ""},
		}, []bool{false, true, true}},
	}
	for _, tc := range cases {
		t.Run(tc.family, func(t *testing.T) {
			p := panelsim.New(tc.family, panelsim.Options{})
			base := serve(t, p)
			seen := make(chan panelsim.Request, len(tc.steps))
			p.SetHook(func(_ context.Context, r panelsim.Request) { seen <- r })
			run(t, base, tc.steps)
			for i, want := range tc.writes {
				if r := <-seen; r.Write != want || r.Path != tc.steps[i].path[:len(r.Path)] {
					t.Errorf("request %d: got %+v, want write %v", i, r, want)
				}
			}
		})
	}
}

func TestSetCapacity(t *testing.T) {
	p := panelsim.New(panelsim.Beward, panelsim.Options{})
	p.SetKeys([]reconcile.PanelKey{{Code: code, Flat: 1}})
	base := serve(t, p)
	p.SetCapacity(1)
	run(t, base, []exchange{
		{"GET", "/cgi-bin/rfid_cgi?action=add&Key=04A1B2C3D4E5F6", "", "", 200, "Request failed\r\n"},
	})
	p.SetCapacity(0)
	run(t, base, []exchange{
		{"GET", "/cgi-bin/rfid_cgi?action=add&Key=04A1B2C3D4E5F6", "", "", 200, "OK\r\n"},
	})
}

func TestBewardHideFlats(t *testing.T) {
	p := panelsim.New(panelsim.Beward, panelsim.Options{Faults: panelsim.Faults{HideFlats: true}})
	p.SetKeys([]reconcile.PanelKey{{Code: code, Flat: 12}})
	base := serve(t, p)
	run(t, base, []exchange{
		{"GET", "/cgi-bin/rfid_cgi?action=list", "", "", 200, "KeyValue1=0000003375A686\r\n"},
	})
}
