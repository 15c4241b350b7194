package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"

	"yardsync/reconcile"
	"yardsync/store"
)

// recentRuns is how many runs the overview lists.
const recentRuns = 20

// recentChanges is how many change log entries a panel's page lists.
const recentChanges = 50

type homeData struct {
	Panels []reconcile.PanelStatus
	Runs   []runRow
	Held   *store.HeldGuard // the newest run the guard held, unless a full run went through since
}

// runRow is a run of the overview's list, with why it did not do all it should.
type runRow struct {
	store.RunRecord
	Why outcome
}

// home lists the panels, failing first, and the last runs.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, s session) {
	var d homeData
	var err error
	if d.Panels, err = h.opts.Store.PanelStatuses(r.Context(), false); err != nil {
		h.fail(w, r, http.StatusInternalServerError, "internal", err)
		return
	}
	runs, err := h.opts.Store.RecentRuns(r.Context(), recentRuns)
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "internal", err)
		return
	}
	for _, run := range runs {
		d.Runs = append(d.Runs, runRow{RunRecord: run, Why: outcomeOf(run)})
	}
	if d.Held, err = h.opts.Store.LastHeld(r.Context(), 0); err != nil {
		h.fail(w, r, http.StatusInternalServerError, "internal", err)
		return
	}
	h.render(w, r, http.StatusOK, "home", &s, d)
}

type panelData struct {
	Status  reconcile.PanelStatus
	Keys    []keyRow
	LiveErr string // why the panel could not be read live
	Changes []reconcile.Change
	CanSync bool             // the session's role may sync and runs are configured
	NoSync  bool             // runs are not configured here (billing is not)
	Run     *runResult       // the run the sync button just made, as recorded
	SyncErr string           // why the sync button made no run (only in the answer to its POST)
	Held    *store.HeldGuard // as on the overview
	// CallsOff lists the flats whose calls yardsync turned off on the panel
	// (reconcile.block_calls), with what it found there.
	CallsOff []reconcile.CallRecord
}

// callRecords is a Store that keeps call records (store.DB does).
type callRecords interface {
	CallRecords(ctx context.Context, devices []int) ([]reconcile.CallRecord, error)
}

// keyRow is one key of a panel: what yardsync owns and what the panel holds.
type keyRow struct {
	Code    string
	Flat    int
	UID     int64 // 0: not yardsync's
	Owned   bool
	OnPanel *bool // nil: the panel could not be read
}

// panel shows one panel's status, its keys and its recent changes.
func (h *Handler) panel(w http.ResponseWriter, r *http.Request, s session) {
	st, ok := h.findPanel(w, r)
	if !ok {
		return
	}
	d := panelData{Status: st, CanSync: h.opts.Sync != nil && s.role.SyncsPanels(), NoSync: h.opts.Sync == nil}
	h.showPanel(w, r, http.StatusOK, s, d)
}

// showPanel renders a panel's page with d's status and sync result, after
// reading its keys, changes, the guard's hold and the run ?run= names.
func (h *Handler) showPanel(w http.ResponseWriter, r *http.Request, status int, s session, d panelData) {
	st := d.Status
	owned, err := h.opts.Store.OwnedKeysOn(r.Context(), st.DeviceID)
	if err == nil {
		d.Changes, err = h.opts.Store.Changes(r.Context(), reconcile.ChangeFilter{DeviceID: st.DeviceID, Limit: recentChanges})
	}
	if err == nil {
		d.Held, err = h.opts.Store.LastHeld(r.Context(), 0)
	}
	if err == nil {
		d.Run, err = h.syncResult(r)
	}
	if cr, ok := h.opts.Store.(callRecords); ok && err == nil {
		d.CallsOff, err = cr.CallRecords(r.Context(), []int{st.DeviceID})
	}
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "internal", err)
		return
	}
	live, liveErr := h.liveKeys(r.Context(), st.DeviceID)
	if liveErr != nil {
		d.LiveErr = liveErr.Error()
	}
	d.Keys = keyRows(owned, live, liveErr == nil)
	h.render(w, r, status, "panel", &s, d)
}

// findPanel reads the {id} panel's status, answering 400 or 404 itself.
func (h *Handler) findPanel(w http.ResponseWriter, r *http.Request) (reconcile.PanelStatus, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 {
		h.fail(w, r, http.StatusBadRequest, "bad_id", nil)
		return reconcile.PanelStatus{}, false
	}
	all, err := h.opts.Store.PanelStatuses(r.Context(), false)
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, "internal", err)
		return reconcile.PanelStatus{}, false
	}
	i := slices.IndexFunc(all, func(p reconcile.PanelStatus) bool { return p.DeviceID == id })
	if i < 0 {
		h.fail(w, r, http.StatusNotFound, "no_panel", nil)
		return reconcile.PanelStatus{}, false
	}
	return all[i], true
}

var errNoLiveRead = errors.New("live reads are not configured")

func (h *Handler) liveKeys(ctx context.Context, id int) ([]reconcile.PanelKey, error) {
	if h.opts.PanelKeys == nil {
		return nil, errNoLiveRead
	}
	ctx, cancel := context.WithTimeout(ctx, LiveTimeout)
	defer cancel()
	return h.opts.PanelKeys(ctx, id)
}

// keyRows joins owned keys with the panel's, sorted by code.
func keyRows(owned []reconcile.OwnedKey, live []reconcile.PanelKey, read bool) []keyRow {
	on := map[string]int{}
	for _, k := range live {
		on[k.Code] = k.Flat
	}
	var rows []keyRow
	seen := map[string]bool{}
	for _, o := range owned {
		row := keyRow{Code: o.Code, Flat: o.Flat, UID: o.UID, Owned: true}
		if read {
			_, there := on[o.Code]
			row.OnPanel = &there
		}
		rows, seen[o.Code] = append(rows, row), true
	}
	yes := true
	for _, k := range live {
		if !seen[k.Code] {
			rows = append(rows, keyRow{Code: k.Code, Flat: k.Flat, OnPanel: &yes})
		}
	}
	slices.SortFunc(rows, func(a, b keyRow) int { return cmpString(a.Code, b.Code) })
	return rows
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// syncPanel runs the panel and waits, then shows the panel page again with
// the run's outcome (POST, redirect, GET: a reload does not run it twice).
func (h *Handler) syncPanel(w http.ResponseWriter, r *http.Request, s session) {
	st, ok := h.findPanel(w, r)
	if !ok {
		return
	}
	if !s.role.SyncsPanels() {
		h.fail(w, r, http.StatusForbidden, "role_refused", nil)
		return
	}
	if h.opts.Sync == nil {
		h.fail(w, r, http.StatusServiceUnavailable, "no_sync", nil)
		return
	}
	sum, err := h.opts.Sync.SyncPanel(r.Context(), st.DeviceID, true)
	if err != nil && sum.RunID == 0 {
		// No run to read back: the answer to this POST says why.
		h.opts.Log.Warn("status page sync failed", slog.Int("device_id", st.DeviceID), slog.Any("error", err))
		h.showPanel(w, r, http.StatusBadGateway, s, panelData{Status: st, CanSync: true, SyncErr: err.Error()})
		return
	}
	http.Redirect(w, r, "/ui/panels/"+strconv.Itoa(st.DeviceID)+"?run="+strconv.FormatInt(sum.RunID, 10), http.StatusSeeOther)
}
