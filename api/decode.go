package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"yardsync/reconcile"
)

// maxBody is the largest request body served; larger bodies get 413.
const maxBody = 1 << 20

// body is a decoded request: a JSON object whose fields are read one by one,
// so the spec's quirks pass ('None' means null, numbers may be strings) and
// unknown fields are ignored.
type body map[string]json.RawMessage

// decodeBody reads a JSON object; an empty body is an empty object.
func decodeBody(r *http.Request) (body, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, err
	}
	return parseBody(data)
}

func parseBody(data []byte) (body, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return body{}, nil
	}
	var b body
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, reconcile.Errorf(reconcile.ErrInvalid, "body is not a JSON object: %s", jsonProblem(err))
	}
	if b == nil { // the body was the JSON literal null
		b = body{}
	}
	return b, nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "want an object, got " + te.Value
	}
	return err.Error()
}

// has reports whether the field was sent at all (null and 'None' included).
func (b body) has(name string) bool {
	_, ok := b[name]
	return ok
}

// isNull reports a field sent as null or as the string 'None'.
func (b body) isNull(name string) bool {
	raw := bytes.TrimSpace(b[name])
	return string(raw) == "null" || string(raw) == `"None"`
}

func fieldErr(name, want string, raw json.RawMessage) error {
	got := string(raw)
	if len(got) > 40 {
		got = got[:40] + "..."
	}
	return reconcile.Errorf(reconcile.ErrInvalid, "field %q: want %s, got %s", name, want, got)
}

// scalar returns the field's text: a JSON string unquoted, or a number's digits.
func (b body) scalar(name string) (string, bool) {
	raw := bytes.TrimSpace(b[name])
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s), true
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&n) == nil {
		return n.String(), true
	}
	return "", false
}

// int reads an integer field; a missing, null or 'None' field is nil.
func (b body) int(name string) (*int64, error) {
	if !b.has(name) || b.isNull(name) {
		return nil, nil
	}
	s, ok := b.scalar(name)
	if s == "" && ok {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil {
		if f, ferr := strconv.ParseFloat(s, 64); ok && ferr == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			v := int64(f)
			return &v, nil
		}
		return nil, fieldErr(name, "an integer", b[name])
	}
	return &n, nil
}

// float reads a number field; a missing, null or 'None' field is nil.
func (b body) float(name string) (*float64, error) {
	if !b.has(name) || b.isNull(name) {
		return nil, nil
	}
	s, ok := b.scalar(name)
	if s == "" && ok {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if !ok || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fieldErr(name, "a number", b[name])
	}
	return &f, nil
}

// bool reads true/false, "True"/"False", 1/0 and their string forms.
func (b body) bool(name string) (*bool, error) {
	if !b.has(name) || b.isNull(name) {
		return nil, nil
	}
	s, ok := b.scalar(name)
	if !ok {
		s = string(bytes.TrimSpace(b[name]))
	}
	var v bool
	switch strings.ToLower(s) {
	case "true", "1", "t", "yes", "y":
		v = true
	case "false", "0", "f", "no", "n":
		v = false
	default:
		return nil, fieldErr(name, "true or false", b[name])
	}
	return &v, nil
}

// str reads a text field; numbers are taken as their text.
func (b body) str(name string) (*string, error) {
	if !b.has(name) || b.isNull(name) {
		return nil, nil
	}
	raw := bytes.TrimSpace(b[name])
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return &s, nil
	}
	if n, ok := b.scalar(name); ok {
		return &n, nil
	}
	return nil, fieldErr(name, "a string", b[name])
}

// ints reads one integer or a list of them (rights_add/rights_del's device_id).
func (b body) ints(name string) ([]int64, error) {
	raw := bytes.TrimSpace(b[name])
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fieldErr(name, "an integer or a list of integers", raw)
		}
		var out []int64
		for i, item := range items {
			v, err := body{name: item}.int(name)
			if err != nil || v == nil {
				return nil, fieldErr(fmt.Sprintf("%s[%d]", name, i), "an integer", item)
			}
			out = append(out, *v)
		}
		return out, nil
	}
	v, err := b.int(name)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	return []int64{*v}, nil
}

// id reads a required positive 32-bit id (uid, device_id, doors_id).
func (b body) id(name string) (int64, error) {
	v, err := b.int(name)
	if err != nil {
		return 0, err
	}
	if v == nil {
		return 0, reconcile.Errorf(reconcile.ErrInvalid, "field %q is required", name)
	}
	if *v < 1 || *v > math.MaxInt32 {
		return 0, reconcile.Errorf(reconcile.ErrInvalid, "field %q: %d is not a valid id", name, *v)
	}
	return *v, nil
}
