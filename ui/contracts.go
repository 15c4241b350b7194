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
	By      string // what the operator chose: "" (recognise), "uid", "phone" or "key"
	Kind    string // what the query was searched as: "uid", "phone" or "key"
	Key     string // the normalised key searched for
	Message string // a text key when there is nothing to show
	Results []reconcile.Explanation
}

// maxSearchContracts bounds the explanations one phone or key search makes.
const maxSearchContracts = 10

// contracts finds contracts by uid, phone or key, and explains each.
func (h *Handler) contracts(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query()
	d := contractsData{Query: strings.TrimSpace(q.Get("q")), By: q.Get("by")}
	if d.By != "uid" && d.By != "phone" && d.By != "key" {
		d.By = ""
	}
	if d.Query == "" {
		h.render(w, r, http.StatusOK, "contracts", &s, d)
		return
	}
	if d.Kind = d.By; d.Kind == "" {
		d.Kind = recognise(d.Query)
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
	switch d.Kind {
	case "uid":
		uid, err := strconv.ParseInt(d.Query, 10, 64)
		if err != nil || uid <= 0 || uid > maxUID {
			d.Message = "bad_uid"
			return nil, http.StatusBadRequest
		}
		return []int64{uid}, http.StatusOK
	case "phone":
		uids, err := h.opts.UIDs(r.Context(), d.Query)
		return h.found(d, uids, err, "bad_phone", "no_contracts")
	case "key":
		code, ok := searchKey(d.Query)
		if !ok {
			d.Message = "bad_key"
			return nil, http.StatusBadRequest
		}
		d.Key = code
		uids, err := h.opts.Store.KeyHolders(r.Context(), code)
		return h.found(d, uids, err, "bad_key", "no_key_holders")
	}
	d.Message = "bad_query"
	return nil, http.StatusBadRequest
}

// maxUID is the largest contract uid: SmartYard keeps uids as integer.
const maxUID = 1<<31 - 1

// found reads the outcome of a phone or key search.
func (h *Handler) found(d *contractsData, uids []int64, err error, invalid, none string) ([]int64, int) {
	switch {
	case errors.Is(err, reconcile.ErrInvalid):
		d.Message = invalid
		return nil, http.StatusBadRequest
	case err != nil:
		d.Message = "internal"
		h.opts.Log.Warn("status page search failed", slog.String("by", d.Kind), slog.Any("error", err))
		return nil, http.StatusBadGateway
	case len(uids) == 0:
		d.Message = none
	}
	return uids[:min(len(uids), maxSearchContracts)], http.StatusOK
}

// recognise says what a search is, or "" when it is none of these:
//   - a phone: 10 digits, or 11 starting with 7 or 8, or anything written
//     as a phone (+, brackets), with spaces, dashes and dots allowed;
//   - a key: hex with a letter from a to f, bytes split by ':', a leading
//     zero, or 12 to 14 digits;
//   - a contract uid: 1 to 9 digits and nothing else.
func recognise(q string) string {
	var digits strings.Builder
	hexLetter, phoneMark, keyMark, spaced := false, false, false, false
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case strings.ContainsRune("abcdefABCDEF", r):
			hexLetter = true
			digits.WriteRune(r)
		case strings.ContainsRune("+()", r):
			phoneMark = true
		case r == ':':
			keyMark = true
		case strings.ContainsRune(" -.\u00a0", r):
			spaced = true
		default:
			return ""
		}
	}
	d, n := digits.String(), digits.Len()
	switch {
	case n == 0 || phoneMark && (hexLetter || keyMark):
		return ""
	case hexLetter || keyMark:
		return "key"
	case phoneMark || n == 10 || n == 11 && (d[0] == '7' || d[0] == '8'):
		return "phone"
	case d[0] == '0' || n >= 12 && n <= reconcile.KeyLen:
		return "key"
	case n <= 9 && !spaced:
		return "uid"
	}
	return ""
}

// searchKey normalises a key as keys_add takes it: 1 to 14 hex digits,
// bytes maybe split by ':', '-' or spaces.
func searchKey(q string) (string, bool) {
	digits := strings.Map(func(r rune) rune {
		if strings.ContainsRune(": -", r) {
			return -1
		}
		return r
	}, q)
	if len(digits) < 1 || len(digits) > reconcile.KeyLen {
		return "", false
	}
	for _, r := range digits {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return "", false
		}
	}
	return strings.Repeat("0", reconcile.KeyLen-len(digits)) + strings.ToUpper(digits), true
}
