package reconcile

// SyncAnswer is what sync/ with wait answers (Scheduler.Sync, SyncPanel):
// the run's summary once it ended; before that, its counts so far with
// status running and the panels still in progress.
type SyncAnswer struct {
	Summary
	// Pending, only while the run is running, lists the panels (device ids)
	// still in progress, sorted: maybe none, when the run does not know its
	// panels yet or has settled them all. A run that ended has no such list.
	Pending []int `json:"pending,omitzero"`
}
