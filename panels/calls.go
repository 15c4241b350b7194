package panels

import (
	"context"
	"fmt"

	"yardsync/reconcile"
)

// callDriver is a family that can switch one flat's calls (see
// reconcile.CallSwitch). A family without it cannot block calls: Calls and
// SetCalls answer reconcile.ErrNoCalls, and check names the panel. A
// family with models that cannot (Akuvox E12/R20A) also implements
// callModel.
type callDriver interface {
	calls(ctx context.Context, flat int) (reconcile.CallSetting, error)
	setCalls(ctx context.Context, flat int, s reconcile.CallSetting) error
}

// callModel is a callDriver whose model may lack the per-flat switch.
type callModel interface {
	switchesCalls() bool
}

// CallSwitch and CallSetting are reconcile's, named here too for the
// drivers' readers: a Client is a CallSwitch for every family it drives
// that has a per-flat call setting.
type (
	CallSwitch  = reconcile.CallSwitch
	CallSetting = reconcile.CallSetting
)

var _ CallSwitch = (*Client)(nil)

// SwitchesCalls reports whether the panel's family can turn a flat's calls
// off.
func (c *Client) SwitchesCalls() bool {
	_, err := c.callDriver(1)
	return err == nil
}

// Calls reads one flat's call setting.
func (c *Client) Calls(ctx context.Context, flat int) (reconcile.CallSetting, error) {
	d, err := c.callDriver(flat)
	if err != nil {
		return reconcile.CallSetting{}, err
	}
	return d.calls(ctx, flat)
}

// SetCalls writes one flat's call setting: the zero setting turns its calls
// off, a setting Calls read puts it back exactly.
func (c *Client) SetCalls(ctx context.Context, flat int, s reconcile.CallSetting) error {
	d, err := c.callDriver(flat)
	if err != nil {
		return err
	}
	return d.setCalls(ctx, flat, s)
}

func (c *Client) callDriver(flat int) (callDriver, error) {
	d, ok := c.drv.(callDriver)
	if m, can := c.drv.(callModel); ok && can && !m.switchesCalls() {
		ok = false
	}
	if !ok {
		return nil, fmt.Errorf("panels: %s %s: %w", c.family, c.addr, reconcile.ErrNoCalls)
	}
	if flat < 1 || flat > 9999 {
		return nil, c.fail(reconcile.ErrPermanent, "", "calls: flat %d out of range", flat)
	}
	return d, nil
}

// onOff is a Beward switch value.
func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
