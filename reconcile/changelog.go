package reconcile

import (
	"context"
	"sync"
	"time"
)

// ChangeRecorder keeps the change log (the Journal's change half).
type ChangeRecorder interface {
	RecordChanges(ctx context.Context, changes []Change) error
}

// changeBatch is how many entries a run gathers before writing them: the
// log costs a COPY per batch, not a statement per write.
const changeBatch = 5000

// runChanges gathers one run's panel writes for the change log and writes
// them in batches; a run on a store without a change log gathers nothing.
type runChanges struct {
	rec    ChangeRecorder
	runID  int64
	owned  []OwnedKey           // the run's ownership records, for a delete's contract and flat
	owners map[ownedAt]OwnedKey // owned by panel and code, built at the first delete
	mu     sync.Mutex
	buf    []Change
}

type ownedAt struct {
	device int
	code   string
}

// know takes the ownership records the run observed; they are indexed
// only when a session deletes, so a no-op run pays nothing for them.
func (l *runChanges) know(owned []OwnedKey) {
	if l != nil {
		l.owned = owned
	}
}

// index builds owners once. Caller holds l.mu.
func (l *runChanges) index() map[ownedAt]OwnedKey {
	if l.owners == nil {
		l.owners = make(map[ownedAt]OwnedKey, len(l.owned))
		for _, o := range l.owned {
			l.owners[ownedAt{o.DeviceID, o.Code}] = o
		}
	}
	return l.owners
}

func newRunChanges(s Store, runID int64) *runChanges {
	rec, _ := s.(ChangeRecorder)
	if rec == nil || runID == 0 {
		return nil
	}
	return &runChanges{rec: rec, runID: runID}
}

// session records one panel session's writes: ok when the read-back shows
// them, failed (with why) otherwise; v is nil when there was no read-back.
func (l *runChanges) session(ctx context.Context, pp PanelPlan, v *verified, err error) error {
	if l == nil {
		return nil
	}
	var owners map[ownedAt]OwnedKey
	if len(pp.Delete) > 0 {
		l.mu.Lock()
		owners = l.index()
		l.mu.Unlock()
	}
	return l.add(ctx, pp.Device.ID, sessionChanges(pp, owners, v, err))
}

// flush writes what was gathered; it outlives a cancelled run briefly, as
// the writes it records did happen.
func (l *runChanges) flush(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	buf := l.buf
	l.buf = nil
	l.mu.Unlock()
	if len(buf) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return l.rec.RecordChanges(ctx, buf)
}

// sessionChanges lists the writes a session planned with their outcome.
func sessionChanges(pp PanelPlan, owners map[ownedAt]OwnedKey, v *verified, err error) []Change {
	why := ""
	if err != nil {
		why = err.Error()
	}
	outcome := func(seen bool) (string, string) {
		if seen {
			return ResultOK, ""
		}
		if why == "" {
			return ResultFailed, "not seen on the panel after the session"
		}
		return ResultFailed, why
	}
	claims := map[string]OwnedKey{}
	for _, c := range pp.Claim {
		claims[c.Code] = c
	}
	var out []Change
	for _, k := range pp.Delete {
		code := panelCode(k)
		rec := owners[ownedAt{pp.Device.ID, code}]
		res, e := outcome(v != nil && v.isGone(code))
		out = append(out, Change{Op: OpDelete, Code: code, Flat: rec.Flat, UID: rec.UID, Result: res, Error: e})
	}
	for op, keys := range map[string][]PanelKey{OpRebind: pp.Rebind, OpAdd: pp.Add} {
		for _, k := range keys {
			res, e := outcome(v != nil && v.kept[k.Code])
			out = append(out, Change{Op: op, Code: k.Code, Flat: k.Flat, UID: claims[k.Code].UID, Result: res, Error: e})
		}
	}
	return out
}

// add puts changes of one panel made outside its key writes (a flat's
// calls) in the log.
func (l *runChanges) add(ctx context.Context, deviceID int, changes []Change) error {
	if l == nil || len(changes) == 0 {
		return nil
	}
	at := time.Now().UTC()
	l.mu.Lock()
	for _, c := range changes {
		c.At, c.RunID, c.DeviceID = at, l.runID, deviceID
		l.buf = append(l.buf, c)
	}
	full := len(l.buf) >= changeBatch
	l.mu.Unlock()
	if full {
		return l.flush(ctx)
	}
	return nil
}
