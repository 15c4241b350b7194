package panels

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"yardsync/reconcile"
)

// akuvoxHandsetOff is the AnalogNumber of a FLAT user whose handset is off
// (SmartYard-Server's FLAG_CMS_DISABLED); any other value is handset on.
const akuvoxHandsetOff = "9999"

// switchesCalls: only an S532 has a per-flat call setting, its FLAT user.
// A model not probed yet may: calls and setCalls probe it, and answer
// reconcile.ErrNoCalls for an E12 or R20A before sending anything else.
func (a *akuvox) switchesCalls() bool {
	m := a.c.traits.get(a.c.addr).akuvox
	return m == "" || m == akuvoxS532
}

// flatUser reads flat's user FLATx<n> (GET /api/user/get?NameOrCode=,
// a fuzzy lookup: FLATx1 finds FLATx12 too, so the UserID must match).
// A flat without one is a permanent error naming it: yardsync does not
// create flats, as on a Rubetek. The user comes back as listed, every
// field, so a write can send it back whole.
func (a *akuvox) flatUser(ctx context.Context, flat int) (map[string]json.RawMessage, string, error) {
	m, err := a.model(ctx)
	if err != nil {
		return nil, "", err
	}
	if m != akuvoxS532 {
		return nil, "", fmt.Errorf("panels: %s %s: %s: %w", a.c.family, a.c.addr, m, reconcile.ErrNoCalls)
	}
	id := akuvoxFlatUser(flat)
	users, err := a.users(ctx, "?NameOrCode="+url.QueryEscape(id))
	if err != nil {
		return nil, "", err
	}
	req := "GET /api/user/get?NameOrCode=" + id
	var found map[string]json.RawMessage
	for _, u := range users {
		if string(u.UserID) != id {
			continue
		}
		if found != nil {
			return nil, "", a.c.fail(reconcile.ErrPermanent, req, "flat %d: two users %s, fix the panel by hand", flat, id)
		}
		if json.Unmarshal(u.raw, &found) != nil {
			return nil, "", a.c.fail(reconcile.ErrPermanent, req, "flat %d: user %s is no object", flat, id)
		}
	}
	if found == nil {
		return nil, "", a.c.fail(reconcile.ErrPermanent, req, "flat %d has no user %s on the panel", flat, id)
	}
	var analog lenientString
	_ = json.Unmarshal(found["AnalogNumber"], &analog)
	return found, string(analog), nil
}

// calls reads the FLAT user's AnalogNumber: 9999 is handset off, anything
// else handset on, kept in Raw so "on again" writes it back exactly. The
// S532 has no per-flat SIP switch: SIP is false.
func (a *akuvox) calls(ctx context.Context, flat int) (reconcile.CallSetting, error) {
	_, analog, err := a.flatUser(ctx, flat)
	if err != nil {
		return reconcile.CallSetting{}, err
	}
	return reconcile.CallSetting{Handset: analog != akuvoxHandsetOff, Raw: analog}, nil
}

// setCalls writes the FLAT user back with POST /api user set, as
// SmartYard-Server's updateUsers does: every field as listed (ID, UserID,
// Name, Group, PIN, PhoneNum, schedule, analog fields), AnalogNumber 9999
// for the zero setting, else the setting's Raw (what calls found).
func (a *akuvox) setCalls(ctx context.Context, flat int, s reconcile.CallSetting) error {
	if s.SIP {
		return a.c.fail(reconcile.ErrPermanent, "", "calls: flat %d: the S532 has no per-flat SIP switch", flat)
	}
	analog := s.Raw
	if s.Off() && s.Raw == "" {
		analog = akuvoxHandsetOff
	}
	if (analog == akuvoxHandsetOff) != s.Off() {
		return a.c.fail(reconcile.ErrPermanent, "", "calls: flat %d: analog number %q does not say handset %s", flat, analog, onOff(s.Handset))
	}
	u, _, err := a.flatUser(ctx, flat)
	if err != nil {
		return err
	}
	u["AnalogNumber"], _ = json.Marshal(analog)
	return a.post(ctx, "user", "set", map[string]any{"item": []map[string]json.RawMessage{u}})
}
