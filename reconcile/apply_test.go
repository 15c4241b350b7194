package reconcile

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// TestRetryDrains: once the run's drain signal is closed no request starts,
// though the context is still alive; before it, requests go out.
func TestRetryDrains(t *testing.T) {
	stop := make(chan struct{})
	r := (&Runner{Opts: Options{Retries: 2}}).newRun(Request{Stop: stop, DryRun: true}, 0)
	var calls atomic.Int32
	fn := func(context.Context) error { calls.Add(1); return nil }
	if err := r.retry(context.Background(), PanelSokol, "list", fn); err != nil || calls.Load() != 1 {
		t.Fatalf("before the drain: err %v after %d calls, want one call", err, calls.Load())
	}
	close(stop)
	err := r.retry(context.Background(), PanelSokol, "list", fn)
	if !errors.Is(err, errStopping) || !IsTransient(err) || calls.Load() != 1 {
		t.Fatalf("draining: err %v after %d calls, want errStopping and no call", err, calls.Load())
	}
}

// TestStatus: a run that read no panel failed; one that read a panel and
// then failed on it (a refused add, a write not kept) is partial.
func TestStatus(t *testing.T) {
	failed := map[int]string{1: "x"}
	tests := []struct {
		name string
		res  Result
		want string
	}{
		{"NoPanelRead", Result{Summary: Summary{Panels: 1}, Failed: failed}, StatusFailed},
		{"ReadThenFailed", Result{Summary: Summary{Panels: 1}, Failed: failed, read: 1}, StatusPartial},
		{"WholeRunFailed", Result{Summary: Summary{Panels: 1}, Error: "billing", read: 1}, StatusFailed},
		{"Guarded", Result{Summary: Summary{Panels: 1, Guarded: true}, read: 1}, StatusGuarded},
		{"OK", Result{Summary: Summary{Panels: 1}, read: 1}, StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := status(&tt.res); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
