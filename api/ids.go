package api

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// ID is a field holding one id (uid, device_id, doors_id, cam): a JSON
// integer or a string of decimal digits, nothing else. "0x3EC", "1_004",
// "+1004", "1e3" and 3.0 are refused, never read as some other number.
// Absent, null, 'None' and "" read as in Field.
type ID struct {
	Set   bool // the field was in the body
	Null  bool // it was null, 'None' or an empty string
	Value int64
}

// idType names the field's type in refusals.
var idType = reflect.TypeFor[ID]()

// UnmarshalJSON reads one id.
func (f *ID) UnmarshalJSON(raw []byte) error {
	*f = ID{Set: true}
	if isNull(raw) {
		f.Null = true
		return nil
	}
	v, null, ok := parseID(raw)
	if !ok {
		return badValue(raw, idType)
	}
	f.Value, f.Null = v, null
	return nil
}

// value returns the id and whether there is one (sent and not null).
func (f ID) value() (int64, bool) { return f.Value, f.Set && !f.Null }

// parseID reads an id as a JSON number or string; an empty string is null.
func parseID(raw []byte) (v int64, null, ok bool) {
	s, ok := scalar(raw)
	if !ok {
		return 0, false, false
	}
	if s == "" {
		return 0, true, true
	}
	v, ok = idText(s)
	return v, false, ok
}

// idText parses decimal digits, and only them.
func idText(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// IDs is an id list field (rights_add/rights_del's device_id). It takes a
// JSON list, one id, a string of one id, or a string holding a list, as
// "[1, 3]" or "1, 3". Each id is parsed whole: "[1, 3]" is 1 and 3, never
// every id whose text appears in it.
type IDs struct {
	Set    bool // the field was in the body
	Null   bool // it was null, 'None' or an empty string
	Values []int64
}

// idsType names the field's type in refusals.
var idsType = reflect.TypeFor[[]int64]()

// UnmarshalJSON reads the list in any of its encodings.
func (f *IDs) UnmarshalJSON(raw []byte) error {
	*f = IDs{Set: true}
	if isNull(raw) {
		f.Null = true
		return nil
	}
	ids, null, ok := parseIDs(raw)
	if !ok {
		return badValue(raw, idsType)
	}
	f.Null, f.Values = null, ids
	return nil
}

func parseIDs(raw []byte) (ids []int64, null, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		ids, ok = idList(raw)
		return ids, false, ok
	}
	s, ok := scalar(raw)
	if !ok {
		return nil, false, false
	}
	switch {
	case s == "":
		return nil, true, true
	case s[0] == '[':
		ids, ok = idList([]byte(s))
	default:
		ids, ok = commaList(s)
	}
	return ids, false, ok
}

// idList reads a JSON list whose items are ids as numbers or strings.
func idList(raw []byte) ([]int64, bool) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, false
	}
	ids := make([]int64, 0, len(items))
	for _, item := range items {
		v, null, ok := parseID(item)
		if !ok || null || isNull(item) || !validID(v) {
			return nil, false
		}
		ids = append(ids, v)
	}
	return ids, true
}

// commaList reads "1, 3" or "7": ids separated by commas, spaces around them allowed.
func commaList(s string) ([]int64, bool) {
	parts := strings.Split(s, ",")
	ids := make([]int64, 0, len(parts))
	for _, p := range parts {
		v, ok := idText(strings.TrimSpace(p))
		if !ok || !validID(v) {
			return nil, false
		}
		ids = append(ids, v)
	}
	return ids, true
}

// validID reports a positive 32-bit id, the range of SmartYard's integer keys.
func validID(v int64) bool { return v >= 1 && v <= math.MaxInt32 }
