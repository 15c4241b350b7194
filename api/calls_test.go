package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"yardsync/internal/testdb"
	"yardsync/reconcile"
	"yardsync/store/storetest"
)

func TestDevices(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cam := id(t, s.must(200, "devices_add", specDevice), "device_id")
	lock := id(t, s.must(200, "devices_add", specLock), "device_id")

	t.Run("List", func(t *testing.T) {
		out := s.must(200, "devices_list", "")
		list := out["devices"].([]any)
		if len(list) != 2 {
			t.Fatalf("got %d devices, want 2", len(list))
		}
		d := list[0].(map[string]any)
		want := map[string]any{"device_id": float64(cam), "device_uuid": "8ee703fe-5e92-4f6e-a6bb-e194a8825be4",
			"device_type": "cam", "is_active": true, "longitude": 45.12345678, "record_days": float64(10),
			"panelip": "192.168.1.1", "paneltype": float64(1), "title": "Дверь в подьезд", "panelpasswd": "passwd"}
		for k, v := range want {
			if d[k] != v {
				t.Errorf("field %s: got %v, want %v", k, d[k], v)
			}
		}
		l := list[1].(map[string]any)
		if l["device_type"] != "lock" || l["url"] != nil || l["panelip"] != nil || len(l["device_uuid"].(string)) != 36 {
			t.Errorf("lock: got %v, want type lock, nulls for 'None' and a generated uuid", l)
		}
	})
	t.Run("Mod", func(t *testing.T) {
		s.must(200, "devices_mod", `{"device_id": "`+jsonInt(cam)+`", "title": "Новая", "panelip": "10.0.0.5", "url": "None"}`)
		d := s.must(200, "devices_list", "")["devices"].([]any)[0].(map[string]any)
		if d["title"] != "Новая" || d["panelip"] != "10.0.0.5" || d["url"] != nil || d["stream"] != "rtsp://ip:port/url" {
			t.Fatalf("got %v", d)
		}
	})
	bad := []struct {
		name, path, body string
		want             int
	}{
		{"ErrModUnknown", "devices_mod", `{"device_id": 999, "title": "x"}`, 404},
		{"ErrDelUnknown", "devices_del", `{"device_id": 999}`, 404},
		{"ErrDuplicateUUID", "devices_add", specDevice, 409},
		{"ErrDuplicateDomophone", "devices_add", `{"device_type": 1, "domophoneid": 1}`, 409},
		{"ErrNoType", "devices_add", `{"title": "x"}`, 400},
		{"ErrBadType", "devices_add", `{"device_type": 4}`, 400},
		{"ErrTypeNotNumber", "devices_add", `{"device_type": "cam"}`, 400},
		{"ErrBadIP", "devices_add", `{"device_type": 1, "panelip": "999.1.1.1"}`, 400},
		{"QtechPanel", "devices_add", `{"device_type": 1, "paneltype": 11, "panelip": "10.0.0.11"}`, 200},
		{"RubetekPanel", "devices_add", `{"device_type": 1, "paneltype": "13", "panelip": "10.0.0.13"}`, 200},
		{"ErrPaneltypeNoFamily", "devices_add", `{"device_type": 1, "paneltype": 3}`, 400},
		{"ErrModPaneltypeNoFamily", "devices_mod", `{"device_id": ` + jsonInt(cam) + `, "paneltype": 7}`, 400},
		{"ErrLatitude", "devices_add", `{"device_type": 1, "latitude": 91}`, 400},
		{"ErrLongitude", "devices_add", `{"device_type": 1, "longitude": "-180.5"}`, 400},
		{"ErrLongitudeColumn", "devices_add", `{"device_type": 1, "longitude": 131.9}`, 400},
		{"ErrBool", "devices_add", `{"device_type": 1, "is_active": "maybe"}`, 400},
		{"ErrTitleTooLong", "devices_add", `{"device_type": 1, "title": "` + strings.Repeat("я", 65) + `"}`, 400},
		{"ErrModBadUUID", "devices_mod", `{"device_id": 1, "device_uuid": "xyz"}`, 400},
		{"LockWithoutDoorBecomesCam", "devices_mod", `{"device_id": ` + jsonInt(lock) + `, "device_type": 1}`, 200},
		{"ErrNoID", "devices_del", `{}`, 400},
		{"ErrIDNotNumber", "devices_del", `{"device_id": "abc"}`, 400},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			before := s.snapshot()
			s.must(c.want, c.path, c.body)
			if c.want >= 400 && s.snapshot() != before {
				t.Fatal("a failed call wrote something")
			}
		})
	}
}

