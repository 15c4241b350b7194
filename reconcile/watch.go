package reconcile

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"time"
)

// ChangeLog reads a billing's own log of changed contracts
// (billing.queries.changes): its rows stamped after since, each once.
type ChangeLog interface {
	Changes(ctx context.Context, since time.Time) ([]ChangeRow, error)
}

// ChangeRow is one row of the billing's change log: the contract it names,
// and the row's other columns (the change's time, a payment id) as one
// comparable value, so two changes of one contract are two rows.
type ChangeRow struct {
	UID  int64
	Rest string // "" when the log returns uid alone
}

// Watcher notices billing changes without a call from the billing. Every
// tick it re-reads the snapshot and diffs it with the previous one kept in
// memory, or, with a change log, asks the billing which rows it logged
// since Overlap before the previous read; the changed contracts go to
// Batch as one run. Nothing survives a restart: the first tick only takes
// the baseline and asks for a full run.
type Watcher struct {
	Billing   Billing            // the snapshot, re-read every tick without a change log
	ChangeLog ChangeLog          // nil: diff snapshots
	Every     time.Duration      // tick interval
	Overlap   time.Duration      // how far before the previous read's start a change-log read reaches
	MaxShrink float64            // a snapshot that lost more than this share of contracts is a glitch
	Batch     func(uids []int64) // asks for one run of these contracts
	Full      func()             // asks for a full run
	Log       *slog.Logger
	Now       func() time.Time // nil: time.Now

	prev  []Contract             // previous snapshot, sorted (sortSnapshot); nil until the baseline
	since time.Time              // start of the last change-log read that succeeded
	seen  map[ChangeRow]struct{} // the rows that read returned: the log's window, already run
}

// Start ticks until ctx is done.
func (w *Watcher) Start(ctx context.Context) error {
	t := time.NewTicker(w.Every)
	defer t.Stop()
	for {
		w.Tick(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Tick does one watch step and returns the uids it asked a run for.
func (w *Watcher) Tick(ctx context.Context) []int64 {
	var uids []int64
	var err error
	if w.ChangeLog != nil {
		uids, err = w.tickLog(ctx)
	} else {
		uids, err = w.tickSnapshot(ctx)
	}
	if err != nil {
		w.Log.Warn("billing watch: nothing changed", slog.Any("error", err))
		return nil
	}
	if len(uids) > 0 {
		w.Log.Info("billing watch: contracts changed", slog.Int("contracts", len(uids)))
		w.Batch(uids)
	}
	return uids
}

// tickLog asks the change log for its rows stamped after Overlap before
// the last read's start, so a row committed late, or stamped a little in
// the past or by a clock behind ours, is still seen. The window only moves
// forward, so a row the last read did not return is new; one it returned
// has been run, and runs again only as another row (a new changed_at).
func (w *Watcher) tickLog(ctx context.Context) ([]int64, error) {
	start := w.now()
	if w.since.IsZero() {
		return nil, w.baselineLog(ctx, start)
	}
	rows, err := w.ChangeLog.Changes(ctx, w.since.Add(-w.Overlap))
	if err != nil {
		return nil, err
	}
	w.since = start
	return w.fresh(rows), nil
}

// baselineLog remembers the rows the log holds now, then asks for the full
// run that covers them: read before the run is asked for, no row falls
// between the two. Without them the next read runs those rows again.
func (w *Watcher) baselineLog(ctx context.Context, start time.Time) error {
	w.since = start
	defer w.Full()
	rows, err := w.ChangeLog.Changes(ctx, start.Add(-w.Overlap))
	if err != nil {
		return err
	}
	w.fresh(rows)
	return nil
}

// fresh keeps rows as the log's window and returns the uids of those the
// previous read did not return, ascending, each once.
func (w *Watcher) fresh(rows []ChangeRow) []int64 {
	seen := make(map[ChangeRow]struct{}, len(rows))
	var uids []int64
	for _, r := range rows {
		if _, ok := w.seen[r]; !ok {
			uids = append(uids, r.UID)
		}
		seen[r] = struct{}{}
	}
	w.seen = seen
	slices.Sort(uids)
	return slices.Compact(uids)
}

// tickSnapshot reads the whole snapshot and diffs it with the previous one.
func (w *Watcher) tickSnapshot(ctx context.Context) ([]int64, error) {
	rows, err := w.Billing.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	next := sortSnapshot(rows)
	if w.prev == nil {
		w.prev = next
		w.Full()
		return nil, nil
	}
	if err := w.shrunk(next); err != nil {
		return nil, err
	}
	uids := changedUIDs(w.prev, next)
	w.prev = next
	return uids, nil
}

// shrunk refuses a snapshot that lost more than MaxShrink of the contracts:
// a billing glitch, not a mass cancellation. The baseline stays as it was.
func (w *Watcher) shrunk(next []Contract) error {
	gone, had := 0, 0
	eachUID(w.prev, next, func(_ int64, before, after []Contract) {
		if len(before) > 0 {
			had++
			if len(after) == 0 {
				gone++
			}
		}
	})
	if had > 0 && float64(gone)/float64(had) > w.MaxShrink {
		return Errorf(ErrUnavailable, "the snapshot lost %d of %d contracts, more than max_revoke %.2f: ignored", gone, had, w.MaxShrink)
	}
	return nil
}

func (w *Watcher) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// sortSnapshot sorts the rows (in place: a snapshot is its reader's) by
// uid, then by the rest, so equal snapshots are equal slices whatever order
// the billing returned them in, and several rows of one uid (a conflict the
// run reports) sit together. A sorted slice is a third of the memory of a
// map of rows by uid.
func sortSnapshot(rows []Contract) []Contract {
	slices.SortFunc(rows, func(a, b Contract) int { return cmp.Or(cmp.Compare(a.UID, b.UID), compareContract(a, b)) })
	return slices.Clip(rows)
}

func compareContract(a, b Contract) int {
	return cmp.Or(cmp.Compare(a.Flat, b.Flat), cmpBool(a.CamsOpen, b.CamsOpen), cmpBool(a.CamsPaid, b.CamsPaid))
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// changedUIDs lists, ascending, the uids whose rows differ between the two
// sorted snapshots, including those that appeared or disappeared.
func changedUIDs(prev, next []Contract) []int64 {
	var out []int64
	eachUID(prev, next, func(uid int64, before, after []Contract) {
		if !slices.Equal(before, after) {
			out = append(out, uid)
		}
	})
	return out
}

// eachUID walks two sorted snapshots together, calling fn once per uid in
// either, ascending, with its rows in each (none where it is missing).
func eachUID(prev, next []Contract, fn func(uid int64, before, after []Contract)) {
	for len(prev) > 0 || len(next) > 0 {
		uid := nextUID(prev, next)
		var before, after []Contract
		before, prev = takeUID(prev, uid)
		after, next = takeUID(next, uid)
		fn(uid, before, after)
	}
}

// nextUID is the lower of the two snapshots' first uids.
func nextUID(a, b []Contract) int64 {
	switch {
	case len(a) == 0:
		return b[0].UID
	case len(b) == 0:
		return a[0].UID
	}
	return min(a[0].UID, b[0].UID)
}

// takeUID splits off the leading rows of uid.
func takeUID(rows []Contract, uid int64) (taken, rest []Contract) {
	n := 0
	for n < len(rows) && rows[n].UID == uid {
		n++
	}
	return rows[:n], rows[n:]
}
