package api

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
)

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
		v, null, ok := parseInt(item)
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
		v, null, ok := intText(strings.TrimSpace(p))
		if !ok || null || !validID(v) {
			return nil, false
		}
		ids = append(ids, v)
	}
	return ids, true
}

// validID reports a positive 32-bit id, the range of SmartYard's integer keys.
func validID(v int64) bool { return v >= 1 && v <= math.MaxInt32 }
