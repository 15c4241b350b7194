package reconcile

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"sync/atomic"
	"testing"
	"time"
)

// reserveOnly is a Store of which the scheduler may call only ReserveRunID:
// these tests never start the loop, so no run touches the store.
type reserveOnly struct {
	Store
	next    atomic.Int64
	release chan struct{} // when set, ReserveRunID waits for it
}

func (f *reserveOnly) ReserveRunID(ctx context.Context) (int64, error) {
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return f.next.Add(1), nil
}

func newTestScheduler() (*Scheduler, *reserveOnly) {
	st := &reserveOnly{}
	r := &Runner{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return NewScheduler(r, time.Hour), st
}

func (s *Scheduler) queued() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, j := range s.queue {
		out = append(out, j.req)
	}
	return out
}

func TestSchedulerBatchesTouches(t *testing.T) {
	s, _ := newTestScheduler()
	for uid := int64(1); uid <= 100; uid++ {
		s.Touch(uid)
	}
	s.flushTouched("api")
	s.Touch(150, 3)
	s.flushTouched("api")
	got := s.queued()
	if len(got) != 1 || got[0].Named || len(got[0].UIDs) != 101 || got[0].UIDs[100] != 150 {
		t.Fatalf("got %+v, want one guarded batch of the 101 uids", got)
	}
}

