package panels

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"yardsync/reconcile"
)

// sokol speaks IS ISCom X1 (Sokol): JSON over REST, success is any 2xx.
type sokol struct {
	c *Client
}

func (s *sokol) ping(ctx context.Context) (Info, error) {
	var info struct {
		DeviceID    flexString `json:"deviceID"`
		DeviceModel string     `json:"deviceModel"`
		Model       string     `json:"model"`
	}
	if err := s.getJSON(ctx, "/system/info", &info); err != nil {
		return Info{}, err
	}
	if info.DeviceID == "" {
		return Info{}, s.c.fail(reconcile.ErrPermanent, "GET /system/info", "answer has no deviceID")
	}
	model := info.DeviceModel
	if model == "" {
		model = info.Model
	}
	return Info{DeviceID: string(info.DeviceID), Model: model}, nil
}

// sokolKey is one entry of /key/store; only the fields yardsync uses.
type sokolKey struct {
	UUID       string  `json:"uuid"`
	PanelCode  flexInt `json:"panelCode"`
	Encryption bool    `json:"encryption"`
}

func (s *sokol) listKeys(ctx context.Context) ([]reconcile.PanelKey, error) {
	var store []sokolKey
	if err := s.getJSON(ctx, "/key/store", &store); err != nil {
		return nil, err
	}
	keys := make([]reconcile.PanelKey, 0, len(store))
	for i, k := range store {
		if k.UUID == "" {
			return nil, s.c.fail(reconcile.ErrPermanent, "GET /key/store", "unparsable answer: entry %d has no uuid", i)
		}
		keys = append(keys, reconcile.PanelKey{Code: k.UUID, Flat: int(k.PanelCode)})
	}
	return keys, nil
}

// addKeys sends every key in one merge, which upserts by uuid (and so rebinds).
func (s *sokol) addKeys(ctx context.Context, keys []reconcile.PanelKey) error {
	body := make([]sokolKey, len(keys))
	for i, k := range keys {
		body[i] = sokolKey{UUID: k.Code, PanelCode: flexInt(k.Flat)}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return s.c.fail(reconcile.ErrPermanent, "PUT /key/store/merge", "encode: %v", err)
	}
	return s.write(ctx, http.MethodPut, "/key/store/merge", raw)
}

func (s *sokol) deleteKey(ctx context.Context, code string) error {
	return s.write(ctx, http.MethodDelete, "/key/store/"+url.PathEscape(code), nil)
}

func (s *sokol) finish(context.Context) error { return nil }

// write sends a change: success is a 2xx with an empty or JSON body.
func (s *sokol) write(ctx context.Context, method, path string, body []byte) error {
	a, err := s.c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	if err := s.c.statusError(method+" "+path, a.status); err != nil {
		return err
	}
	if b := bytes.TrimSpace(a.body); len(b) > 0 && !json.Valid(b) {
		return s.c.fail(reconcile.ErrPermanent, method+" "+path, "unparsable answer %s", snippet(a.body))
	}
	return nil
}

// getJSON reads a JSON answer into v; an empty body reads as nothing.
func (s *sokol) getJSON(ctx context.Context, path string, v any) error {
	a, err := s.c.get(ctx, path)
	if err != nil {
		return err
	}
	if err := s.c.statusError("GET "+path, a.status); err != nil {
		return err
	}
	if len(bytes.TrimSpace(a.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		return s.c.fail(reconcile.ErrPermanent, "GET "+path, "unparsable answer %s: %v", snippet(a.body), err)
	}
	return nil
}

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

func itoa(n int) string { return strconv.Itoa(n) }
