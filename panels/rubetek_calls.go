package panels

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"yardsync/reconcile"
)

// rubetekBlocked is the call_type that lets no call through.
const rubetekBlocked = "blocked"

// apartment reads the flat's entry from GET /api/v1/apartments, every
// field as the panel sent it, so a write sends it back whole.
func (r *rubetek) apartment(ctx context.Context, flat int) (map[string]json.RawMessage, string, error) {
	const path = "/api/v1/apartments"
	var list []map[string]json.RawMessage
	if err := r.getJSON(ctx, path, &list); err != nil {
		return nil, "", err
	}
	for _, a := range list {
		var id flexInt
		if json.Unmarshal(a["id"], &id) != nil || int(id) != flat {
			continue
		}
		var callType string
		if err := json.Unmarshal(a["call_type"], &callType); err != nil {
			return nil, "", r.c.fail(reconcile.ErrPermanent, "GET "+path, "apartment %d has no call_type", flat)
		}
		return a, callType, nil
	}
	return nil, "", r.c.fail(reconcile.ErrPermanent, "GET "+path, "apartment %d is not on the panel", flat)
}

// calls reads the flat's call_type: blocked lets no call through; a type
// naming sip or analog lets those through.
func (r *rubetek) calls(ctx context.Context, flat int) (reconcile.CallSetting, error) {
	_, callType, err := r.apartment(ctx, flat)
	if err != nil {
		return reconcile.CallSetting{}, err
	}
	if callType == rubetekBlocked {
		return reconcile.CallSetting{Raw: callType}, nil
	}
	return reconcile.CallSetting{Handset: strings.Contains(callType, "analog"), SIP: strings.Contains(callType, "sip"),
		Raw: callType}, nil
}

// setCalls sends the flat's apartment back with POST /api/v1/apartments,
// call_type blocked (the zero setting) or the one read before.
func (r *rubetek) setCalls(ctx context.Context, flat int, s reconcile.CallSetting) error {
	a, _, err := r.apartment(ctx, flat)
	if err != nil {
		return err
	}
	callType := s.Raw
	if callType == "" && !s.Off() {
		return r.c.fail(reconcile.ErrPermanent, "", "calls: flat %d: no call_type to put back", flat)
	}
	if s.Off() && s.Raw == "" {
		callType = rubetekBlocked
	}
	a["call_type"], _ = json.Marshal(callType)
	return r.write(ctx, http.MethodPost, "/api/v1/apartments", a)
}
