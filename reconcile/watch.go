package reconcile

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"time"
)

// ChangeLog reads a billing's own log of changed contracts
// (billing.queries.changes): the uids changed after since.
type ChangeLog interface {
	Changes(ctx context.Context, since time.Time) ([]int64, error)
}

// Watcher notices billing changes without a call from the billing. Every
// tick it re-reads the snapshot and diffs it with the previous one kept in
// memory, or, with a change log, asks the billing which contracts changed;
// the changed contracts go to Batch as one run. Nothing survives a restart:
// the first tick only takes the baseline and asks for a full run.
type Watcher struct {
	Billing   Billing            // the snapshot, re-read every tick without a change log
	ChangeLog ChangeLog          // nil: diff snapshots
	Every     time.Duration      // tick interval
	MaxShrink float64            // a snapshot that lost more than this share of contracts is a glitch
	Batch     func(uids []int64) // asks for one run of these contracts
	Full      func()             // asks for a full run
	Log       *slog.Logger
	Now       func() time.Time // nil: time.Now

	prev  map[int64][]Contract // previous snapshot by uid; nil until the baseline
	since time.Time            // start of the last change-log read that succeeded
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

// tickLog asks the change log what changed since the last read, with an
// overlap of one interval so clock skew between the hosts loses nothing.
func (w *Watcher) tickLog(ctx context.Context) ([]int64, error) {
	start := w.now()
	if w.since.IsZero() {
		w.since = start
		w.Full()
		return nil, nil
	}
	uids, err := w.ChangeLog.Changes(ctx, w.since.Add(-w.Every))
	if err != nil {
		return nil, err
	}
	w.since = start
	return uids, nil
}

// tickSnapshot reads the whole snapshot and diffs it with the previous one.
func (w *Watcher) tickSnapshot(ctx context.Context) ([]int64, error) {
	rows, err := w.Billing.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	next := bySnapshotUID(rows)
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
func (w *Watcher) shrunk(next map[int64][]Contract) error {
	gone := 0
	for uid := range w.prev {
		if _, ok := next[uid]; !ok {
			gone++
		}
	}
	if len(w.prev) > 0 && float64(gone)/float64(len(w.prev)) > w.MaxShrink {
		return Errorf(ErrUnavailable, "the snapshot lost %d of %d contracts, more than max_revoke %.2f: ignored", gone, len(w.prev), w.MaxShrink)
	}
	return nil
}

func (w *Watcher) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// bySnapshotUID groups snapshot rows by uid; several rows of one uid (a
// conflict the run reports) stay together, in a stable order.
func bySnapshotUID(rows []Contract) map[int64][]Contract {
	out := make(map[int64][]Contract, len(rows))
	for _, c := range rows {
		out[c.UID] = append(out[c.UID], c)
	}
	for _, cs := range out {
		if len(cs) > 1 {
			slices.SortFunc(cs, compareContract)
		}
	}
	return out
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
// snapshots, including those that appeared or disappeared.
func changedUIDs(prev, next map[int64][]Contract) []int64 {
	var out []int64
	for uid, rows := range next {
		if !slices.Equal(prev[uid], rows) {
			out = append(out, uid)
		}
	}
	for uid := range prev {
		if _, ok := next[uid]; !ok {
			out = append(out, uid)
		}
	}
	slices.Sort(out)
	return out
}
