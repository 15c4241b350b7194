package panels

import (
	"context"
	"strconv"

	"yardsync/reconcile"
)

// Qtech dialreplace tags: 0 lets handset calls through, 2 stops them; a
// panel may also list 3, which reads as off too.
const (
	qtechHandsetOn  = 0
	qtechHandsetOff = 2
)

// qtechDial is one dialreplace entry: a flat (prefix), its analogue and
// SIP numbers, and its tags.
type qtechDial struct {
	ID       flexInt    `json:"id"`
	Prefix   flexInt    `json:"prefix"`
	Replace1 flexString `json:"Replace1"`
	Replace2 flexString `json:"Replace2"`
	Tags     flexInt    `json:"tags"`
}

// dial reads the flat's dialreplace entry.
func (q *qtech) dial(ctx context.Context, flat int) (qtechDial, error) {
	var d qtechDial
	if err := q.call(ctx, "dialreplace", "get", map[string]int{"prefix": flat}, &d); err != nil {
		return d, err
	}
	if int(d.Prefix) != flat {
		return d, q.c.fail(reconcile.ErrPermanent, "POST /api dialreplace get", "answer is not flat %d's entry", flat)
	}
	return d, nil
}

// calls reads the flat's tags; SIP has no per-flat switch on a Qtech (the
// server's call hook blocks it), so it reads as off.
func (q *qtech) calls(ctx context.Context, flat int) (reconcile.CallSetting, error) {
	d, err := q.dial(ctx, flat)
	if err != nil {
		return reconcile.CallSetting{}, err
	}
	return reconcile.CallSetting{Handset: d.Tags != 2 && d.Tags != 3, Raw: strconv.Itoa(int(d.Tags))}, nil
}

// setCalls sets the flat's tags, keeping its Replace1 and Replace2
// numbers: the entry is read first and sent back whole.
func (q *qtech) setCalls(ctx context.Context, flat int, s reconcile.CallSetting) error {
	d, err := q.dial(ctx, flat)
	if err != nil {
		return err
	}
	d.Tags = qtechHandsetOff
	if s.Handset {
		d.Tags = qtechHandsetOn
	}
	if t, err := strconv.Atoi(s.Raw); err == nil && s.Raw != "" {
		d.Tags = flexInt(t)
	}
	data := map[string]any{"id": int(d.ID), "prefix": flat, "Replace1": string(d.Replace1), "Replace2": string(d.Replace2), "tags": int(d.Tags)}
	return q.call(ctx, "dialreplace", "set", data, nil)
}
