package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"yardsync/reconcile"
)

// devices adds n locks and returns their ids in order.
func (s *server) devices(n int) []int {
	s.t.Helper()
	ids := make([]int, n)
	for i := range ids {
		ids[i] = id(s.t, s.must(200, "devices_add", `{"device_type": "3"}`), "device_id")
	}
	return ids
}

// with returns the server reporting to t, for use inside a subtest.
func (s *server) with(t *testing.T) *server {
	c := *s
	c.t = t
	return &c
}

// rightsRow reads a uid's rights row as stored: nil, found false when there is none.
func (s *server) rightsRow(uid int) (ids []int32, found bool) {
	s.t.Helper()
	err := s.db.Pool().QueryRow(context.Background(), `SELECT coalesce(uid_right, '{}') FROM rights WHERE uid = $1`, uid).Scan(&ids)
	if err != nil && !strings.Contains(err.Error(), "no rows") {
		s.t.Fatal(err)
	}
	return ids, err == nil
}

func rightIDs(t *testing.T, out map[string]any) []int {
	t.Helper()
	var ids []int
	for _, r := range out["rights"].([]any) {
		ids = append(ids, int(r.(map[string]any)["device_id"].(float64)))
	}
	return ids
}

// TestRightsCompat: the AXbills client's rights calls, parsed exactly.
func TestRightsCompat(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ids := s.devices(13)
	if ids[0] != 1 || ids[12] != 13 {
		t.Fatalf("got device ids %v, want 1..13", ids)
	}
	t.Run("DelStringList", func(t *testing.T) {
		s := s.with(t)
		s.must(200, "rights_add", `{"uid":"5","device_id":[1, 3, 11, 13]}`)
		s.must(200, "rights_del", `{"uid":"5","device_id":"[1, 3]"}`)
		if got := rightIDs(t, s.must(200, "rights_list", `{"uid":"5"}`)); len(got) != 2 || got[0] != 11 || got[1] != 13 {
			t.Fatalf("got rights %v, want exactly 1 and 3 removed: [11 13]", got)
		}
	})
	t.Run("DelCommaList", func(t *testing.T) {
		s := s.with(t)
		s.must(200, "rights_add", `{"uid":"6","device_id":"1, 3, 13"}`)
		s.must(200, "rights_del", `{"uid":"6","device_id":"13, 1"}`)
		if got := rightIDs(t, s.must(200, "rights_list", `{"uid":"6"}`)); len(got) != 1 || got[0] != 3 {
			t.Fatalf("got rights %v, want [3]", got)
		}
	})
	t.Run("AddEmptyIsNoop", func(t *testing.T) {
		s := s.with(t)
		s.must(200, "rights_add", `{"uid":"7","device_id":[]}`)
		s.must(200, "rights_add", `{"uid":"7","device_id":"[]"}`)
		if _, found := s.rightsRow(7); found {
			t.Fatal("rights_add [] wrote a rights row")
		}
	})
	t.Run("DelWithoutRowWritesNothing", func(t *testing.T) {
		s := s.with(t)
		s.must(200, "rights_del", `{"uid":"8","device_id":"[1, 3]"}`)
		if _, found := s.rightsRow(8); found {
			t.Fatal("rights_del for a uid without rights wrote a row")
		}
	})
	t.Run("ErrMalformedList", func(t *testing.T) {
		s := s.with(t)
		for _, bad := range []string{`"[1, 3"`, `"1 3"`, `"1,,3"`, `"[1, x]"`} {
			before := s.snapshot(5)
			s.must(400, "rights_del", `{"uid":"5","device_id":`+bad+`}`)
			if s.snapshot(5) != before {
				t.Fatalf("%s: a failed call wrote something", bad)
			}
		}
	})
}

