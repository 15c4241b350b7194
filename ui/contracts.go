package ui

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"yardsync/reconcile"
)

type contractsData struct {
	Query   string
	By      string // "uid" or "phone"
	Message string // a text key when there is nothing to show
	Results []reconcile.Explanation
}

// maxPhoneContracts bounds the explanations one phone search makes.
const maxPhoneContracts = 10

// contracts searches a contract by uid, or a phone's contracts, and explains each.
func (h *Handler) contracts(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query()
	d := contractsData{Query: strings.TrimSpace(q.Get("q")), By: q.Get("by")}
	if d.By != "phone" {
		d.By = "uid"
	}
	if d.Query == "" {
		h.render(w, r, http.StatusOK, "contracts", &s, d)
		return
	}
	if h.opts.Explain == nil || h.opts.UIDs == nil {
		d.Message = "unavailable"
		h.render(w, r, http.StatusServiceUnavailable, "contracts", &s, d)
		return
	}
	uids, status := h.searchUIDs(r, &d)
	for _, uid := range uids {
		ex, err := h.opts.Explain(r.Context(), uid)
		if err != nil {
			h.fail(w, r, http.StatusInternalServerError, "internal", err)
			return
		}
		d.Results = append(d.Results, ex)
	}
	h.render(w, r, status, "contracts", &s, d)
}

// searchUIDs reads the uids to explain; on a bad query it sets d.Message.
func (h *Handler) searchUIDs(r *http.Request, d *contractsData) ([]int64, int) {
	if d.By == "uid" {
		uid, err := strconv.ParseInt(d.Query, 10, 64)
		if err != nil || uid <= 0 {
			d.Message = "bad_uid"
			return nil, http.StatusBadRequest
		}
		return []int64{uid}, http.StatusOK
	}
	uids, err := h.opts.UIDs(r.Context(), d.Query)
	if errors.Is(err, reconcile.ErrInvalid) {
		d.Message = err.Error() // shown as is: it says what a phone is
		return nil, http.StatusBadRequest
	}
	if err != nil {
		d.Message = "internal"
		h.opts.Log.Warn("status page phone search failed", slog.Any("error", err))
		return nil, http.StatusBadGateway
	}
	if len(uids) == 0 {
		d.Message = "no_contracts"
	}
	return uids[:min(len(uids), maxPhoneContracts)], http.StatusOK
}