func TestDoorsRightsDelete(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cam := id(t, s.must(200, "devices_add", specDevice), "device_id")
	lock := id(t, s.must(200, "devices_add", specLock), "device_id")
	door := `{"device_id": ` + jsonInt(lock) + `, "cam": ` + jsonInt(cam) + `, "entrance": 1, "icon": "entrance", "name": "Главная дверь", "open": "http://root:Passwd@10.231.254.166:8080/relay/1/open", "open_trait": "PUT"}`
	doorID := id(t, s.must(200, "doors_add", door), "id")

	t.Run("DoorsList", func(t *testing.T) {
		d := s.must(200, "doors_list", "")["doors"].([]any)[0].(map[string]any)
		if d["id"] != float64(doorID) || d["open_trait"] != "PUT" || d["icon"] != "entrance" || d["entrance"] != float64(1) {
			t.Fatalf("got %v", d)
		}
	})
	t.Run("DoorDefaults", func(t *testing.T) {
		id := id(t, s.must(200, "doors_add", `{"device_id": `+jsonInt(lock)+`, "cam": `+jsonInt(cam)+`, "open": "http://x/open", "open_trait": "None"}`), "id")
		d := s.must(200, "doors_list", "")["doors"].([]any)[1].(map[string]any)
		if d["open_trait"] != "GET" {
			t.Fatalf("got open_trait %v, want GET", d["open_trait"])
		}
		s.must(200, "doors_del", `{"doors_id": `+jsonInt(id)+`}`)
	})
	s.must(200, "rights_add", `{"uid": 12345, "device_id": [`+jsonInt(cam)+`, `+jsonInt(lock)+`]}`)
	s.must(200, "rights_add", `{"uid": "12345", "device_id": `+jsonInt(cam)+`}`)

	t.Run("RightsList", func(t *testing.T) {
		rights := s.must(200, "rights_list", `{"uid": 12345}`)["rights"].([]any)
		if len(rights) != 2 || rights[0].(map[string]any)["device_type"] != "cam" || rights[1].(map[string]any)["device_type"] != "lock" {
			t.Fatalf("got %v", rights)
		}
		if empty := s.must(200, "rights_list", `{"uid": 1}`)["rights"].([]any); len(empty) != 0 {
			t.Fatalf("got %v, want no rights", empty)
		}
	})
	bad := []struct {
		name, path, body string
		want             int
	}{
		{"ErrDoorLockIsCam", "doors_add", strings.Replace(door, `"device_id": `+jsonInt(lock), `"device_id": `+jsonInt(cam), 1), 422},
		{"ErrDoorCamIsLock", "doors_add", strings.Replace(door, `"cam": `+jsonInt(cam), `"cam": `+jsonInt(lock), 1), 422},
		{"ErrDoorUnknownDevice", "doors_add", strings.Replace(door, `"cam": `+jsonInt(cam), `"cam": 999`, 1), 422},
		{"ErrDoorIcon", "doors_add", strings.Replace(door, `"icon": "entrance"`, `"icon": "window"`, 1), 400},
		{"ErrDoorNoOpen", "doors_add", `{"device_id": 1, "cam": 2}`, 400},
		{"ErrDoorModUnknown", "doors_mod", `{"doors_id": 999, "name": "x"}`, 404},
		{"ErrDoorModBreaks", "doors_mod", `{"doors_id": ` + jsonInt(doorID) + `, "cam": ` + jsonInt(lock) + `}`, 422},
		{"ErrDoorDelUnknown", "doors_del", `{"doors_id": 999}`, 404},
		{"ErrRightsUnknownDevice", "rights_add", `{"uid": 12345, "device_id": [` + jsonInt(cam) + `, 999]}`, 422},
		{"ErrRightsNoUID", "rights_add", `{"device_id": 1}`, 400},
		{"ErrRightsBadList", "rights_add", `{"uid": 1, "device_id": ["x"]}`, 400},
		{"ErrRightsNegativeUID", "rights_list", `{"uid": -4}`, 400},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			before := s.snapshot(12345)
			s.must(c.want, c.path, c.body)
			if s.snapshot(12345) != before {
				t.Fatal("a failed call wrote something")
			}
		})
	}
	t.Run("DeviceDelCascades", func(t *testing.T) {
		s.syncer.takeTouched()
		s.must(200, "devices_del", `{"device_id": `+jsonInt(lock)+`}`)
		if doors := s.must(200, "doors_list", "")["doors"].([]any); len(doors) != 0 {
			t.Fatalf("doors left: %v", doors)
		}
		rights := s.must(200, "rights_list", `{"uid": 12345}`)["rights"].([]any)
		if len(rights) != 1 {
			t.Fatalf("got rights %v, want the camera only", rights)
		}
		if got := s.syncer.takeTouched(); len(got) != 1 || got[0] != 12345 {
			t.Fatalf("got touched %v, want a targeted run for 12345", got)
		}
	})
	t.Run("RightsDel", func(t *testing.T) {
		s.syncer.takeRevoked()
		s.must(200, "rights_del", `{"uid": 12345, "device_id": [`+jsonInt(cam)+`]}`)
		s.must(200, "rights_del", `{"uid": 12345, "device_id": `+jsonInt(cam)+`}`)
		if rights := s.must(200, "rights_list", `{"uid": 12345}`)["rights"].([]any); len(rights) != 0 {
			t.Fatalf("got %v", rights)
		}
		// A revocation named by its contract: its run is never guarded.
		if got := s.syncer.takeRevoked(); len(got) != 2 || got[0] != 12345 {
			t.Fatalf("got revoked %v, want 12345 scheduled by name after each rights_del", got)
		}
	})
}

