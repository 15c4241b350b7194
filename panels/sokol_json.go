package panels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// The JSON a Sokol may send in more than one shape.

// flexInt reads a number sent as a JSON number, a string of digits or null.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	if s == "null" || s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("panelCode %s is not a whole number", b)
	}
	*n = flexInt(v)
	return nil
}

// lenientInt reads a listed panelCode as flexInt does, but one it cannot
// read (e.g. "12a") reads as badFlat instead of failing the whole store.
type lenientInt int

// badFlat marks a panelCode lenientInt could not read.
const badFlat = math.MinInt

func (l *lenientInt) UnmarshalJSON(b []byte) error {
	var n flexInt
	if n.UnmarshalJSON(b) != nil || n == badFlat {
		n = badFlat
	}
	*l = lenientInt(n)
	return nil
}

// lenientString reads a listed uuid; anything but a JSON string reads as
// empty (an entry with no uuid) instead of failing the whole store.
type lenientString string

func (l *lenientString) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		*l = lenientString(b[1 : len(b)-1]) // the common case, without a second decode
		return nil
	}
	var v string
	if json.Unmarshal(b, &v) == nil {
		*l = lenientString(v)
	}
	return nil
}

// flexString reads an id sent as a JSON string or number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("deviceID %s is neither a string nor a number", b)
	}
	*f = flexString(n.String())
	return nil
}
