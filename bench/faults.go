package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// Fault is one row of the fault matrix: a panelsim fault switched on the
// first panel of a family, then one contract behind it stops paying.
type Fault struct {
	Name   string          // e.g. "lost-answer/sokol-clear"
	Family string          // panelsim family of the faulty panel
	Faults panelsim.Faults // the fault; Latency is the world's
	// Foreign puts a key nobody owns on the panel first, as an installer's
	// master card does: a Sokol then deletes key by key instead of clearing.
	Foreign bool
}

// FaultTiming is how the scenario's daemon follows up.
type FaultTiming struct {
	Every time.Duration // a full run this long after the previous one ended (reconcile.schedule)
	Limit time.Duration // give up this long after the billing change
}

// Outcome is what one fault scenario came to.
type Outcome struct {
	DebtorGone bool // none of the debtor's keys on its panel at the end
	PayersKept bool // every paying contract's keys on its panel at the end, on every panel
	// Converged: at the end the faulty panel is right, holds no write
	// acknowledged and not yet applied, and the last run was ok.
	Converged bool
	// RightAfter is the time from the billing change until the faulty panel
	// became right for the last time (0 when it is not right at the end).
	RightAfter time.Duration
	First      reconcile.Summary // the run started right after the change
	FirstTook  time.Duration
	FirstError string         // what the first run's report says of the faulty panel, if it failed
	Last       string         // the last run's status
	Runs       []string       // every run after the change, e.g. "full:partial", "recheck:ok"
	PayerGap   time.Duration  // longest time a payer's key was off the faulty panel
	Unowned    int            // keys on the faulty panel yardsync holds no record of (the foreign key aside)
	Records    int            // ownership records of the debtor's keys left at the end
	Writes     map[string]int // key write requests the faulty panel received, by kind (every try)
	// MaxInFlight is the most requests the faulty panel was answering at
	// once, its first sync included: more than 1 means a request reached it
	// while it was still working on one yardsync had given up on.
	MaxInFlight int
}

// Scene is a fault scenario staged on a world: a daemon's scheduler, the
// panel with the fault, the debtor and the contract that pays again.
type Scene struct {
	w        *World
	sched    *reconcile.Scheduler
	stop     context.CancelFunc
	done     chan struct{}
	panel    int   // Sim index of the faulty panel
	debtor   int64 // stops paying
	returner int64 // pays again: its keys are added in the same run
	foreign  string
	since    int64          // the last run before the change
	full     map[int64]bool // ids of the full runs the scene asked for
}

