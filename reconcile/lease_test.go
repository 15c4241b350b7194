package reconcile

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeLeaser is an in-memory Leaser: one owner per panel, expiry by a
// switch instead of a clock.
type fakeLeaser struct {
	mu       sync.Mutex
	owner    map[int]string
	writes   map[int]int64
	renewErr error
	stolen   map[int]bool // renewals do not return these
	acquires int
	releases int
}

func newFakeLeaser() *fakeLeaser {
	return &fakeLeaser{owner: map[int]string{}, writes: map[int]int64{}, stolen: map[int]bool{}}
}

func (f *fakeLeaser) AcquireLeases(_ context.Context, token string, _ int64, ids []int, limit int, _ time.Duration, write bool) (map[int]Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acquires++
	got := map[int]Lease{}
	for _, id := range ids {
		if len(got) == limit {
			break
		}
		if o := f.owner[id]; o != "" && o != token {
			continue
		}
		f.owner[id] = token
		if write {
			f.writes[id]++
		}
		got[id] = Lease{Writes: f.writes[id]}
	}
	return got, nil
}

func (f *fakeLeaser) NewerRunUIDs(context.Context, int64) ([]int64, error) { return nil, nil }

func (f *fakeLeaser) RenewLeases(_ context.Context, token string, _ int64, _ time.Duration, panels bool) ([]int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.renewErr != nil || !panels {
		return nil, f.renewErr
	}
	var held []int
	for id, o := range f.owner {
		if o == token && !f.stolen[id] {
			held = append(held, id)
		}
	}
	return held, nil
}

func (f *fakeLeaser) ReleaseLeases(_ context.Context, token string, ids []int, _ []time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.releases++
	for _, id := range ids {
		if f.owner[id] == token {
			f.owner[id] = ""
		}
	}
	return nil
}

func (f *fakeLeaser) LeaseHolders(_ context.Context, ids []int) (map[int]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int]string{}
	for _, id := range ids {
		if f.owner[id] != "" {
			out[id] = "instance " + f.owner[id]
		}
	}
	return out, nil
}

type fakeLock struct{ err error }

func (l *fakeLock) Check(context.Context) error { return l.err }
func (l *fakeLock) Release()                    {}

func testLeases(t *testing.T, f *fakeLeaser, lock Lock) *leases {
	r := &Runner{Opts: Options{PanelTimeout: time.Hour, LockWait: time.Millisecond, Concurrency: 2},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	l := r.newLeasesOn(f, 7, lock)
	l.wait = 0 // give busy panels up at once
	l.start(context.Background())
	t.Cleanup(func() { l.close(context.Background()) })
	return l
}

// newLeasesOn is newLeases on another Leaser than the runner's store.
func (r *Runner) newLeasesOn(store Leaser, runID int64, lock Lock) *leases {
	l := r.look().newLeases(runID, lock)
	l.store = store
	return l
}

func collect(l *leases, ids []int, write bool) map[int]grant {
	var mu sync.Mutex
	out := map[int]grant{}
	l.each(context.Background(), ids, 2, write, func(g grant) {
		mu.Lock()
		defer mu.Unlock()
		out[g.id] = g
	})
	return out
}

func TestLeasesEach(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newFakeLeaser()
		l := testLeases(t, f, nil)
		got := collect(l, []int{1, 2, 3, 4, 5}, false)
		for id := 1; id <= 5; id++ {
			if got[id].err != nil {
				t.Fatalf("panel %d: %v", id, got[id].err)
			}
			if _, err := l.trustedUntil(id); err != nil {
				t.Fatalf("panel %d not trusted after acquire: %v", id, err)
			}
		}
		if f.acquires < 3 {
			t.Fatalf("got %d acquire statements for 5 panels, 2 workers: want batches of 2", f.acquires)
		}
	})
	t.Run("ErrBusy", func(t *testing.T) {
		f := newFakeLeaser()
		f.owner[2] = "other"
		got := collect(testLeases(t, f, nil), []int{1, 2}, false)
		if got[1].err != nil || !errors.Is(got[2].err, ErrBusy) {
			t.Fatalf("got %v, want 1 held and 2 busy", got)
		}
		if msg := got[2].err.Error(); msg != "panel 2 is busy: its lease is held by instance other" {
			t.Fatalf("busy error: %q", msg)
		}
	})
}

