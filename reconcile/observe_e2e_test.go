package reconcile_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// contactLog keeps the panel contacts a run records.
type contactLog struct {
	mu  sync.Mutex
	got []reconcile.PanelContact
}

func (c *contactLog) RecordPanelContacts(_ context.Context, cs []reconcile.PanelContact) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, cs...)
	return nil
}

// TestBillingFailureBlamesNoPanel checks that a full run whose billing
// fails while its panel reads are in flight (a full run reads its panels
// beside the billing) stops those reads without counting them as panel
// failures: no panel turns "down" in its status and no panel is logged as
// unread because the billing was.
func TestBillingFailureBlamesNoPanel(t *testing.T) {
	w := newWorld(t, panelsim.Sokol, 4)
	w.contract(1, "1", true, true, "00000000000001", 0, 1, 2, 3)
	w.run(reconcile.Request{})
	for i := range w.fleet.Len() {
		w.fleet.Panel(i).SetFaults(panelsim.Faults{Latency: 300 * time.Millisecond})
	}
	w.exec(`DROP TABLE contracts`)
	contacts := &contactLog{}
	w.runner.Dial = reconcile.RecordingDialer(w.runner.Dial, contacts, nil)
	var logged bytes.Buffer
	w.runner.Log = slog.New(slog.NewTextHandler(&logged, nil))

	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusFailed || !strings.Contains(res.Error, "billing snapshot") {
		t.Fatalf("run %s (%q), want failed on the billing", res.Status, res.Error)
	}
	for _, c := range contacts.got {
		if !c.OK {
			t.Errorf("panel %d recorded as failing (%s) because the billing failed", c.DeviceID, c.Error)
		}
	}
	if strings.Contains(logged.String(), "panel not read") {
		t.Errorf("panels logged as unread because the billing failed:\n%s", logged.String())
	}
}

// progressLog keeps the read progress a run reports.
type progressLog struct {
	mu    sync.Mutex
	reads [][2]int
}

func (p *progressLog) RunDone(string, reconcile.Summary, time.Duration) {}
func (p *progressLog) Duplicates(int)                                   {}
func (p *progressLog) PanelOp(int, string, error)                       {}
func (p *progressLog) Progress(stage string, done, total int) {
	if stage == reconcile.StageRead {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.reads = append(p.reads, [2]int{done, total})
	}
}

// TestReadProgressCounts: the panel reads count up to the panels in scope,
// once each, a panel that fails too, and never past the total.
func TestReadProgressCounts(t *testing.T) {
	t.Parallel()
	w := newWorld(t, panelsim.Sokol, 3)
	w.contract(1, "1", true, true, "00000000000001", 0, 1, 2)
	w.fleet.Panel(2).SetFaults(panelsim.Faults{ErrorRate: 1})
	p := &progressLog{}
	w.runner.Observer = p
	w.run(reconcile.Request{})
	if len(p.reads) != 3 {
		t.Fatalf("read progress %v, want one report per panel", p.reads)
	}
	seen := map[int]bool{}
	for _, r := range p.reads {
		if r[1] != 3 || r[0] < 1 || r[0] > 3 || seen[r[0]] {
			t.Fatalf("read progress %v: want 1, 2 and 3 of 3, each once", p.reads)
		}
		seen[r[0]] = true
	}
}
