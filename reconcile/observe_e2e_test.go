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
