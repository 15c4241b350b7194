package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// ContactRecorder keeps each panel's status (the Journal's panel half).
type ContactRecorder interface {
	RecordPanelContacts(ctx context.Context, contacts []PanelContact) error
}

// contactWriteTimeout bounds one status write, which outlives a cancelled run.
const contactWriteTimeout = 5 * time.Second

// RecordingDialer wraps dial so that every contact with a panel updates its
// status: a key listing records OK and the key count, or its error; a failed
// write, Finish or dial records the error; a Finish that worked (every write
// of the session did) records OK and the count after the writes. Runs list every panel they touch,
// so each run refreshes the status of its panels, and a panel that recovers
// turns OK at its next run. One row per panel session, written from that
// session, so the cost grows with the panels, not with the keys.
func RecordingDialer(dial PanelDialer, rec ContactRecorder, log *slog.Logger) PanelDialer {
	return func(d PanelDevice) (Panel, error) {
		p, err := dial(d)
		if err != nil {
			recordContact(context.Background(), rec, log, PanelContact{DeviceID: d.ID, Error: err.Error(), Keys: -1})
			return nil, err
		}
		return &recordingPanel{Panel: p, id: d.ID, rec: rec, log: log}, nil
	}
}

type recordingPanel struct {
	Panel
	id  int
	rec ContactRecorder
	log *slog.Logger
	mu  sync.Mutex
	// on holds the codes on the panel as the session knows them: nil until
	// listed, and built from listed at the first write, so a session that
	// only lists (every panel of a no-op run) builds no set.
	on     map[string]bool
	listed []PanelKey
	known  bool // the session has listed (or replaced) the keys
}

func (p *recordingPanel) ListKeys(ctx context.Context) ([]PanelKey, error) {
	keys, err := p.Panel.ListKeys(ctx)
	if err != nil {
		return nil, p.failed(ctx, err)
	}
	p.mu.Lock()
	p.on, p.listed, p.known = nil, keys, true
	p.mu.Unlock()
	recordContact(ctx, p.rec, p.log, PanelContact{DeviceID: p.id, OK: true, Keys: len(keys)})
	return keys, nil
}

func (p *recordingPanel) AddKeys(ctx context.Context, keys []PanelKey) error {
	err := p.Panel.AddKeys(ctx, keys)
	if err == nil {
		p.mu.Lock()
		for _, k := range keys {
			p.mark(k.Code, true)
		}
		p.mu.Unlock()
	}
	return p.failed(ctx, err)
}

func (p *recordingPanel) DeleteKey(ctx context.Context, code string) error {
	err := p.Panel.DeleteKey(ctx, code)
	if err == nil {
		p.mu.Lock()
		p.mark(code, false)
		p.mu.Unlock()
	}
	return p.failed(ctx, err)
}

// ReplaceKeys forwards to a panel that can replace its keys (see Replacer);
// the panel then holds exactly keys.
func (p *recordingPanel) ReplaceKeys(ctx context.Context, keys []PanelKey) error {
	rp, ok := p.Panel.(Replacer)
	if !ok {
		return errNoReplace
	}
	err := rp.ReplaceKeys(ctx, keys)
	if err == nil {
		p.mu.Lock()
		p.on, p.listed, p.known = nil, keys, true
		p.mu.Unlock()
	}
	return p.failed(ctx, err)
}

// codes returns the set of codes the session knows on the panel (nil if
// it never listed), building it from the listing first; p.mu is held.
func (p *recordingPanel) codes() map[string]bool {
	if p.on == nil && p.known {
		p.on = make(map[string]bool, len(p.listed))
		for _, k := range p.listed {
			p.on[k.Code] = true
		}
		p.listed = nil
	}
	return p.on
}

// mark notes a code's presence once the codes are known; p.mu is held.
func (p *recordingPanel) mark(code string, on bool) {
	switch {
	case p.codes() == nil:
	case on:
		p.on[code] = true
	default:
		delete(p.on, code)
	}
}

func (p *recordingPanel) Finish(ctx context.Context) error {
	if err := p.Panel.Finish(ctx); err != nil {
		return p.failed(ctx, err)
	}
	p.mu.Lock()
	keys := -1
	if on := p.codes(); on != nil {
		keys = len(on)
	}
	p.mu.Unlock()
	recordContact(ctx, p.rec, p.log, PanelContact{DeviceID: p.id, OK: true, Keys: keys})
	return nil
}

// failed records a call's error; a call that worked changes no status, and
// neither does one the run cancelled (a full run whose billing failed stops
// its panel reads): that says nothing of the panel. A panel's deadline does.
func (p *recordingPanel) failed(ctx context.Context, err error) error {
	if err != nil && !errors.Is(ctx.Err(), context.Canceled) {
		recordContact(ctx, p.rec, p.log, PanelContact{DeviceID: p.id, Error: err.Error(), Keys: -1})
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

// ContactBatch gathers panel contacts in memory and writes them in one
// statement per flush: a run over 2,000 panels costs one status write, not
// one per panel on a pool of a few connections. A panel contacted twice
// before a flush keeps its latest contact. Runner.Run flushes at its end.
type ContactBatch struct {
	rec     ContactRecorder
	log     *slog.Logger
	mu      sync.Mutex
	pending map[int]PanelContact
}

// contactFlushAt is the pending contacts that make a write at once.
const contactFlushAt = 1000

// NewContactBatch writes through rec.
func NewContactBatch(rec ContactRecorder, log *slog.Logger) *ContactBatch {
	return &ContactBatch{rec: rec, log: log, pending: map[int]PanelContact{}}
}

// RecordPanelContacts keeps the contacts for the next flush.
func (b *ContactBatch) RecordPanelContacts(ctx context.Context, cs []PanelContact) error {
	b.mu.Lock()
	for _, c := range cs {
		b.pending[c.DeviceID] = c
	}
	full := len(b.pending) >= contactFlushAt
	b.mu.Unlock()
	if full {
		return b.Flush(ctx)
	}
	return nil
}

// Flush writes the pending contacts; a nil batch has none.
func (b *ContactBatch) Flush(ctx context.Context) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	cs := make([]PanelContact, 0, len(b.pending))
	for _, c := range b.pending {
		cs = append(cs, c)
	}
	b.pending = map[int]PanelContact{}
	b.mu.Unlock()
	if len(cs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), contactWriteTimeout)
	defer cancel()
	return b.rec.RecordPanelContacts(ctx, cs)
}
