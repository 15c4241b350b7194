package api

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"strings"

	"yardsync/reconcile"
)

var errNoBilling = reconcile.Errorf(reconcile.ErrUnavailable, "billing not configured")

// Phone is a phone number field: a string, or a JSON integer. A float
// (89101234567.0, 8.9101234567e10) is refused rather than read as other
// digits, and so is text that is not a written phone number: digits with
// the usual punctuation, 10 to 15 of them, as the billing queries take.
type Phone struct{ Field[string] }

var phoneType = reflect.TypeFor[Phone]()

// UnmarshalJSON reads the phone and checks its form.
func (p *Phone) UnmarshalJSON(raw []byte) error {
	trimmed := bytes.TrimSpace(raw)
	number := len(trimmed) > 0 && trimmed[0] != '"' && !isNull(trimmed)
	if number && len(bytes.Trim(trimmed, "0123456789")) > 0 {
		return badValue(raw, phoneType)
	}
	if err := p.Field.UnmarshalJSON(raw); err != nil {
		return badValue(raw, phoneType)
	}
	if v, ok := p.value(); ok && v != "" && !phoneLike(v) {
		return badValue(raw, phoneType)
	}
	return nil
}

// phoneLike reports 10 to 15 digits with nothing but phone punctuation.
func phoneLike(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-.()\u00a0", r):
		default:
			return false
		}
	}
	return digits >= 10 && digits <= 15
}

// phoneRequest is the body of uids/ and billing_list/.
type phoneRequest struct {
	Phone Phone `json:"phone"`
}

func (h *handler) phone(b body) (string, error) {
	if h.Billing == nil {
		return "", errNoBilling
	}
	req, err := decode[phoneRequest](b)
	if err != nil {
		return "", err
	}
	p, ok := req.Phone.value()
	if !ok || p == "" {
		return "", required("phone")
	}
	return p, nil
}

func (h *handler) uids(r *http.Request, b body) (int, any, error) {
	phone, err := h.phone(b)
	if err != nil {
		return 0, nil, err
	}
	uids, err := h.Billing.UIDs(r.Context(), phone)
	if err != nil {
		return 0, nil, err
	}
	if uids == nil {
		uids = []int64{}
	}
	return http.StatusOK, map[string]any{"uids": uids}, nil
}

func (h *handler) cams(r *http.Request, b body) (int, any, error) {
	if h.Billing == nil {
		return 0, nil, errNoBilling
	}
	uid, err := requireUID(b)
	if err != nil {
		return 0, nil, err
	}
	state, err := h.Billing.Cams(r.Context(), uid)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, state, nil
}

func (h *handler) billingList(r *http.Request, b body) (int, any, error) {
	phone, err := h.phone(b)
	if err != nil {
		return 0, nil, err
	}
	rows, err := h.Billing.List(r.Context(), phone)
	if err != nil {
		return 0, nil, err
	}
	if rows == nil {
		rows = []reconcile.BillingRow{}
	}
	return http.StatusOK, map[string]any{"contracts": rows}, nil
}

// syncRequest is the body of sync/.
type syncRequest struct {
	UID      ID          `json:"uid"`
	DeviceID ID          `json:"device_id"` // one panel, e.g. after it was replaced
	Phone    Phone       `json:"phone"`
	Wait     Field[bool] `json:"wait"`
}

// syncOf runs one panel when device_id is given, else the contract or everything.
func (h *handler) syncOf(ctx context.Context, req syncRequest, uid int64, wait bool) (reconcile.SyncAnswer, error) {
	if _, ok := req.DeviceID.value(); !ok {
		return h.Syncer.Sync(ctx, uid, wait)
	}
	if uid != 0 {
		return reconcile.SyncAnswer{}, reconcile.Errorf(reconcile.ErrInvalid, "sync/: give uid or device_id, not both")
	}
	id, err := requireID("device_id", req.DeviceID)
	if err != nil {
		return reconcile.SyncAnswer{}, err
	}
	if _, err := h.db.Device(ctx, int(id)); err != nil {
		return reconcile.SyncAnswer{}, err
	}
	return h.Syncer.SyncPanel(ctx, int(id), wait)
}

// sync asks for a run: {} full, {"uid": N} one contract, {"device_id": N} one panel, "wait": true to
// answer with the run's summary. A uid's cached billing answers are dropped first.
func (h *handler) sync(r *http.Request, b body) (int, any, error) {
	if h.Syncer == nil || h.Billing == nil {
		return 0, nil, errNoBilling
	}
	req, err := decode[syncRequest](b)
	if err != nil {
		return 0, nil, err
	}
	var uid int64
	if req.UID.Set && !req.UID.Null {
		if uid, err = requireID("uid", req.UID); err != nil {
			return 0, nil, err
		}
		h.Billing.Forget(uid)
	}
	if p, ok := req.Phone.value(); ok && p != "" {
		h.Billing.ForgetPhone(p)
	}
	wait, _ := req.Wait.value()
	sum, err := h.syncOf(r.Context(), req, uid, wait)
	if err != nil {
		return 0, nil, err
	}
	if !wait {
		return http.StatusAccepted, map[string]int64{"run_id": sum.RunID}, nil
	}
	return http.StatusOK, sum, nil
}