func TestLeaseTrust(t *testing.T) {
	t.Run("ReleasedIsNotTrusted", func(t *testing.T) {
		f := newFakeLeaser()
		l := testLeases(t, f, nil)
		collect(l, []int{1}, false)
		l.release(1)
		if _, err := l.trustedUntil(1); err == nil {
			t.Fatal("a released lease is still trusted")
		}
		l.close(context.Background())
		if f.owner[1] != "" {
			t.Fatalf("lease still owned by %q after close", f.owner[1])
		}
	})
	t.Run("Expired", func(t *testing.T) {
		l := testLeases(t, newFakeLeaser(), nil)
		collect(l, []int{1}, false)
		l.mu.Lock()
		l.sentAt[1] = time.Now().Add(-l.ttl + l.margin) // trust ended just now
		l.mu.Unlock()
		if _, err := l.trustedUntil(1); !IsTransient(err) {
			t.Fatalf("got %v, want a transient error", err)
		}
	})
	t.Run("StolenOnRenewal", func(t *testing.T) {
		f := newFakeLeaser()
		l := testLeases(t, f, nil)
		collect(l, []int{1, 2}, false)
		f.stolen[2] = true
		l.renew(context.Background())
		if _, err := l.trustedUntil(1); err != nil {
			t.Fatalf("panel 1: %v", err)
		}
		if _, err := l.trustedUntil(2); err == nil {
			t.Fatal("panel 2 trusted after the renewal did not return it")
		}
	})
	t.Run("LockLost", func(t *testing.T) {
		lock := &fakeLock{}
		l := testLeases(t, newFakeLeaser(), lock)
		collect(l, []int{1}, false)
		lock.err = errors.New("session terminated")
		l.renew(context.Background())
		if _, err := l.trustedUntil(1); !IsTransient(err) {
			t.Fatalf("got %v, want nothing trusted once the lock is lost", err)
		}
		if got := collect(l, []int{2}, true); !IsTransient(got[2].err) {
			t.Fatalf("a session after the loss: got %v, want none started", got)
		}
	})
	t.Run("LockLostSeenBeforeASession", func(t *testing.T) {
		lock := &fakeLock{err: errors.New("session terminated")}
		f := newFakeLeaser()
		l := testLeases(t, f, nil)
		l.lock = lock
		if got := collect(l, []int{1}, true); !IsTransient(got[1].err) || f.owner[1] != "" {
			t.Fatalf("got %v, owner %q: want no lease taken by a run that lost its lock", got, f.owner[1])
		}
	})
}

// countingPanel counts the calls that reached it and blocks AddKeys until
// its context ends.
type countingPanel struct {
	mu    sync.Mutex
	calls int
	in    chan struct{}
	ctx   context.Context // of the AddKeys call
}

func (p *countingPanel) count() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
}

func (p *countingPanel) ListKeys(context.Context) ([]PanelKey, error) { p.count(); return nil, nil }
func (p *countingPanel) DeleteKey(context.Context, string) error      { p.count(); return nil }
func (p *countingPanel) Finish(context.Context) error                 { p.count(); return nil }
func (p *countingPanel) AddKeys(ctx context.Context, _ []PanelKey) error {
	p.count()
	p.mu.Lock()
	p.ctx = ctx
	p.mu.Unlock()
	close(p.in)
	<-ctx.Done()
	return ctx.Err()
}

