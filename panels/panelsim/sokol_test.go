package panelsim_test

import (
	"encoding/json"
	"slices"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestSokol pins the Sokol wire format of panels.md.
func TestSokol(t *testing.T) {
	p := panelsim.New(panelsim.Sokol, panelsim.Options{DeviceID: "42", Capacity: 2})
	base := serve(t, p)
	const js = "application/json"
	merge := `[{"uuid":"` + code + `","panelCode":12,"encryption":false},{"uuid":"04A1B2C3D4E5F6","panelCode":3,"encryption":false}]`
	run(t, base, []exchange{
		{"GET", "/system/info", "", "", 200, `{"deviceID":"42","deviceModel":"ISCom X1 rev.2","model":"ISCom X1"}` + "\n"},
		{"GET", "/key/store", "", "", 200, "[]\n"},
		{"PUT", "/key/store/merge", js, merge, 200, ""},
		{"PUT", "/key/store/merge", js, `[{"uuid":"` + code + `","panelCode":13,"encryption":false}]`, 200, ""},
		{"PUT", "/key/store/merge", js, `[{"uuid":"0000000000000A","panelCode":1}]`, 422, `{"errors":["key store is full"]}` + "\n"},
		{"PUT", "/key/store/merge", js, `[{"uuid":"3375a686","panelCode":1}]`, 400, `{"errors":["uuid must be 14 upper-case hex digits"]}` + "\n"},
		{"PUT", "/key/store/merge", js, `{"uuid":"` + code + `"}`, 400, `{"errors":["body must be an array of keys"]}` + "\n"},
		{"PUT", "/key/store/merge", "text/plain", merge, 415, `{"errors":["want application/json"]}` + "\n"},
		{"DELETE", "/key/store/04A1B2C3D4E5F6", "", "", 200, ""},
		{"DELETE", "/key/store/04A1B2C3D4E5F6", "", "", 404, `{"errors":["key not found"]}` + "\n"},
	})
	if want := []reconcile.PanelKey{{Code: code, Flat: 13}}; !slices.Equal(p.Keys(), want) {
		t.Errorf("keys %v, want %v", p.Keys(), want)
	}
}

func TestSokolStoreObjects(t *testing.T) {
	p := panelsim.New(panelsim.Sokol, panelsim.Options{})
	p.SetKeys([]reconcile.PanelKey{{Code: code, Flat: 7}})
	base := serve(t, p)
	_, body := call(t, "GET", base+"/key/store", "", "")
	var store []map[string]any
	if err := json.Unmarshal([]byte(body), &store); err != nil || len(store) != 1 {
		t.Fatalf("store %q: %v", body, err)
	}
	k := store[0]
	if k["uuid"] != code || k["panelCode"] != 7.0 || k["encryption"] != false || k["access"] == nil {
		t.Errorf("key object %v", k)
	}
}

func TestSokolAuth(t *testing.T) {
	p := panelsim.New(panelsim.Sokol, panelsim.Options{Login: "root", Password: "123456"})
	base := serve(t, p)
	run(t, base, []exchange{
		{"GET", "/key/store", "", "", 401, `{"errors":["Authentication failed"]}` + "\n"},
	})
}
