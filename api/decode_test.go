package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"yardsync/reconcile"
)

// fields is a request with one field of each kind, to test the decoders as
// the calls use them.
type fields struct {
	I     Field[int64]   `json:"i"`
	F     Field[float64] `json:"f"`
	B     Field[bool]    `json:"b"`
	S     Field[string]  `json:"s"`
	IDs   IDs            `json:"ids"`
	ID    ID             `json:"id"`
	Phone Phone          `json:"phone"`
}

func decodeFields(t *testing.T, js string) (fields, error) {
	t.Helper()
	b, err := parseBody([]byte(js))
	if err != nil {
		return fields{}, err
	}
	return decode[fields](b)
}

func TestFieldStates(t *testing.T) {
	cases := []struct {
		name, body string
		set, null  bool
	}{
		{"Absent", `{}`, false, false},
		{"Null", `{"i": null}`, true, true},
		{"None", `{"i": "None"}`, true, true},
		{"EmptyString", `{"i": ""}`, true, true},
		{"Value", `{"i": 0}`, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := decodeFields(t, c.body)
			if err != nil || got.I.Set != c.set || got.I.Null != c.null {
				t.Fatalf("got %+v %v, want set %v null %v", got.I, err, c.set, c.null)
			}
		})
	}
}

func TestFieldValues(t *testing.T) {
	ok := []struct {
		body string
		want fields
	}{
		{`{"i": "12"}`, fields{I: Field[int64]{Set: true, Value: 12}}},
		{`{"i": " 12 "}`, fields{I: Field[int64]{Set: true, Value: 12}}},
		{`{"i": 3.0}`, fields{I: Field[int64]{Set: true, Value: 3}}},
		{`{"f": "1.5"}`, fields{F: Field[float64]{Set: true, Value: 1.5}}},
		{`{"f": -2}`, fields{F: Field[float64]{Set: true, Value: -2}}},
		{`{"b": true}`, fields{B: Field[bool]{Set: true, Value: true}}},
		{`{"b": "true"}`, fields{B: Field[bool]{Set: true, Value: true}}},
		{`{"b": "True"}`, fields{B: Field[bool]{Set: true, Value: true}}},
		{`{"b": 1}`, fields{B: Field[bool]{Set: true, Value: true}}},
		{`{"b": "1"}`, fields{B: Field[bool]{Set: true, Value: true}}},
		{`{"b": "false"}`, fields{B: Field[bool]{Set: true}}},
		{`{"b": 0}`, fields{B: Field[bool]{Set: true}}},
		{`{"b": "0"}`, fields{B: Field[bool]{Set: true}}},
		{`{"s": " text "}`, fields{S: Field[string]{Set: true, Value: " text "}}},
		{`{"s": 12}`, fields{S: Field[string]{Set: true, Value: "12"}}},
		{`{"s": ""}`, fields{S: Field[string]{Set: true, Value: ""}}},
		{`{"s": "\ufffd"}`, fields{S: Field[string]{Set: true, Value: "\uFFFD"}}},
		{`{"phone": "+7 (910) 123-45-67"}`, fields{Phone: Phone{Field[string]{Set: true, Value: "+7 (910) 123-45-67"}}}},
		{`{"phone": 89101234567}`, fields{Phone: Phone{Field[string]{Set: true, Value: "89101234567"}}}},
	}
	for _, c := range ok {
		t.Run("OK"+c.body, func(t *testing.T) {
			got, err := decodeFields(t, c.body)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := mustJSON(got), mustJSON(c.want); g != w {
				t.Fatalf("got %s, want %s", g, w)
			}
		})
	}
	bad := []string{
		`{"i": "1.5"}`, `{"i": "12abc"}`, `{"i": true}`, `{"i": [1]}`, `{"i": "0x10"}`, `{"i": 1e400}`,
		`{"f": "NaN"}`, `{"f": "Inf"}`, `{"f": {}}`,
		`{"b": "maybe"}`, `{"b": 2}`, `{"b": []}`,
		`{"s": "a\u0000b"}`, `{"s": "\ud800"}`, `{"s": {"a": 1}}`, `{"s": true}`,
		`{"phone": 89101234567.0}`, `{"phone": 8.9101234567e10}`, `{"phone": "8910abc4567"}`, `{"phone": "123"}`,
		`{"phone": true}`,
	}
	for _, body := range bad {
		t.Run("Err"+body, func(t *testing.T) {
			_, err := decodeFields(t, body)
			if !errors.Is(err, reconcile.ErrInvalid) {
				t.Fatalf("got %v, want invalid", err)
			}
			name := body[2 : strings.Index(body[2:], `"`)+2]
			if !strings.Contains(err.Error(), `"`+name+`"`) {
				t.Fatalf("error %q does not name the field %q", err, name)
			}
		})
	}
}