// A lost run lock cancels the call in flight and lets no call through after.
func TestLeasedPanelStopsWhenTheLockIsLost(t *testing.T) {
	lock := &fakeLock{}
	l := testLeases(t, newFakeLeaser(), lock)
	collect(l, []int{1}, true)
	p := &countingPanel{in: make(chan struct{})}
	lp := &leasedPanel{p: p, id: 1, l: l}
	errc := make(chan error, 1)
	go func() { errc <- lp.AddKeys(context.Background(), nil) }()
	<-p.in
	lock.err = errors.New("session terminated")
	l.renew(context.Background())
	p.mu.Lock()
	cancelled := p.ctx.Err() != nil
	p.mu.Unlock()
	if !cancelled {
		t.Fatal("the call in flight was not cancelled by the time the loss was seen")
	}
	if err := <-errc; !IsTransient(err) {
		t.Fatalf("call in flight: got %v, want the lock loss", err)
	}
	if err := lp.DeleteKey(context.Background(), "0000000000AA01"); !IsTransient(err) {
		t.Fatalf("call after the loss: got %v", err)
	}
	if p.calls != 1 {
		t.Fatalf("%d calls reached the panel, want only the one in flight", p.calls)
	}
}

// A write session sees another run's write since its read as stale.
func TestStale(t *testing.T) {
	f := newFakeLeaser()
	mine, other := testLeases(t, f, nil), testLeases(t, f, nil)
	for id, g := range collect(mine, []int{1, 2}, false) {
		mine.seen(id, g.writes)
		mine.release(id)
	}
	mine.close(context.Background()) // frees the read leases
	mine = reopen(t, mine)
	collect(other, []int{2}, true)
	other.close(context.Background())
	got := collect(mine, []int{1, 2}, true)
	if mine.stale(1, got[1].writes) || !mine.stale(2, got[2].writes) {
		t.Fatalf("stale: 1 %v 2 %v, want only 2 written by another run", mine.stale(1, got[1].writes), mine.stale(2, got[2].writes))
	}
}

// reopen gives a closed lease set's token and read counters a fresh start,
// as one run's read and write phases share them.
func reopen(t *testing.T, l *leases) *leases {
	n := testLeases(t, l.store.(*fakeLeaser), l.lock)
	n.token, n.writes = l.token, l.writes
	return n
}

// TestEachLimit: at most n panels are worked on at once, and all of them are.
func TestEachLimit(t *testing.T) {
	ids := make([]int, 50)
	for i := range ids {
		ids[i] = i + 1
	}
	var running, most, ran atomic.Int32
	l := testLeases(t, newFakeLeaser(), nil)
	l.each(context.Background(), ids, 4, false, func(grant) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		ran.Add(1)
		running.Add(-1)
	})
	if ran.Load() != 50 || most.Load() > 4 {
		t.Fatalf("ran %d, at most %d at once; want 50 and at most 4", ran.Load(), most.Load())
	}
}

// countingNewer counts NewerRunUIDs questions.
type countingNewer struct {
	*fakeLeaser
	asked int
}

func (c *countingNewer) NewerRunUIDs(context.Context, int64) ([]int64, error) {
	c.asked++
	return []int64{7}, nil
}

// One answer about newer runs serves every lease taken before it was asked.
func TestNewerCodesAskedOncePerBatch(t *testing.T) {
	d := desiredOn(1, map[int][]Grant{1: {{Code: keyA, Flat: 1, UID: 7}}})
	b := newScope(d, nil, PlanOptions{}).planner(d, nil, PlanOptions{})
	store := &countingNewer{fakeLeaser: newFakeLeaser()}
	newer := b.newerCodes(store, 1)
	batch := time.Now()
	for range 3 {
		codes, err := newer(context.Background(), batch)
		if err != nil || !codes[keyA] {
			t.Fatalf("codes %v %v, want contract 7's", codes, err)
		}
	}
	if store.asked != 1 {
		t.Fatalf("asked %d times for one batch of leases, want 1", store.asked)
	}
	if _, err := newer(context.Background(), time.Now()); err != nil || store.asked != 2 {
		t.Fatalf("a lease taken after the answer: asked %d times (%v), want a new question", store.asked, err)
	}
}
