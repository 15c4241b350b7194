package api

import (
	"errors"
	"testing"

	"yardsync/reconcile"
)

func TestDecodeQuirks(t *testing.T) {
	b, err := parseBody([]byte(`{"a": "None", "b": "12", "c": 12, "d": "True", "e": 0, "f": "1.5", "g": [1, "2"], "h": null, "i": 3.0}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := b.int("a"); v != nil || err != nil {
		t.Errorf("'None': got %v %v, want null", v, err)
	}
	if v, _ := b.int("b"); v == nil || *v != 12 {
		t.Errorf("numeric string: got %v, want 12", v)
	}
	if v, _ := b.int("i"); v == nil || *v != 3 {
		t.Errorf("3.0: got %v, want 3", v)
	}
	if v, _ := b.bool("d"); v == nil || !*v {
		t.Errorf("'True': got %v, want true", v)
	}
	if v, _ := b.bool("e"); v == nil || *v {
		t.Errorf("0: got %v, want false", v)
	}
	if v, _ := b.float("f"); v == nil || *v != 1.5 {
		t.Errorf("'1.5': got %v, want 1.5", v)
	}
	if v, _ := b.ints("g"); len(v) != 2 || v[1] != 2 {
		t.Errorf("list: got %v, want [1 2]", v)
	}
	if _, err := b.int("f"); !errors.Is(err, reconcile.ErrInvalid) {
		t.Errorf("1.5 as an integer: got %v, want invalid", err)
	}
	if v, _ := b.str("c"); v == nil || *v != "12" {
		t.Errorf("number as text: got %v, want 12", v)
	}
}

// FuzzDecode feeds arbitrary bodies through every field reader: they may
// refuse, but never panic, and a refusal is always ErrInvalid.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"uid": "None"}`, `{"uid": "12"}`, `{"device_id": [1, "2", "x"]}`,
		`{"is_active": "True"}`, `{"longitude": "45.1e2"}`, `{"key": "de:ad:be:ef"}`, `{"uid": 1e400}`,
		`{"uid": -1}`, `{"uid": 9007199254740993}`, `{"title": "\u0000"}`, `{"phone": {"a": 1}}`,
		specDevice, specLock,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parseBody(data)
		if err != nil {
			if !errors.Is(err, reconcile.ErrInvalid) {
				t.Fatalf("parse error not invalid: %v", err)
			}
			return
		}
		check := func(err error) {
			if err != nil && !errors.Is(err, reconcile.ErrInvalid) {
				t.Fatalf("field error not invalid: %v", err)
			}
		}
		for name := range b {
			_, err := b.int(name)
			check(err)
			_, err = b.float(name)
			check(err)
			_, err = b.bool(name)
			check(err)
			_, err = b.str(name)
			check(err)
			_, err = b.ints(name)
			check(err)
			_, err = b.id(name)
			check(err)
		}
		_, err = deviceFields(b)
		check(err)
		_, err = doorFields(b)
		check(err)
		_, _, err = rightsBody(b)
		check(err)
		_, _, err = keyBody(b)
		check(err)
	})
}