// Stage starts a scheduler on r (as serve wires one), makes a first sync
// with no fault, picks the debtor (the first paying contract behind the
// first panel of f.Family) and a contract that pays again there, and
// switches the fault on. Close stops the scheduler.
func Stage(ctx context.Context, w *World, r *reconcile.Runner, f Fault) (*Scene, error) {
	i := slices.IndexFunc(w.Layout.Panels, func(p SimPanel) bool { return p.Family == f.Family })
	payers := []int64(nil)
	if i >= 0 {
		payers = w.PayersOf(i)
	}
	if len(payers) == 0 {
		return nil, fmt.Errorf("bench: fault %s: no %s panel with a paying contract", f.Name, f.Family)
	}
	returner, err := w.Lapsed(ctx, i)
	if err != nil || returner == 0 {
		return nil, fmt.Errorf("bench: fault %s: no lapsed contract behind panel %d: %v", f.Name, i+1, err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &Scene{w: w, sched: reconcile.NewScheduler(r, 300*time.Millisecond), stop: stop, done: make(chan struct{}),
		panel: i, debtor: payers[0], returner: returner, full: map[int64]bool{}}
	go func() { _ = s.sched.Start(runCtx); close(s.done) }()
	sum, err := s.sched.Sync(ctx, 0, true)
	if err == nil && sum.Status != reconcile.StatusOK {
		err = fmt.Errorf("first sync %s", sum.Status)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("bench: fault %s: %w", f.Name, err)
	}
	s.since = sum.RunID
	// The debtor's keys were added long ago, as in the field: past the time
	// an add may still land, a delete seen done lets their records go.
	if err := sleep(ctx, settle(r.Opts)); err != nil {
		s.Close()
		return nil, err
	}
	sim := w.Sim(i)
	if f.Foreign {
		s.foreign = ExtraKey(900000)
		sim.SetKeys(append(sim.Keys(), reconcile.PanelKey{Code: s.foreign, Flat: 77}))
	}
	faults := f.Faults
	faults.Latency = w.Latency
	sim.SetFaults(faults)
	sim.ResetRequests()
	return s, nil
}

// settle is reconcile.Options.Settle as the runner derives it.
func settle(o reconcile.Options) time.Duration {
	if o.Settle > 0 {
		return o.Settle
	}
	return time.Duration(o.Retries+2) * o.PanelTimeout
}

// sleep waits d unless ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// Close stops the scheduler once its runs have ended.
func (s *Scene) Close() {
	s.stop()
	<-s.done
}

// Play changes the billing (the debtor stops paying, the other contract
// pays again, in one statement), asks for a full run at once, then a full
// run every t.Every after the previous one until the panel has converged
// or t.Limit has passed; the scheduler rechecks by name what a run asks
// it to. It samples the faulty panel every 5 ms throughout.
func (s *Scene) Play(ctx context.Context, t FaultTiming) (Outcome, error) {
	sim := s.w.Sim(s.panel)
	watch := watchDoor(sim, s.w.KeysOf(s.debtor), s.keysOf(s.keptOn(s.panel)), s.w.KeysOf(s.returner), 5*time.Millisecond)
	defer watch.Stop()
	if err := s.w.SetPaidMany(ctx, map[int64]bool{s.debtor: false, s.returner: true}); err != nil {
		return Outcome{}, err
	}
	changed := time.Now()
	var out Outcome
	out.First, out.FirstTook = s.fullRun(ctx)
	out.Last = out.First.Status
	for !s.settled(watch, out.Last) && time.Since(changed) < t.Limit {
		if err := sleep(ctx, t.Every); err != nil {
			return out, err
		}
		sum, _ := s.fullRun(ctx)
		out.Last = sum.Status
	}
	out.Converged = s.settled(watch, out.Last)
	watch.Stop()
	if right, since := watch.right(); right {
		out.RightAfter = since.Sub(changed)
	}
	out.PayerGap = watch.gap()
	return out, s.judge(ctx, &out)
}

// fullRun asks the scheduler for a full run and waits for it; a run that
// could not start is recorded as status "error".
func (s *Scene) fullRun(ctx context.Context) (reconcile.Summary, time.Duration) {
	start := time.Now()
	sum, err := s.sched.Sync(ctx, 0, true)
	if err != nil {
		sum.Status = "error"
	}
	s.full[sum.RunID] = true
	return sum.Summary, time.Since(start)
}

// settled: the faulty panel is right, nothing waits on its write queue,
// and the last run said ok.
func (s *Scene) settled(watch *doorWatch, last string) bool {
	right, _ := watch.right()
	return right && last == reconcile.StatusOK && s.w.Sim(s.panel).Pending() == 0
}

// keptOn are the contracts paying behind panel i after the change, the one
// that pays again aside.
func (s *Scene) keptOn(i int) []int64 {
	return slices.DeleteFunc(s.w.PayersOf(i), func(uid int64) bool { return uid == s.debtor })
}

func (s *Scene) keysOf(uids []int64) []string {
	var out []string
	for _, uid := range uids {
		out = append(out, s.w.KeysOf(uid)...)
	}
	return out
}

// judge fills in the end state: keys on every panel, the runs, the
// records, the writes the faulty panel received.
func (s *Scene) judge(ctx context.Context, out *Outcome) error {
	out.DebtorGone = s.w.Holds(s.panel, s.w.KeysOf(s.debtor), false)
	out.PayersKept = s.w.Holds(s.panel, s.w.KeysOf(s.returner), true)
	for i := range s.w.Layout.Panels {
		out.PayersKept = out.PayersKept && s.w.Holds(i, s.keysOf(s.keptOn(i)), true)
	}
	var err error
	if out.Runs, err = s.runs(ctx); err != nil {
		return err
	}
	if out.Unowned, out.Records, err = s.records(ctx); err != nil {
		return err
	}
	query := `SELECT coalesce(report->'failed'->>$2, '') FROM yardsync_runs WHERE id = $1`
	device := fmt.Sprint(s.w.Layout.Panels[s.panel].DeviceID)
	if err := s.w.Store.Pool().QueryRow(ctx, query, out.First.RunID, device).Scan(&out.FirstError); err != nil {
		return fmt.Errorf("bench: the first run's report: %w", err)
	}
	out.MaxInFlight = s.w.Sim(s.panel).MaxInFlight()
	out.Writes = map[string]int{}
	for _, r := range s.w.Sim(s.panel).Requests() {
		if r.Write {
			out.Writes[writeName(r)]++
		}
	}
	return nil
}

// runs lists the runs recorded since the change, oldest first: the full
// runs the scene asked for, and the others (the scheduler's rechecks).
func (s *Scene) runs(ctx context.Context) ([]string, error) {
	rows, err := s.w.Store.Pool().Query(ctx, `SELECT id, status FROM yardsync_runs WHERE id > $1 ORDER BY id`, s.since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var status string
		if err := rows.Scan(&id, &status); err != nil {
			return nil, err
		}
		kind := "recheck"
		if s.full[id] {
			kind = "full"
		}
		out = append(out, kind+":"+status)
	}
	return out, rows.Err()
}

// records counts the keys on the faulty panel yardsync holds no record of
// (the foreign key aside), and the debtor's records left there.
func (s *Scene) records(ctx context.Context) (unowned, debtor int, err error) {
	owned, err := s.w.Store.OwnedKeysOn(ctx, s.w.Layout.Panels[s.panel].DeviceID)
	if err != nil {
		return 0, 0, err
	}
	mine := map[string]bool{}
	for _, k := range owned {
		mine[k.Code] = true
		if k.UID == s.debtor {
			debtor++
		}
	}
	for _, k := range s.w.Sim(s.panel).Keys() {
		if !mine[k.Code] && k.Code != s.foreign {
			unowned++
		}
	}
	return unowned, debtor, nil
}

// writeName names a key write as the families do: add, delete, clear on a
// Beward; merge, delete, clear on a Sokol.
func writeName(r panelsim.Request) string {
	switch {
	case r.Method == "PUT":
		return "merge"
	case r.Method == "DELETE" && strings.HasSuffix(r.Path, "/clear"):
		return "clear"
	case r.Method == "DELETE":
		return "delete"
	case strings.Contains(r.Query, "action=add"):
		return "add"
	case strings.Contains(r.Query, "action=delete") && strings.Contains(r.Query, "Key="):
		return "delete"
	case strings.Contains(r.Query, "action=update"):
		return "update"
	}
	return "clear"
}
