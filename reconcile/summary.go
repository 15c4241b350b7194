package reconcile

// Run statuses, as yardsync_runs and `reconcile --json` report them.
const (
	StatusOK      = "ok"
	StatusPartial = "partial"
	StatusGuarded = "guarded"
	StatusFailed  = "failed"
	// StatusRunning is a run that has not ended: its record while it runs,
	// and a sync/ with wait that answered before the end (see Progress).
	StatusRunning = "running"
)

// Summary is the outcome of one run: what `reconcile --json` prints and
// sync/ with wait answers.
type Summary struct {
	RunID        int64  `json:"run_id"`
	Status       string `json:"status"`
	Panels       int    `json:"panels"`
	FailedPanels int    `json:"failed_panels"`
	Added        int    `json:"added"`
	Rebound      int    `json:"rebound"`
	Deleted      int    `json:"deleted"`
	Guarded      bool   `json:"guarded"`
}
