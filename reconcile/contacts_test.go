package reconcile

import (
	"context"
	"errors"
	"sync"
	"testing"
)

type fakeRecorder struct {
	mu   sync.Mutex
	got  []PanelContact
	fail error
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
		"list ok":      {panel: fakePanel{keys: make([]PanelKey, 3)}, call: list, want: PanelContact{DeviceID: 7, OK: true, Keys: 3}},
		"list failed":  {panel: fakePanel{err: down}, call: list, want: PanelContact{DeviceID: 7, Error: "connection refused", Keys: -1}},
		"add failed":   {panel: fakePanel{err: down}, call: func(p Panel) error { return p.AddKeys(context.Background(), nil) }, want: PanelContact{DeviceID: 7, Error: "connection refused", Keys: -1}},
		"delete ok":    {panel: fakePanel{}, call: func(p Panel) error { return p.DeleteKey(context.Background(), "01") }, none: true},
		"finish ok":    {panel: fakePanel{}, call: func(p Panel) error { return p.Finish(context.Background()) }, want: PanelContact{DeviceID: 7, OK: true, Keys: -1}},
		"dial refused": {dialErr: down, want: PanelContact{DeviceID: 7, Error: "connection refused", Keys: -1}},
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

// TestRecordingDialerSession: a session's last record is its outcome, with
// the key count after its writes; a write retried after a failure ends OK.
func TestRecordingDialerSession(t *testing.T) {
	ctx := context.Background()
	rec := &fakeRecorder{}
	fp := &flakyPanel{keys: []PanelKey{{Code: "01"}, {Code: "02"}}, failAdds: 1}
	dial := RecordingDialer(func(PanelDevice) (Panel, error) { return fp, nil }, rec, nil)
	p, _ := dial(PanelDevice{ID: 3})
	if _, err := p.ListKeys(ctx); err != nil {
		t.Fatal(err)
	}
	add := []PanelKey{{Code: "02"}, {Code: "03"}, {Code: "04"}}
	if err := p.AddKeys(ctx, add); err == nil {
		t.Fatal("first add should fail")
	}
	if rec.got[len(rec.got)-1].OK {
		t.Fatalf("failed add recorded as OK: %+v", rec.got)
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
	last := rec.got[len(rec.got)-1]
	if !last.OK || last.Error != "" || last.Keys != 3 {
		t.Fatalf("last record %+v, want OK with 3 keys (02, 03, 04)", last)
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

// TestRecordingCountsAfterWrites checks the key count a session records
// at Finish: what it listed, changed by its writes, from an empty panel too.
func TestRecordingCountsAfterWrites(t *testing.T) {
	for name, listed := range map[string][]PanelKey{"empty": nil, "two": {{Code: "A"}, {Code: "B"}}} {
		t.Run(name, func(t *testing.T) {
			rec := &fakeRecorder{}
			p, _ := RecordingDialer(func(PanelDevice) (Panel, error) { return fakePanel{keys: listed}, nil }, rec, nil)(PanelDevice{ID: 7})
			ctx := context.Background()
			if _, err := p.ListKeys(ctx); err != nil {
				t.Fatal(err)
			}
			_ = p.AddKeys(ctx, []PanelKey{{Code: "C"}, {Code: "A"}})
			_ = p.DeleteKey(ctx, "B")
			_ = p.Finish(ctx)
			want := map[string]int{"empty": 2, "two": 2}[name] // empty: A, C; two: A, C
			if last := rec.got[len(rec.got)-1]; last.Keys != want {
				t.Errorf("Finish recorded %d keys, want %d", last.Keys, want)
			}
		})
	}
}
