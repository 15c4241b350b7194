package reconcile

import (
	"context"
	"errors"
	"sync"
	"testing"
)

type fakeRecorder struct {
	mu     sync.Mutex
	got    []PanelContact
	writes []PanelWrite
	fail   error
}

func (f *fakeRecorder) RecordPanelWrites(ctx context.Context, ws []PanelWrite) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, ws...)
	return f.fail
}

func (f *fakeRecorder) RecordPanelContacts(ctx context.Context, cs []PanelContact) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, cs...)
	return f.fail
}

type fakePanel struct {
	keys []PanelKey
	err  error // every call answers it
}

func (p fakePanel) ListKeys(context.Context) ([]PanelKey, error) { return p.keys, p.err }
func (p fakePanel) AddKeys(context.Context, []PanelKey) error    { return p.err }
func (p fakePanel) DeleteKey(context.Context, string) error      { return p.err }
func (p fakePanel) Finish(context.Context) error                 { return p.err }

func TestRecordingDialer(t *testing.T) {
	down := errors.New("connection refused")
	cases := map[string]struct {
		dialErr error
		panel   fakePanel
		call    func(Panel) error
		want    PanelContact // At is not compared
		none    bool         // nothing recorded
	}{
		"list ok":      {panel: fakePanel{keys: make([]PanelKey, 3)}, call: list, want: PanelContact{DeviceID: 7, OK: true, Keys: 3, Skipped: -1}},
		"list failed":  {panel: fakePanel{err: down}, call: list, want: PanelContact{DeviceID: 7, Error: "connection refused", Keys: -1, Skipped: -1}},
		"add failed":   {panel: fakePanel{err: down}, call: func(p Panel) error { return p.AddKeys(context.Background(), nil) }, want: PanelContact{DeviceID: 7, Error: "connection refused", Keys: -1, Skipped: -1}},
		"delete ok":    {panel: fakePanel{}, call: func(p Panel) error { return p.DeleteKey(context.Background(), "01") }, none: true},
		"finish ok":    {panel: fakePanel{}, call: func(p Panel) error { return p.Finish(context.Background()) }, want: PanelContact{DeviceID: 7, OK: true, Keys: -1, Skipped: -1}},
		"dial refused": {dialErr: down, want: PanelContact{DeviceID: 7, Error: "connection refused", Keys: -1, Skipped: -1}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rec := &fakeRecorder{}
			dial := RecordingDialer(func(PanelDevice) (Panel, error) { return c.panel, c.dialErr }, rec, nil)
			p, err := dial(PanelDevice{ID: 7})
			if err == nil {
				err = c.call(p)
			}
			if !errors.Is(err, c.panel.err) && !errors.Is(err, c.dialErr) {
				t.Fatalf("error %v, want the panel's own", err)
			}
			if c.none {
				if len(rec.got) != 0 {
					t.Fatalf("recorded %+v, want nothing", rec.got)
				}
				return
			}
			if len(rec.got) != 1 || rec.got[0].At.IsZero() {
				t.Fatalf("recorded %+v, want one contact with a time", rec.got)
			}
			got := rec.got[0]
			got.At = c.want.At
			if got != c.want {
				t.Errorf("recorded %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestRecordingDialerSession: a session's records carry only what the
// panel said: a failed write its error, a Finish that worked no key count
// of its own making, the read-back what it listed. Every write call marks
// the session as one that wrote.
func TestRecordingDialerSession(t *testing.T) {
	ctx := context.Background()
	rec := &fakeRecorder{}
	fp := &flakyPanel{keys: []PanelKey{{Code: "01"}, {Code: "02"}}, failAdds: 1}
	dial := RecordingDialer(func(PanelDevice) (Panel, error) { return fp, nil }, rec, nil)
	p, _ := dial(PanelDevice{ID: 3})
	if _, err := p.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if p.(*recordingPanel).wrote.Load() {
		t.Fatal("a session that only listed counts as one that wrote")
	}
	add := []PanelKey{{Code: "02"}, {Code: "03"}, {Code: "04"}}
	if err := p.AddKeys(ctx, add); err == nil {
		t.Fatal("first add should fail")
	}
	if last := rec.got[len(rec.got)-1]; last.OK || last.Error != "status 500" {
		t.Fatalf("failed add recorded as %+v", last)
	}
	for _, step := range []func() error{
		func() error { return p.AddKeys(ctx, add) },
		func() error { return p.DeleteKey(ctx, "01") },
		func() error { return p.Finish(ctx) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if last := rec.got[len(rec.got)-1]; !last.OK || last.Keys != -1 {
		t.Fatalf("Finish recorded %+v, want OK and no key count: the session has not listed the panel since", last)
	}
	fp.keys = []PanelKey{{Code: "02"}} // the panel kept none of the adds
	if _, err := p.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if last := rec.got[len(rec.got)-1]; !last.OK || last.Keys != 1 {
		t.Fatalf("read-back recorded %+v, want the 1 key it listed", last)
	}
	if !p.(*recordingPanel).wrote.Load() {
		t.Fatal("a session that sent writes does not count as one that wrote")
	}
}

// flakyPanel fails its first failAdds AddKeys calls.
type flakyPanel struct {
	fakePanel
	keys     []PanelKey
	failAdds int
}

func (p *flakyPanel) ListKeys(context.Context) ([]PanelKey, error) { return p.keys, nil }

func (p *flakyPanel) AddKeys(context.Context, []PanelKey) error {
	if p.failAdds > 0 {
		p.failAdds--
		return errors.New("status 500")
	}
	return nil
}

func list(p Panel) error { _, err := p.ListKeys(context.Background()); return err }

// A ContactBatch writes nothing until it is flushed (or full), then one
// batch holding each panel's latest contact.
func TestContactBatch(t *testing.T) {
	rec := &fakeRecorder{}
	b := NewContactBatch(rec, nil)
	dial := RecordingDialer(func(PanelDevice) (Panel, error) { return fakePanel{keys: make([]PanelKey, 2)}, nil }, b, nil)
	for _, id := range []int{1, 2, 1} {
		p, _ := dial(PanelDevice{ID: id})
		if _, err := p.ListKeys(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.got) != 0 {
		t.Fatalf("%d contacts written before the flush", len(rec.got))
	}
	if err := b.Flush(context.Background()); err != nil || len(rec.got) != 2 {
		t.Fatalf("flush: %v, %d contacts written, want one per panel", err, len(rec.got))
	}
	if err := b.Flush(context.Background()); err != nil || len(rec.got) != 2 {
		t.Fatalf("a second flush wrote %d more", len(rec.got)-2)
	}
	for i := range contactFlushAt {
		_ = b.RecordPanelContacts(context.Background(), []PanelContact{{DeviceID: 100 + i, OK: true}})
	}
	if len(rec.got) != 2+contactFlushAt {
		t.Fatalf("a full batch was not written at once: %d", len(rec.got))
	}
	var none *ContactBatch
	if err := none.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestRecordingSkipped: a listing records the entries the client skipped
// when the client counts them, and -1 (not known) when it does not.
func TestRecordingSkipped(t *testing.T) {
	for name, c := range map[string]struct {
		panel Panel
		want  int
	}{
		"counted":     {skippingPanel{fakePanel: fakePanel{keys: make([]PanelKey, 4)}, skipped: 2}, 2},
		"none":        {skippingPanel{fakePanel: fakePanel{keys: make([]PanelKey, 4)}}, 0},
		"not counted": {fakePanel{keys: make([]PanelKey, 4)}, -1},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &fakeRecorder{}
			p, _ := RecordingDialer(func(PanelDevice) (Panel, error) { return c.panel, nil }, rec, nil)(PanelDevice{ID: 7})
			if err := list(p); err != nil {
				t.Fatal(err)
			}
			if rc := rec.got[0]; rc.Keys != 4 || rc.Skipped != c.want {
				t.Errorf("recorded %+v, want 4 keys and %d skipped", rc, c.want)
			}
		})
	}
}

// skippingPanel is a client that says how many entries its listing skipped.
type skippingPanel struct {
	fakePanel
	skipped int
}

func (p skippingPanel) Skipped() int { return p.skipped }

var _ LineSkipper = skippingPanel{}

// A contact without a listing (a failed write, a Finish) keeps, within a
// batch, the key count and skipped entries of the panel's last listing: the
// store would otherwise keep an older run's.
func TestContactBatchKeepsListing(t *testing.T) {
	rec := &fakeRecorder{}
	b := NewContactBatch(rec, nil)
	ctx := context.Background()
	_ = b.RecordPanelContacts(ctx, []PanelContact{{DeviceID: 1, OK: true, Keys: 9, Skipped: 2, Probe: "rfid_cgi"}})
	_ = b.RecordPanelContacts(ctx, []PanelContact{{DeviceID: 1, Error: "timeout", Keys: -1, Skipped: -1}})
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := PanelContact{DeviceID: 1, Error: "timeout", Keys: 9, Skipped: 2, Probe: "rfid_cgi"}
	if len(rec.got) != 1 || rec.got[0] != want {
		t.Fatalf("flushed %+v, want %+v", rec.got, want)
	}
}
