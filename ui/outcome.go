package ui

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"yardsync/reconcile"
	"yardsync/store"
)

// shownFailed is how many failed panels a run's outcome names with their error.
const shownFailed = 3

// outcome says why a run did not do all it should: its own error, else
// the panels that failed, each with its error.
type outcome struct {
	Error  string
	Failed []failedPanel
	More   int // failed panels not shown
}

// failedPanel is a panel a run could not bring in line, and why.
type failedPanel struct {
	ID    int
	Error string
}

// outcomeOf reads a run record's reasons; a run that went through has none.
func outcomeOf(r store.RunRecord) outcome {
	o := outcome{Error: r.Error}
	if r.Status != reconcile.StatusFailed && r.Status != reconcile.StatusPartial {
		return o
	}
	ids := make([]int, 0, len(r.Failed))
	for id := range r.Failed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids[:min(len(ids), shownFailed)] {
		o.Failed = append(o.Failed, failedPanel{ID: id, Error: r.Failed[id]})
	}
	o.More = len(ids) - len(o.Failed)
	return o
}

// runResult is the run a panel page's sync button made, as recorded.
type runResult struct {
	ID     int64
	Status string
	Why    outcome
}

// syncResult reads the run named by the page's run parameter from the
// store: its status now and why it failed. The page says only what the
// store holds, never what a link's query says: a run with no record (one
// still queued behind another, or no run at all) shows nothing.
func (h *Handler) syncResult(r *http.Request) (*runResult, error) {
	id, err := strconv.ParseInt(r.URL.Query().Get("run"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil
	}
	rec, err := h.opts.Store.RunRecord(r.Context(), id)
	if errors.Is(err, reconcile.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &runResult{ID: id, Status: rec.Status, Why: outcomeOf(rec)}, nil
}
