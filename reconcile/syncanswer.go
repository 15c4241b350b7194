package reconcile

import (
	"context"
	"log/slog"
	"time"
)

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

// await waits for the run of j, answered as run id, up to SyncWait after
// the call arrived (the run may still be queued behind others): the run's
// summary if it ended by then, else its counts so far with status running
// and the panels still in progress as pending. The run goes on either way;
// a caller that goes away only stops waiting.
func (s *Scheduler) await(ctx context.Context, j *job, id int64, arrived time.Time) (SyncAnswer, error) {
	wctx, cancel := ctx, context.CancelFunc(func() {})
	if s.SyncWait > 0 {
		wctx, cancel = context.WithDeadline(ctx, arrived.Add(s.SyncWait))
	}
	defer cancel()
	// Once every panel has settled only the run's bookkeeping is left: its
	// summary is worth waiting for, within the same deadline.
	j.progress.Wait(wctx)
	select {
	case <-j.done:
		return SyncAnswer{Summary: j.res.Summary}, j.err
	case <-wctx.Done():
	}
	select {
	case <-j.done: // ended just as the deadline passed
		return SyncAnswer{Summary: j.res.Summary}, j.err
	default:
	}
	if err := ctx.Err(); err != nil {
		return SyncAnswer{Summary: Summary{RunID: id}}, err
	}
	sum := j.progress.Snapshot()
	if sum.Status != StatusRunning { // finished since: done is closed already
		return SyncAnswer{Summary: j.res.Summary}, j.err
	}
	sum.RunID = id
	s.log.Info("sync answered before its run ended", slog.Int64("run_id", id), slog.Any("pending", sum.Pending))
	return sum, nil
}
