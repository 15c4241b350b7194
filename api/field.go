package api

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Field is one request field in three states: absent (Set false), sent as
// null or the spec's 'None' (Null true), or a value. Its UnmarshalJSON takes
// every encoding the billing clients use: any scalar as a JSON string,
// booleans as true/false, "true"/"false" or 1/0.
type Field[T int64 | float64 | bool | string] struct {
	Set   bool // the field was in the body
	Null  bool // it was null or 'None'
	Value T
}

// UnmarshalJSON reads one scalar; a refusal is a *json.UnmarshalTypeError,
// which encoding/json completes with the field's name.
func (f *Field[T]) UnmarshalJSON(raw []byte) error {
	*f = Field[T]{Set: true}
	if isNull(raw) {
		f.Null = true
		return nil
	}
	var ok bool
	switch v := any(&f.Value).(type) {
	case *int64:
		*v, f.Null, ok = parseInt(raw)
	case *float64:
		*v, f.Null, ok = parseFloat(raw)
	case *bool:
		*v, ok = parseBool(raw)
	case *string:
		*v, ok = parseText(raw)
	}
	if !ok {
		return badValue(raw, reflect.TypeFor[T]())
	}
	return nil
}

// value returns the value and whether there is one (sent and not null).
func (f Field[T]) value() (T, bool) { return f.Value, f.Set && !f.Null }

// isNull reports the JSON null and the spec's string 'None'.
func isNull(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return string(raw) == "null" || string(raw) == `"None"`
}

// badValue is the refusal of a field's value; the caller's error names the field.
func badValue(raw []byte, t reflect.Type) error {
	got := string(bytes.TrimSpace(raw))
	if utf8.RuneCountInString(got) > 40 {
		got = string([]rune(got)[:40]) + "..."
	}
	return &json.UnmarshalTypeError{Value: got, Type: t}
}

// scalar returns a JSON string's trimmed text or a JSON number's digits;
// ok is false for anything else (objects, lists, booleans).
func scalar(raw []byte) (s string, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return strings.TrimSpace(s), true
	}
	var n json.Number
	if len(raw) == 0 || json.Unmarshal(raw, &n) != nil {
		return "", false
	}
	return n.String(), true
}

// parseInt reads an integer: digits as a number or a string, or a whole
// float such as 3.0; an empty string is null.
func parseInt(raw []byte) (v int64, null, ok bool) {
	s, ok := scalar(raw)
	if !ok {
		return 0, false, false
	}
	if s == "" {
		return 0, true, true
	}
	return intText(s)
}

// intText parses the text of one integer, exactly: no sign games, no units.
func intText(s string) (v int64, null, ok bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, false, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<53 {
		return 0, false, false
	}
	return int64(f), false, true
}

// parseFloat reads a finite number, as a number or a string; an empty string is null.
func parseFloat(raw []byte) (v float64, null, ok bool) {
	s, ok := scalar(raw)
	if !ok {
		return 0, false, false
	}
	if s == "" {
		return 0, true, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, false
	}
	return f, false, true
}

// parseBool reads true/false, 1/0 and their string forms ("True", "1", as
// the Python clients write them), and the yes/no words the API always took.
func parseBool(raw []byte) (v, ok bool) {
	s, isScalar := scalar(raw)
	if !isScalar {
		s = string(bytes.TrimSpace(raw))
	}
	switch strings.ToLower(s) {
	case "true", "1", "t", "yes", "y":
		return true, true
	case "false", "0", "f", "no", "n":
		return false, true
	}
	return false, false
}

// parseText reads a string as it was sent, or a number as its text. A NUL
// byte, or a U+FFFD that only an invalid escape produced (a lone surrogate),
// is refused: SmartYard's text columns cannot hold the first, and the second
// would be a silent change of what the client sent.
func parseText(raw []byte) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		s, ok := scalar(raw)
		return s, ok
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	if strings.IndexByte(s, 0) >= 0 || strings.Count(s, "\uFFFD") > sentReplacements(raw) {
		return "", false
	}
	return s, true
}

// sentReplacements counts the U+FFFD a JSON string literal holds on purpose:
// the character itself or its escape.
func sentReplacements(raw []byte) int {
	lower := bytes.ToLower(raw)
	return bytes.Count(raw, []byte("\uFFFD")) + bytes.Count(lower, []byte(`\ufffd`))
}
