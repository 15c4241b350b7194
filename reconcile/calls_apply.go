package reconcile

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
)

// Change log operations of call blocking.
const (
	OpCallsOff = "calls_off"
	OpCallsOn  = "calls_on"
)

// callTally counts a run's flats turned off and back on, seen on the panel.
type callTally struct{ off, on atomic.Int64 }

func (t *callTally) add(off, on int) {
	if t != nil {
		t.off.Add(int64(off))
		t.on.Add(int64(on))
	}
}

func (t *callTally) counts() (off, on int) {
	if t == nil {
		return 0, 0
	}
	return int(t.off.Load()), int(t.on.Load())
}

// switchCalls turns the plan's flats off and back on, each one read, then
// written, then read back, before the session's save. What a flat held
// before yardsync turned it off is recorded before the write goes out. It
// sends nothing after keys' writes found the panel gone (prev), and a model
// that cannot switch calls (ErrNoCalls) is no failure.
func (r *run) switchCalls(ctx context.Context, p Panel, pp PanelPlan, prev error) error {
	if len(pp.CallsOff)+len(pp.CallsOn) == 0 || unreachable(prev) {
		return nil
	}
	book, ok := r.Store.(CallBook)
	cs, can := p.(CallSwitch)
	if !ok || !can || !CanSwitchCalls(p) {
		return nil
	}
	s := callSession{r: r, book: book, cs: cs, dev: pp.Device}
	var errs error
	for _, c := range pp.CallsOff {
		err := s.off(ctx, c)
		if errors.Is(err, ErrNoCalls) {
			return nil
		}
		if errs = errors.Join(errs, err); unreachable(err) {
			break
		}
	}
	for _, c := range pp.CallsOn {
		if unreachable(errs) {
			break
		}
		err := s.on(ctx, c)
		if errors.Is(err, ErrNoCalls) {
			return nil
		}
		errs = errors.Join(errs, err)
	}
	r.calls.add(s.nOff, s.nOn)
	if err := r.changes.add(ctx, pp.Device.ID, s.log); err != nil {
		r.Log.Warn("change log not written", "panel_id", pp.Device.ID, "error", err)
	}
	return errs
}

// callSession is one panel session's call switching.
type callSession struct {
	r         *run
	book      CallBook
	cs        CallSwitch
	dev       PanelDevice
	log       []Change
	nOff, nOn int
}

// read reads one flat's setting, with retries.
func (s *callSession) read(ctx context.Context, flat int) (got CallSetting, err error) {
	err = s.r.retry(ctx, s.dev.Family, "calls", func(ctx context.Context) (err error) {
		got, err = s.cs.Calls(ctx, flat)
		return err
	})
	return got, err
}

// set writes one flat's setting and reads it back: ok when the panel
// shows want.
func (s *callSession) set(ctx context.Context, flat int, want CallSetting) (bool, error) {
	err := s.r.retry(ctx, s.dev.Family, "set_calls", func(ctx context.Context) error { return s.cs.SetCalls(ctx, flat, want) })
	if unreachable(err) || errors.Is(err, ErrNoCalls) {
		return false, err
	}
	got, rerr := s.read(ctx, flat)
	if rerr != nil {
		return false, errors.Join(err, rerr)
	}
	ok := got == want || want.Off() && got.Off() && want.Raw == ""
	if !ok {
		return false, errors.Join(err, Errorf(ErrPermanent, "calls of flat %d not seen as written after the session: %s", flat, describeCalls(got)))
	}
	return true, nil
}

// off turns one flat's calls off. A flat found off already was not turned
// off by yardsync: its record keeps "off" as what to put back.
func (s *callSession) off(ctx context.Context, c CallOff) error {
	if c.Found == nil {
		found, err := s.read(ctx, c.Flat)
		if err != nil {
			return err
		}
		rec := CallRecord{DeviceID: s.dev.ID, Flat: c.Flat, Found: found, UIDs: c.UIDs}
		if err := s.book.RecordCallsOff(ctx, rec); err != nil {
			return err
		}
		if found.Off() {
			return s.book.CallsSeenOff(ctx, s.dev.ID, c.Flat)
		}
	}
	ok, err := s.set(ctx, c.Flat, CallSetting{})
	s.note(OpCallsOff, c.Flat, c.UIDs, ok, err)
	if !ok {
		return err
	}
	s.nOff++
	return s.book.CallsSeenOff(ctx, s.dev.ID, c.Flat)
}

// on puts back what a flat held before yardsync turned its calls off. A
// flat someone turned on meanwhile is left as it is: yardsync turns back
// on only what is still as it left it.
func (s *callSession) on(ctx context.Context, c CallOn) error {
	cur, err := s.read(ctx, c.Flat)
	if err != nil {
		return err
	}
	if cur.Off() && cur != c.Found {
		ok, err := s.set(ctx, c.Flat, c.Found)
		s.note(OpCallsOn, c.Flat, c.UIDs, ok, err)
		if !ok {
			return err
		}
		s.nOn++
	}
	return s.book.ForgetCalls(ctx, s.dev.ID, c.Flat)
}

// note puts one call write in the change log.
func (s *callSession) note(op string, flat int, uids []int64, ok bool, err error) {
	c := Change{Op: op, Flat: flat, Result: ResultOK}
	if len(uids) > 0 {
		c.UID = uids[0]
	}
	if !ok {
		c.Result, c.Error = ResultFailed, "not seen on the panel after the session"
		if err != nil {
			c.Error = err.Error()
		}
	}
	s.log = append(s.log, c)
}

// describeCalls says a setting for a message, e.g. "handset on, sip off".
func describeCalls(c CallSetting) string {
	onOff := map[bool]string{true: "on", false: "off"}
	s := fmt.Sprintf("handset %s, sip %s", onOff[c.Handset], onOff[c.SIP])
	if c.Raw != "" {
		s += " (" + c.Raw + ")"
	}
	return s
}
