package api

import (
	"net/http"

	"yardsync/reconcile"
)

var errNoBilling = reconcile.Errorf(reconcile.ErrUnavailable, "billing not configured")

func (h *handler) phone(b body) (string, error) {
	if h.Billing == nil {
		return "", errNoBilling
	}
	p, err := b.str("phone")
	if err != nil {
		return "", err
	}
	if p == nil || *p == "" {
		return "", reconcile.Errorf(reconcile.ErrInvalid, "field \"phone\" is required")
	}
	return *p, nil
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
	uid, err := b.id("uid")
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

// sync asks for a run: {} full, {"uid": N} one contract, "wait": true to
// answer with the run's summary. A uid's cached billing answers are dropped first.
func (h *handler) sync(r *http.Request, b body) (int, any, error) {
	if h.Syncer == nil || h.Billing == nil {
		return 0, nil, errNoBilling
	}
	var uid int64
	if b.has("uid") && !b.isNull("uid") {
		v, err := b.id("uid")
		if err != nil {
			return 0, nil, err
		}
		uid = v
		h.Billing.Forget(uid)
	}
	if p, err := b.str("phone"); err == nil && p != nil && *p != "" {
		h.Billing.ForgetPhone(*p)
	}
	wait, err := b.bool("wait")
	if err != nil {
		return 0, nil, err
	}
	sum, err := h.Syncer.Sync(r.Context(), uid, wait != nil && *wait)
	if err != nil {
		return 0, nil, err
	}
	if wait == nil || !*wait {
		return http.StatusAccepted, map[string]int64{"run_id": sum.RunID}, nil
	}
	return http.StatusOK, sum, nil
}
