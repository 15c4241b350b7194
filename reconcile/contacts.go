package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ContactRecorder keeps each panel's status (the Journal's panel half).
type ContactRecorder interface {
	RecordPanelContacts(ctx context.Context, contacts []PanelContact) error
}

// LineSkipper is a panel client that counts the entries its last key
// listing skipped: lines it could not parse (a foreign `Apartment=12a`, a
// Sokol entry with no uuid), which stay on the panel as they are.
type LineSkipper interface {
	Skipped() int
}

// contactWriteTimeout bounds one status write, which outlives a cancelled run.
const contactWriteTimeout = 5 * time.Second

// RecordingDialer wraps dial so that every contact with a panel updates its
// status: a key listing records OK, the keys it listed and the entries it
// skipped, or its error; a failed write, Finish or dial records the error;
// a Finish that worked records OK. The key count is only ever what the
// panel listed, the session's read-back after its writes included. Whether
// the writes took is the session's verdict, which ContactBatch records
// apart: a good read after a refused write does not make the panel good.
// Runs list every panel they touch, so each run refreshes the status of
// its panels. One row per panel session, written from that session, so
// the cost grows with the panels, not with the keys.
func RecordingDialer(dial PanelDialer, rec ContactRecorder, log *slog.Logger) PanelDialer {
	return func(d PanelDevice) (Panel, error) {
		p, err := dial(d)
		if err != nil {
			recordContact(context.Background(), rec, log, PanelContact{DeviceID: d.ID, Error: err.Error(), Keys: -1, Skipped: -1})
			return nil, err
		}
		return &recordingPanel{Panel: p, id: d.ID, rec: rec, log: log}, nil
	}
}

// recordingPanel is one run's client of one panel: the run's read and, if
// the plan changes the panel, its write session.
type recordingPanel struct {
	Panel
	id  int
	rec ContactRecorder
	log *slog.Logger
	// wrote is set once the session sends a key write: only then does the
	// session's outcome tell anything of the panel's writes.
	wrote atomic.Bool
}

func (p *recordingPanel) ListKeys(ctx context.Context) ([]PanelKey, error) {
	keys, err := p.Panel.ListKeys(ctx)
	if err != nil {
		return nil, p.failed(ctx, err)
	}
	skipped := -1
	if s, ok := p.Panel.(LineSkipper); ok {
		skipped = s.Skipped()
	}
	recordContact(ctx, p.rec, p.log, PanelContact{DeviceID: p.id, OK: true, Keys: len(keys), Skipped: skipped})
	return keys, nil
}

func (p *recordingPanel) AddKeys(ctx context.Context, keys []PanelKey) error {
	p.wrote.Store(true)
	return p.failed(ctx, p.Panel.AddKeys(ctx, keys))
}

func (p *recordingPanel) DeleteKey(ctx context.Context, code string) error {
	p.wrote.Store(true)
	return p.failed(ctx, p.Panel.DeleteKey(ctx, code))
}

// ReplaceKeys forwards to a panel that can replace its keys (see Replacer).
func (p *recordingPanel) ReplaceKeys(ctx context.Context, keys []PanelKey) error {
	rp, ok := p.Panel.(Replacer)
	if !ok {
		return ErrNoReplace
	}
	p.wrote.Store(true)
	return p.failed(ctx, rp.ReplaceKeys(ctx, keys))
}

func (p *recordingPanel) Finish(ctx context.Context) error {
	if err := p.Panel.Finish(ctx); err != nil {
		return p.failed(ctx, err)
	}
	recordContact(ctx, p.rec, p.log, PanelContact{DeviceID: p.id, OK: true, Keys: -1, Skipped: -1})
	return nil
}

// failed records a call's error; a call that worked changes no status, and
// neither does one the run cancelled (a full run whose billing failed stops
// its panel reads): that says nothing of the panel. A panel's deadline does.
func (p *recordingPanel) failed(ctx context.Context, err error) error {
	if err != nil && !errors.Is(ctx.Err(), context.Canceled) {
		recordContact(ctx, p.rec, p.log, PanelContact{DeviceID: p.id, Error: err.Error(), Keys: -1, Skipped: -1})
	}
	return err
}

