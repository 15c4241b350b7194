package reconcile_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"yardsync/reconcile"
)

// trace records every panel call of several instances, to prove that no
// two instances ever had calls in flight on one panel at once.
type trace struct {
	mu       sync.Mutex
	inFlight map[int]map[string]int // panel -> instance -> calls in flight
	overlaps []string
	notify   func(who string, panel int)
}

func (tr *trace) onCall(fn func(who string, panel int)) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.notify = fn
}

func (tr *trace) dialer(who string, dial reconcile.PanelDialer) reconcile.PanelDialer {
	return func(d reconcile.PanelDevice) (reconcile.Panel, error) {
		p, err := dial(d)
		if err != nil {
			return nil, err
		}
		return &tracedPanel{p: p, tr: tr, who: who, id: d.ID}, nil
	}
}

func (tr *trace) enter(who string, panel int) func() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.inFlight == nil {
		tr.inFlight = map[int]map[string]int{}
	}
	if tr.inFlight[panel] == nil {
		tr.inFlight[panel] = map[string]int{}
	}
	for other, n := range tr.inFlight[panel] {
		if other != who && n > 0 {
			tr.overlaps = append(tr.overlaps, fmt.Sprintf("panel %d: %s called while %s was in flight", panel, who, other))
		}
	}
	tr.inFlight[panel][who]++
	if tr.notify != nil {
		tr.notify(who, panel)
	}
	return func() {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		tr.inFlight[panel][who]--
	}
}

func (tr *trace) checkNoOverlap(t *testing.T) {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.overlaps) > 0 {
		t.Fatalf("two instances on one panel at once: %v", tr.overlaps)
	}
}

type tracedPanel struct {
	p   reconcile.Panel
	tr  *trace
	who string
	id  int
}

func (tp *tracedPanel) ListKeys(ctx context.Context) ([]reconcile.PanelKey, error) {
	defer tp.tr.enter(tp.who, tp.id)()
	return tp.p.ListKeys(ctx)
}

func (tp *tracedPanel) AddKeys(ctx context.Context, keys []reconcile.PanelKey) error {
	defer tp.tr.enter(tp.who, tp.id)()
	return tp.p.AddKeys(ctx, keys)
}

func (tp *tracedPanel) DeleteKey(ctx context.Context, code string) error {
	defer tp.tr.enter(tp.who, tp.id)()
	return tp.p.DeleteKey(ctx, code)
}

func (tp *tracedPanel) Finish(ctx context.Context) error {
	defer tp.tr.enter(tp.who, tp.id)()
	return tp.p.Finish(ctx)
}

// hookHandler is a slog handler that hands each message to fn, so a test
// can wait for something a run logs instead of sleeping.
type hookHandler func(msg string)

func (h hookHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h hookHandler) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool { msg += " " + a.String(); return true })
	h(msg)
	return nil
}
func (h hookHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h hookHandler) WithGroup(string) slog.Handler      { return h }

var _ slog.Handler = hookHandler(nil)
