package api

import (
	"encoding/json"
	"testing"
)

func TestAddressDevices(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const addr = "г. Москва, ул. Тверская, д 1"
	a := id(t, s.must(200, "devices_add", `{"device_type":"1","title":"Подъезд 1","address":"`+addr+`","latitude":"55.7","longitude":"37.6"}`), "device_id")
	b := id(t, s.must(200, "devices_add", `{"device_type":"3","title":"Замок","address":"`+addr+`"}`), "device_id")
	s.must(200, "devices_add", `{"device_type":"1","title":"Другой дом","address":"г. Москва, ул. Тверская, д 10"}`)

	t.Run("List", func(t *testing.T) {
		s := s.with(t)
		got, _ := json.Marshal(s.must(200, "address_devices_list", `{"address":"`+addr+`"}`))
		want := `{"devices":[{"device_id":` + jsonInt(a) + `,"latitude":55.7,"longitude":37.6,"title":"Подъезд 1"},` +
			`{"device_id":` + jsonInt(b) + `,"latitude":null,"longitude":null,"title":"Замок"}]}`
		if string(got) != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		if out := s.must(200, "address_devices_list", `{"address":"нет такого"}`); len(out["devices"].([]any)) != 0 {
			t.Fatalf("got %v, want no devices", out)
		}
		s.must(400, "address_devices_list", `{}`)
	})
	t.Run("Update", func(t *testing.T) {
		s := s.with(t)
		s.must(200, "address_devices_update", `{"data":[{"device_id":"`+jsonInt(a)+`","latitude":"55.75","longitude":"37.61"},{"device_id":"`+jsonInt(b)+`","latitude":"55.76","longitude":"37.62"}]}`)
		got, _ := json.Marshal(s.must(200, "address_devices_list", `{"address":"`+addr+`"}`))
		want := `{"devices":[{"device_id":` + jsonInt(a) + `,"latitude":55.75,"longitude":37.61,"title":"Подъезд 1"},` +
			`{"device_id":` + jsonInt(b) + `,"latitude":55.76,"longitude":37.62,"title":"Замок"}]}`
		if string(got) != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		s.must(200, "address_devices_update", `{"data":[]}`)
	})
	bad := []struct {
		name, body string
		want       int
	}{
		{"ErrUnknownID", `{"data":[{"device_id":"` + jsonInt(a) + `","latitude":"1","longitude":"2"},{"device_id":"999","latitude":"1","longitude":"2"}]}`, 404},
		{"ErrLatitude", `{"data":[{"device_id":"` + jsonInt(a) + `","latitude":"1"},{"device_id":"` + jsonInt(b) + `","latitude":"91"}]}`, 400},
		{"ErrLongitude", `{"data":[{"device_id":"` + jsonInt(a) + `","longitude":"-181"}]}`, 400},
		{"ErrLongitudeColumn", `{"data":[{"device_id":"` + jsonInt(a) + `","longitude":"131.9"}]}`, 400},
		{"ErrNotNumber", `{"data":[{"device_id":"` + jsonInt(a) + `","longitude":"east"}]}`, 400},
		{"ErrNoID", `{"data":[{"latitude":"1"}]}`, 400},
		{"ErrNoData", `{}`, 400},
		{"ErrDataNotList", `{"data":{"device_id":"1"}}`, 400},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			s := s.with(t)
			before := s.snapshot()
			s.must(c.want, "address_devices_update", c.body)
			if s.snapshot() != before {
				t.Fatal("a refused update wrote something")
			}
		})
	}
}

func TestClients(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	t.Run("Create", func(t *testing.T) {
		s := s.with(t)
		out := s.must(200, "users/clients/create", `{"uid":"7","login":"user","password":"secret"}`)
		if got, _ := json.Marshal(out); string(got) != `{"id":7}` {
			t.Fatalf("got %s, want {\"id\":7}", got)
		}
		if got := s.syncer.takeTouched(); len(got) != 1 || got[0] != 7 {
			t.Fatalf("touched %v, want a targeted run for 7", got)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := s.with(t)
		if out := s.must(200, "users/clients/delete", `{"uid":"7"}`); out != nil {
			t.Fatalf("got %v, want an empty body", out)
		}
		if got := s.syncer.takeTouched(); len(got) != 1 || got[0] != 7 {
			t.Fatalf("touched %v, want a targeted run for 7", got)
		}
	})
	t.Run("EmptyAnswers", func(t *testing.T) {
		s := s.with(t)
		for _, path := range []string{"users/clients", "users/clients/edit", "users/clients/change_password"} {
			if out := s.must(200, path, `{"uid":"7","login":"user","password":"secret"}`); out != nil {
				t.Fatalf("%s: got %v, want an empty body", path, out)
			}
		}
		if got := s.syncer.takeTouched(); len(got) != 0 {
			t.Fatalf("touched %v, want nothing", got)
		}
	})
	t.Run("ErrNoUID", func(t *testing.T) {
		s := s.with(t)
		for _, path := range []string{"users/clients/create", "users/clients/delete"} {
			s.must(400, path, `{"login":"user"}`)
			s.must(400, path, `{"uid":"x"}`)
		}
		if got := s.syncer.takeTouched(); len(got) != 0 {
			t.Fatalf("touched %v, want nothing", got)
		}
	})
}