// TestBadText: NUL bytes and invalid UTF-8 are a 400 and write nothing,
// never a 500 from the database or a silent U+FFFD.
func TestBadText(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	lock := s.devices(1)[0]
	bodies := map[string]string{
		"NUL":           `{"device_type": 3, "title": "a\u0000b"}`,
		"InvalidUTF8":   "{\"device_type\": 3, \"title\": \"caf\xc3\"}",
		"LoneSurrogate": `{"device_type": 3, "title": "\ud800"}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			s := s.with(t)
			before := s.snapshot(5)
			s.must(400, "devices_add", body)
			s.must(400, "devices_mod", strings.Replace(body, `"device_type": 3`, `"device_id": `+jsonInt(lock), 1))
			s.must(400, "keys_add", strings.Replace(strings.Replace(body, `"device_type": 3`, `"uid": 5, "key": "0a1b"`, 1), "title", "comment", 1))
			if s.snapshot(5) != before {
				t.Fatal("a refused text wrote something")
			}
		})
	}
	t.Run("DoorEmptyOpen", func(t *testing.T) {
		s := s.with(t)
		cam := id(t, s.must(200, "devices_add", `{"device_type": 1}`), "device_id")
		before := s.snapshot()
		s.must(400, "doors_add", `{"device_id": `+jsonInt(lock)+`, "cam": `+jsonInt(cam)+`, "open": ""}`)
		if s.snapshot() != before {
			t.Fatal("a door without open was written")
		}
	})
}

// TestKeysAsStored: keys are stored as the bytes given and listed as they are stored.
func TestKeysAsStored(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	stored := func(uid int) []string {
		rows, err := s.db.Pool().Query(context.Background(), `SELECT encode(key, 'hex') FROM keys WHERE uid = $1 ORDER BY 1`, uid)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var k string
			_ = rows.Scan(&k)
			out = append(out, k)
		}
		return out
	}
	s.must(200, "keys_add", `{"uid":"5","key":"0a1b2c3d4e","comment":"брелок"}`)
	s.must(200, "keys_add", `{"uid":"5","key":"ABC"}`)
	if got := stored(5); strings.Join(got, ",") != "0a1b2c3d4e,0abc" {
		t.Fatalf("stored %v, want the bytes given: 0a1b2c3d4e and 0abc", got)
	}
	keys, _ := json.Marshal(s.must(200, "keys_list", `{"uid":"5"}`)["keys"])
	if string(keys) != `[{"comment":null,"key":"0abc"},{"comment":"брелок","key":"0a1b2c3d4e"}]` {
		t.Fatalf("keys_list %s, want the stored bytes in lower-case hex", keys)
	}
	t.Run("ErrTooLong", func(t *testing.T) {
		s := s.with(t)
		before := s.snapshot(5)
		out := s.must(400, "keys_add", `{"uid":"5","key":"0123456789abcdef0"}`)
		if msg, _ := out["error"].(string); !strings.Contains(msg, "7 bytes") {
			t.Fatalf("error %q does not name the panels' 7-byte limit", msg)
		}
		if s.snapshot(5) != before {
			t.Fatal("a refused key was written")
		}
	})
	t.Run("DelEveryForm", func(t *testing.T) {
		s := s.with(t)
		if _, err := s.db.Pool().Exec(context.Background(), `INSERT INTO keys (key, uid) VALUES ('\x000a1b2c3d4e'::bytea, 5)`); err != nil {
			t.Fatal(err)
		}
		s.must(200, "keys_del", `{"uid":"5","key":"0a1b2c3d4e"}`)
		if got := stored(5); strings.Join(got, ",") != "0abc" {
			t.Fatalf("stored %v after keys_del, want both forms of 0a1b2c3d4e gone", got)
		}
	})
}

// TestDeviceTypesAndMonitor: any type of the types table, and monitorid.
func TestDeviceTypesAndMonitor(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if _, err := s.db.Pool().Exec(context.Background(), `INSERT INTO types (id, type) VALUES (5, 'monitor')`); err != nil {
		t.Fatal(err)
	}
	mon := id(t, s.must(200, "devices_add", `{"device_type":"5","title":"Монитор","monitorid":"42"}`), "device_id")
	d := s.must(200, "devices_list", "")["devices"].([]any)[0].(map[string]any)
	if d["device_type"] != "monitor" || d["monitorid"] != float64(42) {
		t.Fatalf("got %v, want type monitor and monitorid 42", d)
	}
	s.must(200, "devices_mod", `{"device_id":"`+jsonInt(mon)+`","monitorid":"43"}`)
	if d := s.must(200, "devices_list", "")["devices"].([]any)[0].(map[string]any); d["monitorid"] != float64(43) {
		t.Fatalf("got monitorid %v after devices_mod, want 43", d["monitorid"])
	}
	before := s.snapshot()
	out := s.must(400, "devices_add", `{"device_type":"9"}`)
	if msg, _ := out["error"].(string); !strings.Contains(msg, "1 cam") || !strings.Contains(msg, "5 monitor") {
		t.Fatalf("error %q does not name the known types", msg)
	}
	s.must(400, "devices_mod", `{"device_id":"`+jsonInt(mon)+`","device_type":"9"}`)
	s.must(409, "devices_add", `{"device_type":"5","monitorid":"43"}`)
	if s.snapshot() != before {
		t.Fatal("a refused device was written")
	}
}

// fakeBilling answers from fixed values; it is only reached by valid phones.
type fakeBilling struct{ phones []string }

func (f *fakeBilling) UIDs(_ context.Context, phone string) ([]int64, error) {
	f.phones = append(f.phones, phone)
	return []int64{5}, nil
}
func (f *fakeBilling) Cams(context.Context, int64) (reconcile.CamsState, error) {
	return reconcile.CamsState{}, nil
}
func (f *fakeBilling) List(_ context.Context, phone string) ([]reconcile.BillingRow, error) {
	f.phones = append(f.phones, phone)
	return nil, nil
}
func (f *fakeBilling) Forget(int64)             {}
func (f *fakeBilling) ForgetPhone(phone string) { f.phones = append(f.phones, phone) }

// TestPhones: a phone sent as a float or malformed is a 400 on every call.
func TestPhones(t *testing.T) {
	t.Parallel()
	billing := &fakeBilling{}
	s := newServer(t, func(o *Options) { o.Billing = billing })
	for _, path := range []string{"uids", "billing_list", "sync"} {
		for _, bad := range []string{`89101234567.0`, `8.9101234567e10`, `"8910abc4567"`, `"12"`, `{}`} {
			s.must(http.StatusBadRequest, path, `{"phone": `+bad+`}`)
		}
	}
	if len(billing.phones) != 0 {
		t.Fatalf("the billing was asked about %v", billing.phones)
	}
	s.must(200, "uids", `{"phone": 89101234567}`)
	s.must(200, "uids", `{"phone": "+7 (910) 123-45-67"}`)
	if len(billing.phones) != 2 || billing.phones[0] != "89101234567" {
		t.Fatalf("got phones %v", billing.phones)
	}
}
