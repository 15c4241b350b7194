package reconcile

// Run statuses, as yardsync_runs and `reconcile --json` report them.
const (
	StatusOK      = "ok"
	StatusPartial = "partial"
	StatusGuarded = "guarded"
	StatusFailed  = "failed"
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
