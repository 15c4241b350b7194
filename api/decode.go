package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"reflect"
	"unicode/utf8"

	"yardsync/reconcile"
)

// maxBody is the largest request body served; larger bodies get 413.
const maxBody = 1 << 20

// body is a request body already known to be one JSON object (or empty) in
// valid UTF-8. Each call decodes it into its own request struct with decode.
type body struct{ raw []byte }

// decodeBody reads a JSON object; an empty body is an empty object.
func decodeBody(r *http.Request) (body, error) {
	data, err := readBody(r, maxBody)
	if err != nil {
		return body{}, err
	}
	return parseBody(data)
}

// readBody reads at most limit bytes of body. A body that cannot be read
// (broken chunked encoding, not arrived within api.body_timeout, the
// connection gone) is the client's fault: a 400, never a 500. Too large a
// body stays an *http.MaxBytesError (413).
func readBody(r *http.Request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	var tooBig *http.MaxBytesError
	if err != nil && !errors.As(err, &tooBig) {
		return nil, reconcile.Errorf(reconcile.ErrInvalid, "the request body could not be read: %s", bodyProblem(err))
	}
	return data, err
}

// bodyProblem says why a body could not be read, without the internals.
func bodyProblem(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "it did not arrive in time"
	}
	return err.Error()
}

// parseBody checks the body is valid UTF-8 (checked on the bytes: the JSON
// decoder would turn bad bytes into U+FFFD without a word) and one JSON
// object, null or nothing; fields unknown to a call are ignored.
func parseBody(data []byte) (body, error) {
	if !utf8.Valid(data) {
		return body{}, reconcile.Errorf(reconcile.ErrInvalid, "body is not valid UTF-8")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return body{raw: []byte("{}")}, nil
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal(data, &object); err != nil {
		return body{}, reconcile.Errorf(reconcile.ErrInvalid, "body is not a JSON object: %s", jsonProblem(err))
	}
	return body{raw: data}, nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "want an object, got " + te.Value
	}
	return err.Error()
}

// decode reads the body into a call's request struct. A field that holds
// something its type cannot take is a 400 naming the field.
func decode[T any](b body) (T, error) {
	var req T
	err := json.Unmarshal(b.raw, &req)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return req, nil
	case errors.As(err, &te) && te.Field != "":
		return req, reconcile.Errorf(reconcile.ErrInvalid, "field %q: want %s, got %s", te.Field, want(te.Type), te.Value)
	}
	return req, reconcile.Errorf(reconcile.ErrInvalid, "body: %s", jsonProblem(err))
}

// want names what a field type takes, for error messages.
func want(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[int64]():
		return "an integer"
	case reflect.TypeFor[float64]():
		return "a number"
	case reflect.TypeFor[bool]():
		return "true or false"
	case reflect.TypeFor[string]():
		return "a string without NUL bytes"
	case idsType:
		return "an id or a list of ids (decimal digits)"
	case idType:
		return "an id: a JSON integer or a string of decimal digits"
	case phoneType:
		return "a phone number: 10 to 15 digits, as a string or an integer"
	}
	return "a " + t.String()
}

// required is the error of a field that must be sent.
func required(name string) error {
	return reconcile.Errorf(reconcile.ErrInvalid, "field %q is required", name)
}

// requireID reads a required positive 32-bit id (uid, device_id, doors_id).
func requireID(name string, f ID) (int64, error) {
	v, ok := f.value()
	if !ok {
		return 0, required(name)
	}
	if v < 1 || v > math.MaxInt32 {
		return 0, reconcile.Errorf(reconcile.ErrInvalid, "field %q: %d is not a valid id", name, v)
	}
	return v, nil
}

// optionalID checks an id that may be left out: when sent, a valid one.
func optionalID(name string, f ID) error {
	if _, ok := f.value(); ok {
		_, err := requireID(name, f)
		return err
	}
	return nil
}

// uidRequest is the body of the calls that name one contract.
type uidRequest struct {
	UID ID `json:"uid"`
}

// requireUID decodes a body whose one field is a required contract uid.
func requireUID(b body) (int64, error) {
	req, err := decode[uidRequest](b)
	if err != nil {
		return 0, err
	}
	return requireID("uid", req.UID)
}