// recordContact writes one status row even when the run's context is done:
// the failure it records is often that very deadline. A failed write is
// logged and otherwise ignored, since the panel work itself went on.
func recordContact(ctx context.Context, rec ContactRecorder, log *slog.Logger, c PanelContact) {
	c.At = time.Now()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), contactWriteTimeout)
	defer cancel()
	if err := rec.RecordPanelContacts(ctx, []PanelContact{c}); err != nil && log != nil {
		log.Warn("panel status not recorded", slog.Int("device_id", c.DeviceID), slog.Any("error", err))
	}
}

// ContactBatch gathers panel contacts and write outcomes in memory and
// writes them in one statement each per flush: a run over 2,000 panels
// costs one status write, not one per panel on a pool of a few
// connections. A panel contacted twice before a flush keeps its latest
// contact, with the keys of its latest listing. Runner.Run flushes at its end.
type ContactBatch struct {
	rec     StatusRecorder
	log     *slog.Logger
	mu      sync.Mutex
	pending map[int]PanelContact
	writes  map[int]PanelWrite
}

// contactFlushAt is the pending contacts that make a write at once.
const contactFlushAt = 1000

// NewContactBatch writes through rec.
func NewContactBatch(rec StatusRecorder, log *slog.Logger) *ContactBatch {
	return &ContactBatch{rec: rec, log: log, pending: map[int]PanelContact{}, writes: map[int]PanelWrite{}}
}

// RecordPanelContacts keeps the contacts for the next flush.
func (b *ContactBatch) RecordPanelContacts(ctx context.Context, cs []PanelContact) error {
	b.mu.Lock()
	for _, c := range cs {
		if was, ok := b.pending[c.DeviceID]; ok {
			c = c.over(was)
		}
		b.pending[c.DeviceID] = c
	}
	full := len(b.pending) >= contactFlushAt
	b.mu.Unlock()
	if full {
		return b.Flush(ctx)
	}
	return nil
}

// over is c, a later contact than was, keeping what was listed or probed
// when c lists or probes nothing, as the store keeps them.
func (c PanelContact) over(was PanelContact) PanelContact {
	if c.Keys < 0 {
		c.Keys = was.Keys
	}
	if c.Skipped < 0 {
		c.Skipped = was.Skipped
	}
	if c.Probe == "" {
		c.Probe = was.Probe
	}
	return c
}

// recordWrites keeps write outcomes for the next flush, a panel's latest
// winning; a nil batch keeps none.
func (b *ContactBatch) recordWrites(ws []PanelWrite) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range ws {
		b.writes[w.DeviceID] = w
	}
}

// Flush writes the pending contacts, then the write outcomes; a nil batch
// has none.
func (b *ContactBatch) Flush(ctx context.Context) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	cs := slices.Collect(maps.Values(b.pending))
	ws := slices.Collect(maps.Values(b.writes))
	b.pending, b.writes = map[int]PanelContact{}, map[int]PanelWrite{}
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), contactWriteTimeout)
	defer cancel()
	var err error
	if len(cs) > 0 {
		err = b.rec.RecordPanelContacts(ctx, cs)
	}
	if len(ws) > 0 {
		err = errors.Join(err, b.rec.RecordPanelWrites(ctx, ws))
	}
	return err
}

// Calls forwards to a panel that can switch a flat's calls (see CallSwitch).
func (p *recordingPanel) Calls(ctx context.Context, flat int) (CallSetting, error) {
	cs, ok := p.Panel.(CallSwitch)
	if !ok {
		return CallSetting{}, ErrNoCalls
	}
	got, err := cs.Calls(ctx, flat)
	if errors.Is(err, ErrNoCalls) {
		return got, err // the model, not the panel's health
	}
	return got, p.failed(ctx, err)
}

// SetCalls forwards to a panel that can switch a flat's calls.
func (p *recordingPanel) SetCalls(ctx context.Context, flat int, s CallSetting) error {
	cs, ok := p.Panel.(CallSwitch)
	if !ok {
		return ErrNoCalls
	}
	err := cs.SetCalls(ctx, flat, s)
	if errors.Is(err, ErrNoCalls) {
		return err
	}
	p.wrote.Store(true)
	return p.failed(ctx, err)
}
