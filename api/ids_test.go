package api

import (
	"net/http"
	"testing"
)

// Ids are decimal digits only, as a JSON integer or a string: what
// strconv would also read (hex floats, underscores, a sign, exponents,
// fractions) is a 400 on every call that takes an id, and writes nothing.
func TestIDsAreDecimalDigits(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(o *Options) { o.Billing = &fakeBilling{} })
	dev := id(t, s.must(200, "devices_add", specDevice), "device_id")
	s.must(200, "rights_add", `{"uid": 1004, "device_id": `+jsonInt(dev)+`}`)
	s.syncer.takeTouched()
	bad := []string{`"0x3EC"`, `"0x3ECp0"`, `"1_004"`, `"+1004"`, `"1e3"`, `1e3`, `1004.0`, `"1004.0"`, `"١٠٠٤"`, `"1004 1"`}
	for _, v := range bad {
		before := s.snapshot(1004)
		for path, body := range map[string]string{
			"keys_add":    `{"uid": ` + v + `, "key": "0a1b2c3d4e"}`,
			"rights_list": `{"uid": ` + v + `}`,
			"rights_del":  `{"uid": ` + v + `, "device_id": ` + jsonInt(dev) + `}`,
			"devices_del": `{"device_id": ` + v + `}`,
			"doors_del":   `{"doors_id": ` + v + `}`,
			"sync":        `{"uid": ` + v + `}`,
		} {
			if code, out := s.call(path, body); code != http.StatusBadRequest {
				t.Errorf("%s %s: got %d %v, want 400", path, body, code, out)
			}
		}
		if s.snapshot(1004) != before || len(s.syncer.takeTouched()) > 0 {
			t.Fatalf("an id written %s changed something", v)
		}
	}
	for _, list := range []string{`"[1_004]"`, `"+1004, 3"`, `["0x3EC"]`, `[1004.0]`} {
		s.must(http.StatusBadRequest, "rights_del", `{"uid": 1004, "device_id": `+list+`}`)
	}
	for _, v := range []string{`1004`, `"1004"`, `" 1004 "`, `"001004"`} {
		s.must(http.StatusOK, "rights_list", `{"uid": `+v+`}`)
	}
}
