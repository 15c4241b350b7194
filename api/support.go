package api

import (
	"context"
	"net/http"
	"time"

	"yardsync/reconcile"
)

// journalStore is what the support calls read: the change log and the
// panels' status.
type journalStore interface {
	Changes(ctx context.Context, f reconcile.ChangeFilter) ([]reconcile.Change, error)
	PanelStatuses(ctx context.Context, failingOnly bool) ([]reconcile.PanelStatus, error)
}

// Explainer says why a contract has or lacks access (reconcile.Runner.Explain).
type Explainer func(ctx context.Context, uid int64) (reconcile.Explanation, error)

// explain answers what `yardsync explain --uid N --json` prints.
func (h *handler) explain(r *http.Request, b body) (int, any, error) {
	if h.Explain == nil {
		return 0, nil, errNoBilling
	}
	uid, err := requireUID(b)
	if err != nil {
		return 0, nil, err
	}
	ex, err := h.Explain(r.Context(), uid)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ex, nil
}

// logRequest selects change log entries, as `yardsync log` does.
type logRequest struct {
	UID      ID            `json:"uid"`
	DeviceID ID            `json:"device_id"`
	Key      Field[string] `json:"key"`
	Since    Field[string] `json:"since"` // a Go duration back from now ("24h") or an RFC 3339 time
	Limit    Field[int64]  `json:"limit"`
}

func (h *handler) changeLog(r *http.Request, b body) (int, any, error) {
	req, err := decode[logRequest](b)
	if err != nil {
		return 0, nil, err
	}
	f, err := req.filter(time.Now())
	if err != nil {
		return 0, nil, err
	}
	changes, err := h.db.Changes(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"changes": changes}, nil
}

func (req logRequest) filter(now time.Time) (reconcile.ChangeFilter, error) {
	var f reconcile.ChangeFilter
	var err error
	if _, ok := req.UID.value(); ok {
		if f.UID, err = requireID("uid", req.UID); err != nil {
			return f, err
		}
	}
	if _, ok := req.DeviceID.value(); ok {
		id, err := requireID("device_id", req.DeviceID)
		if err != nil {
			return f, err
		}
		f.DeviceID = int(id)
	}
	if key, ok := req.Key.value(); ok {
		if f.Code, err = reconcile.NormalizeKey(key); err != nil {
			return f, err
		}
	}
	if since, ok := req.Since.value(); ok {
		if f.Since, err = parseSince(since, now); err != nil {
			return f, err
		}
	}
	if n, ok := req.Limit.value(); ok {
		if n < 1 || n > 100000 {
			return f, reconcile.Errorf(reconcile.ErrInvalid, "field \"limit\": %d is not between 1 and 100000", n)
		}
		f.Limit = int(n)
	}
	return f, nil
}

// parseSince reads "24h" as that long before now, or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, reconcile.Errorf(reconcile.ErrInvalid, "field \"since\": %q is neither a duration such as 24h nor an RFC 3339 time", s)
}

// panelsRequest optionally asks for failing panels only.
type panelsRequest struct {
	Failing Field[bool] `json:"failing"`
}

func (h *handler) panels(r *http.Request, b body) (int, any, error) {
	req, err := decode[panelsRequest](b)
	if err != nil {
		return 0, nil, err
	}
	failing, _ := req.Failing.value()
	list, err := h.db.PanelStatuses(r.Context(), failing)
	if err != nil {
		return 0, nil, err
	}
	reconcile.NameFamilies(list, h.Families)
	return http.StatusOK, map[string]any{"panels": list}, nil
}