func TestSchedulerSyncJoinsNamedRun(t *testing.T) {
	s, _ := newTestScheduler()
	a, err := s.Sync(context.Background(), 5, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Sync(context.Background(), 6, false)
	if err != nil {
		t.Fatal(err)
	}
	got := s.queued()
	if a.RunID != b.RunID || len(got) != 1 || !got[0].Named || !reflect.DeepEqual(got[0].UIDs, []int64{5, 6}) {
		t.Fatalf("run ids %d %d, queue %+v: want one named run of 5 and 6", a.RunID, b.RunID, got)
	}
}

// A sync/ naming a uid a waiting batch holds takes it into the named run:
// it is not left to a guarded run, and it is not run twice.
func TestSchedulerSyncTakesUIDFromBatch(t *testing.T) {
	s, _ := newTestScheduler()
	s.Touch(5, 6)
	s.flushTouched("api")
	if _, err := s.Sync(context.Background(), 5, false); err != nil {
		t.Fatal(err)
	}
	got := s.queued()
	if len(got) != 2 || !reflect.DeepEqual(got[0].UIDs, []int64{6}) || got[0].Named || !got[1].Named || !reflect.DeepEqual(got[1].UIDs, []int64{5}) {
		t.Fatalf("got %+v, want batch [6] then named [5]", got)
	}
	if _, err := s.Sync(context.Background(), 6, false); err != nil {
		t.Fatal(err)
	}
	if got := s.queued(); len(got) != 1 || !reflect.DeepEqual(got[0].UIDs, []int64{5, 6}) {
		t.Fatalf("got %+v, want the emptied batch dropped and one named run of 5 and 6", got)
	}
	s.Touch(5, 7)
	s.flushTouched("api")
	if got := s.queued(); len(got) != 2 || !reflect.DeepEqual(got[1].UIDs, []int64{7}) {
		t.Fatalf("got %+v, want a batch of 7 only: 5 waits in the named run", got)
	}
}

// The scheduler does no store I/O under its mutex: while one sync/ waits
// for its run id, ticks, touches and other syncs go on.
func TestSchedulerNoStoreIOUnderMutex(t *testing.T) {
	s, st := newTestScheduler()
	st.release = make(chan struct{})
	slow := make(chan error, 1)
	go func() { _, err := s.Sync(context.Background(), 9, false); slow <- err }()
	done := make(chan struct{})
	go func() {
		s.Tick()
		s.Touch(1, 2)
		s.flushTouched("api")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("tick and touch blocked behind a sync/ waiting for the store")
	}
	close(st.release)
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	if got := s.queued(); len(got) != 3 {
		t.Fatalf("got %+v, want a full run, a batch and a named run", got)
	}
}

// A watch tick's changes are queued at once, with what the API gathered so far.
func TestSchedulerBatchFromWatch(t *testing.T) {
	s, _ := newTestScheduler()
	s.Touch(7)
	s.Batch(1, 2)
	got := s.queued()
	if len(got) != 1 || got[0].Named || got[0].Trigger != "watch" || len(got[0].UIDs) != 3 {
		t.Fatalf("got %+v, want one guarded watch batch of 1, 2 and 7, without waiting for the debounce", got)
	}
}

// A sync/ with wait whose run cannot start (here: the loop never runs it)
// answers once SyncWait has passed since the call: the run is still
// going, and it has no panel in progress yet.
func TestSchedulerSyncWaitWhileQueued(t *testing.T) {
	s, _ := newTestScheduler()
	s.SyncWait = 50 * time.Millisecond
	sum, err := s.Sync(context.Background(), 5, true)
	if err != nil || sum.RunID != 1 || sum.Status != StatusRunning || sum.Pending == nil || len(sum.Pending) != 0 {
		t.Fatalf("Sync: got %+v %v, want run 1 running with an empty pending list", sum, err)
	}
	joined, err := s.Sync(context.Background(), 6, true)
	if err != nil || joined.RunID != 1 || joined.Status != StatusRunning {
		t.Fatalf("Sync joining the queued run: got %+v %v, want run 1 running", joined, err)
	}
	panel, err := s.SyncPanel(context.Background(), 7, true)
	if err != nil || panel.RunID != 3 || panel.Status != StatusRunning {
		t.Fatalf("SyncPanel: got %+v %v, want run 3 running", panel, err)
	}
	got := s.queued()
	if len(got) != 2 || got[0].Progress == nil || got[1].Progress == nil || got[0].Progress == got[1].Progress {
		t.Fatalf("queue %+v: want two runs, each with its own Progress", got)
	}
}

// A client that goes away stops waiting; the run is not its to cancel.
func TestSchedulerSyncWaitClientGone(t *testing.T) {
	s, _ := newTestScheduler()
	s.SyncWait = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sum, err := s.Sync(ctx, 5, true)
	if !errors.Is(err, context.Canceled) || sum.RunID != 1 {
		t.Fatalf("got %+v %v, want run 1 and context.Canceled", sum, err)
	}
	if got := s.queued(); len(got) != 1 {
		t.Fatalf("queue %+v: want the run still queued", got)
	}
}

// loop is a scheduler whose dispatch loop runs, with runs that record their
// request and hold until released: the rules are tested as the loop applies
// them, with no store.
type loop struct {
	s       *Scheduler
	started chan Request
	release chan Result // ends a run other than a full one
	full    chan Result // ends a full run
}

func startLoop(t *testing.T) *loop {
	t.Helper()
	s, _ := newTestScheduler()
	l := &loop{s: s, started: make(chan Request, 64), release: make(chan Result), full: make(chan Result)}
	s.run = func(ctx context.Context, req Request) (Result, error) {
		l.started <- req
		if req.Panel == 0 && len(req.UIDs) == 0 {
			return <-l.full, nil
		}
		return <-l.release, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Start(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		for {
			select {
			case l.release <- Result{}: // let held runs end so Start returns
			case l.full <- Result{}:
			case <-done:
				return
			}
		}
	})
	return l
}

// next waits for the next run to start.
func (l *loop) next(t *testing.T) Request {
	t.Helper()
	select {
	case req := <-l.started:
		return req
	case <-time.After(10 * time.Second):
		t.Fatal("no run started")
		return Request{}
	}
}

// none checks no run starts for a while.
func (l *loop) none(t *testing.T) {
	t.Helper()
	select {
	case req := <-l.started:
		t.Fatalf("run %+v started, want none", req)
	case <-time.After(50 * time.Millisecond):
	}
}

// Full runs go one at a time; ticks during one queue one follow-up; runs
// of the other kinds go beside it, up to maxTargeted at once.
func TestSchedulerLoopPools(t *testing.T) {
	l := startLoop(t)
	l.s.Tick()
	if req := l.next(t); req.Trigger != "cron" {
		t.Fatalf("started %+v, want the scheduled full run", req)
	}
	l.s.Tick()
	l.s.Tick()
	l.none(t) // one full run at a time
	for i := range maxTargeted + 1 {
		if _, err := l.s.SyncPanel(context.Background(), i+1, false); err != nil {
			t.Fatal(err)
		}
	}
	for range maxTargeted {
		if req := l.next(t); req.Panel == 0 {
			t.Fatalf("started %+v, want a panel run beside the full run", req)
		}
	}
	l.none(t) // maxTargeted targeted runs at once
	l.release <- Result{}
	if req := l.next(t); req.Panel != maxTargeted+1 {
		t.Fatalf("started %+v, want the waiting panel run once a slot freed", req)
	}
	l.full <- Result{}
	if req := l.next(t); req.Trigger != "cron" {
		t.Fatalf("started %+v, want the full follow-up once the full run ended", req)
	}
	l.none(t) // the two ticks queued one follow-up, not two
}

// A panel whose read-back found keys gone gets a run of its own at once;
// a refill for a panel already waiting joins its run; a refill run that
// finds keys gone again queues nothing.
func TestSchedulerLoopRefill(t *testing.T) {
	l := startLoop(t)
	if _, err := l.s.Sync(context.Background(), 5, false); err != nil {
		t.Fatal(err)
	}
	l.next(t)
	l.release <- Result{Refill: []int{3, 4}}
	got := map[int]string{}
	for range 2 {
		req := l.next(t)
		got[req.Panel] = req.Trigger
	}
	if got[3] != "refill" || got[4] != "refill" {
		t.Fatalf("started %v, want refill runs of panels 3 and 4", got)
	}
	l.release <- Result{Refill: []int{3}}
	l.release <- Result{}
	l.none(t)
	l.s.mu.Lock()
	j1, _ := l.s.panelJob(7, 0, "refill")
	j2, _ := l.s.panelJob(7, 0, "refill")
	j3, _ := l.s.panelJob(8, 0, "refill")
	l.s.mu.Unlock()
	if j1 != j2 || j1 == j3 {
		t.Fatal("a refill of a panel whose run waits must join it, and only it")
	}
}