// TestIDs covers every encoding of an id list the clients use, parsed whole:
// "[1, 3]" is exactly 1 and 3, never "13", "11" or "31".
func TestIDs(t *testing.T) {
	ok := []struct {
		body string
		want []int64
	}{
		{`[1, 3]`, []int64{1, 3}},
		{`["1", "3"]`, []int64{1, 3}},
		{`[]`, []int64{}},
		{`7`, []int64{7}},
		{`"7"`, []int64{7}},
		{`"[1, 3]"`, []int64{1, 3}},
		{`"[13]"`, []int64{13}},
		{`"1, 3"`, []int64{1, 3}},
		{`"1,3"`, []int64{1, 3}},
		{`"[]"`, []int64{}},
		{`" [ 1 , 3 ] "`, []int64{1, 3}},
	}
	for _, c := range ok {
		t.Run("OK"+c.body, func(t *testing.T) {
			got, err := decodeFields(t, `{"ids": `+c.body+`}`)
			if err != nil || !slices.Equal(got.IDs.Values, c.want) || got.IDs.Null {
				t.Fatalf("got %+v %v, want %v", got.IDs, err, c.want)
			}
		})
	}
	for _, body := range []string{`"[1, 3"`, `"1 3"`, `"1,,3"`, `"1,"`, `"x"`, `[1, "x"]`, `[null]`, `[0]`, `"-1"`,
		`[2147483648]`, `{"a": 1}`, `true`, `"[[1]]"`, `[1.5]`} {
		t.Run("Err"+body, func(t *testing.T) {
			if _, err := decodeFields(t, `{"ids": `+body+`}`); !errors.Is(err, reconcile.ErrInvalid) {
				t.Fatalf("got %v, want invalid", err)
			}
		})
	}
}

func TestParseBody(t *testing.T) {
	for _, body := range []string{"", " ", "{}", "null", `{"a": 1}`} {
		if _, err := parseBody([]byte(body)); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
	for _, body := range []string{"{", "[1,2]", `"x"`, "nonsense", "{\"s\": \"\xff\"}", "{\"s\": \"caf\xc3\"}"} {
		if _, err := parseBody([]byte(body)); !errors.Is(err, reconcile.ErrInvalid) {
			t.Errorf("%q: got %v, want invalid", body, err)
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// FuzzDecode feeds arbitrary bodies through every call's request decoder.
// They may refuse, but never panic; a refusal is always ErrInvalid; and a
// text that is accepted holds neither a NUL byte nor invalid UTF-8.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{``, `{}`, `{"uid": "5", "device_id": "[1, 3]"}`, specDevice, specLock} {
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
				t.Fatalf("decode error not invalid: %v", err)
			}
		}
		fz, err := decode[fields](b)
		check(err)
		if v, ok := fz.S.value(); err == nil && ok && (strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v)) {
			t.Fatalf("accepted text %q", v)
		}
		for _, id := range fz.IDs.Values {
			if !validID(id) {
				t.Fatalf("accepted id %d", id)
			}
		}
		if v, ok := fz.ID.value(); err == nil && ok && !digitsOnly(b.raw, v) {
			t.Fatalf("accepted id %d from %q, which does not hold it as decimal digits", v, b.raw)
		}
		dev, err := decode[deviceRequest](b)
		check(err)
		if err == nil {
			check(dev.Patch(&reconcile.Device{}))
		}
		door, err := decode[doorRequest](b)
		check(err)
		if err == nil {
			check(door.Patch(&reconcile.Door{}))
		}
		_, _, err = rightsBody(b)
		check(err)
		_, _, _, err = keyBody(b)
		check(err)
		_, err = decode[syncRequest](b)
		check(err)
		_, err = decode[struct {
			Data *[]position `json:"data"`
		}](b)
		check(err)
	})
}

// FuzzIDs: ids written in any of the clients' encodings read back as exactly
// those ids, whatever their digits have in common ("[1, 13]" is never 1, 3).
func FuzzIDs(f *testing.F) {
	f.Add(uint32(1), uint32(3), uint8(0))
	f.Add(uint32(1), uint32(13), uint8(1))
	f.Add(uint32(31), uint32(3), uint8(2))
	f.Add(uint32(2147483647), uint32(7), uint8(3))
	f.Fuzz(func(t *testing.T, a, b uint32, form uint8) {
		want := []int64{int64(a%math.MaxInt32) + 1, int64(b%math.MaxInt32) + 1}
		texts := []string{
			fmt.Sprintf(`[%d, %d]`, want[0], want[1]),
			fmt.Sprintf(`"[%d, %d]"`, want[0], want[1]),
			fmt.Sprintf(`"%d, %d"`, want[0], want[1]),
			fmt.Sprintf(`["%d", %d]`, want[0], want[1]),
		}
		body := `{"ids": ` + texts[int(form)%len(texts)] + `}`
		got, err := decodeFields(t, body)
		if err != nil || !slices.Equal(got.IDs.Values, want) {
			t.Fatalf("%s: got %v %v, want %v", body, got.IDs.Values, err, want)
		}
	})
}

// digitsOnly reports whether the body holds v written as plain decimal
// digits, as an accepted id must have been.
func digitsOnly(raw []byte, v int64) bool {
	return strings.Contains(string(raw), fmt.Sprint(v))
}