func TestKeysAndTypes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.must(200, "keys_add", `{"uid": 5, "key": "de:ad:be:ef:01", "comment": "брелок"}`)
	s.must(200, "keys_add", `{"uid": 5, "key": "0123456789abcd", "comment": "None"}`)
	if got := s.syncer.takeTouched(); len(got) != 2 || got[0] != 5 || got[1] != 5 {
		t.Fatalf("got touched %v, want a targeted run for 5 after each keys_add", got)
	}
	if got := s.syncer.takeRevoked(); len(got) != 0 {
		t.Fatalf("keys_add scheduled %v as named revocations", got)
	}
	keys := s.must(200, "keys_list", `{"uid": 5}`)["keys"].([]any)
	// keys_list answers the stored bytes in lower-case hex, as the reference server does.
	want := `[{"comment":"брелок","key":"deadbeef01"},{"comment":null,"key":"0123456789abcd"}]`
	if got, _ := json.Marshal(keys); string(got) != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// "12345" is a valid key since keys are 1 to 14 hex digits (DESIGN.md); too long, not hex, empty or null are not.
	for _, bad := range []string{`"0123456789abcdef"`, `"zz1234"`, `""`, `null`} {
		t.Run("ErrKey"+bad, func(t *testing.T) {
			before := s.snapshot(5)
			s.must(400, "keys_add", `{"uid": 5, "key": `+bad+`}`)
			if s.snapshot(5) != before {
				t.Fatal("a failed call wrote something")
			}
		})
	}
	s.must(200, "keys_del", `{"uid": 5, "key": "DE-AD-BE-EF-01"}`)
	s.must(404, "keys_del", `{"uid": 5, "key": "DEADBEEF01"}`)
	types := s.must(200, "types_list", "")["types"].([]any)
	if got, _ := json.Marshal(types); string(got) != `[{"id":1,"type":"cam"},{"id":2,"type":"mewcam"},{"id":3,"type":"lock"}]` {
		t.Fatalf("got %s", got)
	}
}

func TestBillingCallsWithoutBilling(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, p := range []string{"uids", "cams", "billing_list", "sync"} {
		out := s.must(http.StatusServiceUnavailable, p, `{"phone": "89101234567", "uid": 1}`)
		if out["error"] != "billing not configured" {
			t.Fatalf("%s: got %v", p, out)
		}
	}
}

func TestOnSmartYardDump(t *testing.T) {
	t.Parallel()
	dsn := testdb.Postgres(t)
	testdb.LoadSmartYard(t, dsn)
	storetest.MustOpenDSN(t, dsn)
	db := storetest.MustOpenDSN(t, dsn) // migrations run twice
	s := newServerOn(t, db)
	cam := id(t, s.must(200, "devices_add", specDevice), "device_id")
	lock := id(t, s.must(200, "devices_add", specLock), "device_id")
	s.must(200, "doors_add", `{"device_id": `+jsonInt(lock)+`, "cam": `+jsonInt(cam)+`, "open": "http://x/open"}`)
	s.must(200, "rights_add", `{"uid": 1, "device_id": [`+jsonInt(cam)+`, `+jsonInt(lock)+`]}`)
	s.must(200, "keys_add", `{"uid": 1, "key": "DEADBEEF"}`)
	if n := len(s.must(200, "devices_list", "")["devices"].([]any)); n != 2 {
		t.Fatalf("got %d devices", n)
	}
	types := s.must(200, "types_list", "")["types"].([]any)
	if types[1].(map[string]any)["type"] != "newcam" {
		t.Fatalf("the dump's own type names must be kept, got %v", types)
	}
	s.must(200, "devices_del", `{"device_id": `+jsonInt(cam)+`}`)
	_ = reconcile.KeyLen
}
