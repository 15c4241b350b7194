package reconcile

import (
	"context"
	"log/slog"
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
// write, Finish or dial records the error. Runs list every panel they touch,
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
}

func (p *recordingPanel) ListKeys(ctx context.Context) ([]PanelKey, error) {
	keys, err := p.Panel.ListKeys(ctx)
	c := PanelContact{DeviceID: p.id, OK: err == nil, Keys: len(keys)}
	if err != nil {
		c.Error, c.Keys = err.Error(), -1
	}
	recordContact(ctx, p.rec, p.log, c)
	return keys, err
}

func (p *recordingPanel) AddKeys(ctx context.Context, keys []PanelKey) error {
	return p.failed(ctx, p.Panel.AddKeys(ctx, keys))
}

func (p *recordingPanel) DeleteKey(ctx context.Context, code string) error {
	return p.failed(ctx, p.Panel.DeleteKey(ctx, code))
}

func (p *recordingPanel) Finish(ctx context.Context) error {
	return p.failed(ctx, p.Panel.Finish(ctx))
}

// failed records a write's error; a write that worked changes no status.
func (p *recordingPanel) failed(ctx context.Context, err error) error {
	if err != nil {
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
