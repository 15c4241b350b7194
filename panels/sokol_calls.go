package panels

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"yardsync/reconcile"
)

// sokolCalls is a panel code's callsEnabled object.
type sokolCalls struct {
	Handset *bool `json:"handset"`
	SIP     *bool `json:"sip"`
}

// calls reads GET /panelCode/<n>: callsEnabled.handset and .sip.
func (s *sokol) calls(ctx context.Context, flat int) (reconcile.CallSetting, error) {
	path := "/panelCode/" + strconv.Itoa(flat)
	var pc struct {
		CallsEnabled *sokolCalls `json:"callsEnabled"`
	}
	if err := s.getJSON(ctx, path, &pc); err != nil {
		return reconcile.CallSetting{}, err
	}
	if pc.CallsEnabled == nil || pc.CallsEnabled.Handset == nil || pc.CallsEnabled.SIP == nil {
		return reconcile.CallSetting{}, s.c.fail(reconcile.ErrPermanent, "GET "+path, "answer has no callsEnabled for flat %d", flat)
	}
	return reconcile.CallSetting{Handset: *pc.CallsEnabled.Handset, SIP: *pc.CallsEnabled.SIP}, nil
}

// setCalls sends PUT /panelCode/<n> {"callsEnabled":{"handset","sip"}}; the
// panel code's other fields are left as they are.
func (s *sokol) setCalls(ctx context.Context, flat int, c reconcile.CallSetting) error {
	path := "/panelCode/" + strconv.Itoa(flat)
	body, err := json.Marshal(map[string]sokolCalls{"callsEnabled": {Handset: &c.Handset, SIP: &c.SIP}})
	if err != nil {
		return s.c.fail(reconcile.ErrPermanent, "PUT "+path, "encode: %v", err)
	}
	return s.write(ctx, http.MethodPut, path, body)
}
