package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultStoreTimeout bounds a step of a run's store calls when
// Options.StoreTimeout is 0.
const DefaultStoreTimeout = 35 * time.Second

// storeStep calls fn, one step of a run's store calls, under a deadline. A
// daemon's run has none of its own (it drains at stop instead of being
// cancelled), so a store that stops answering (a lost connection, an
// exhausted pool, which no statement_timeout ends) would otherwise hold the
// run, and the run lock with it, for ever. The step fails instead, and with
// it the run; the next run tries again. An earlier deadline of ctx stays.
func (r *Runner) storeStep(ctx context.Context, fn func(ctx context.Context) error) error {
	d := cmp.Or(r.Opts.StoreTimeout, DefaultStoreTimeout)
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	err := fn(sctx)
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("the store did not answer within %s: %w", d, err)
	}
	return err
}

// startRun closes the runs an ended process left open and records this one.
func (r *Runner) startRun(ctx context.Context, req Request) (id int64, err error) {
	err = r.storeStep(ctx, func(ctx context.Context) error {
		if err := r.Store.CloseInterrupted(ctx); err != nil {
			return err
		}
		id, err = r.Store.StartRun(ctx, req.RunID, req.Trigger, req.UIDs)
		return err
	})
	return id, err
}
