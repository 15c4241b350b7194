package reconcile

import (
	"context"
	"fmt"
)

// Call states explain says of a flat.
const (
	CallsOn      = "on"           // calls go through; yardsync leaves them as they are
	CallsOff     = "off"          // yardsync turned them off (or is to, at the next run)
	CallsOffHand = "off_as_found" // off when yardsync came to turn them off: it leaves them off
	CallsOffNext = "off_next_run" // unpaid, no payer on the flat: the next run turns them off
	CallsRestore = "restore"      // yardsync is to put back what it found at the next run
	CallsAsIs    = "as_is"        // block_calls is off, or the flat is frozen: left as it is
)

// ExplainedCalls is the calls of a contract's flat on one panel.
type ExplainedCalls struct {
	Flat  int    `json:"flat"`
	State string `json:"state"` // CallsOn, CallsOff, CallsOffHand, CallsRestore or CallsAsIs
	// Found is what yardsync found before it turned the calls off: what
	// "on again" puts back.
	Found  *CallSetting `json:"found,omitempty"`
	Reason string       `json:"reason"` // one sentence
}

// explainCalls says, for each panel, what yardsync does with the calls of
// the contract's flat and why.
func (r *Runner) explainCalls(ctx context.Context, uid int64, panels []ExplainedPanel, in Inputs, d Desired) error {
	var c Contract
	for _, row := range in.Contracts {
		if row.UID == uid {
			c = row
		}
	}
	flat, ok := FlatNumber(c.Flat)
	if !ok || !c.CamsOpen || len(panels) == 0 {
		return nil
	}
	ids := make([]int, len(panels))
	for i, p := range panels {
		ids[i] = p.DeviceID
	}
	recs, err := r.callRecords(ctx, ids)
	if err != nil {
		return err
	}
	if r.Opts.BlockCalls && !c.CamsPaid {
		if err := r.completeFlats(ctx, &d, in, []int64{uid}); err != nil {
			return err
		}
	}
	at := callRecordsAt(recs)
	for i := range panels {
		if _, ok := d.Calls[panels[i].DeviceID][flat]; !ok {
			continue
		}
		var rec *CallRecord
		for _, x := range at[panels[i].DeviceID] {
			if x.Flat == flat {
				rec = &x
			}
		}
		panels[i].Calls = r.explainFlat(panels[i].DeviceID, flat, c.CamsPaid, d, rec)
	}
	return nil
}

// explainFlat says what becomes of one flat's calls. Explain observes one
// contract: what it says of the flat rests on that contract and the
// flat's record, never on the absence of other payers.
func (r *Runner) explainFlat(panel, flat int, paid bool, d Desired, rec *CallRecord) *ExplainedCalls {
	f := d.Calls[panel][flat]
	ec := &ExplainedCalls{Flat: flat}
	if rec != nil {
		ec.Found = &rec.Found
	}
	block := r.Opts.BlockCalls
	switch {
	case f.Frozen:
		ec.State, ec.Reason = CallsAsIs, fmt.Sprintf("A contract of flat %d has several billing rows: its calls are left as they are.", flat)
	case paid && rec != nil:
		ec.State, ec.Reason = CallsRestore, fmt.Sprintf("yardsync turned the calls of flat %d off; now that the contract has paid, the next run puts back what it found (%s).", flat, describeCalls(rec.Found))
	case paid && block:
		ec.State, ec.Reason = CallsOn, fmt.Sprintf("The contract has paid: yardsync leaves the calls of flat %d on.", flat)
	case d.CallsWhole[panel][flat] && !f.Blocked() && rec != nil:
		ec.State, ec.Reason = CallsRestore, fmt.Sprintf("Another contract of flat %d on this panel has paid: the next run puts back what yardsync found (%s).", flat, describeCalls(rec.Found))
	case block && d.CallsWhole[panel][flat] && !f.Blocked():
		ec.State, ec.Reason = CallsOn, fmt.Sprintf("Another contract of flat %d on this panel has paid: yardsync leaves its calls on.", flat)
	case rec != nil && rec.Found.Off():
		ec.State, ec.Reason = CallsOffHand, fmt.Sprintf("No contract of flat %d on this panel has paid; its calls were already off when yardsync came to turn them off, and stay off when one pays.", flat)
	case rec != nil && rec.Seen:
		ec.State, ec.Reason = CallsOff, fmt.Sprintf("No contract of flat %d on this panel has paid: yardsync turned its calls off until one pays.", flat)
	case rec != nil:
		ec.State, ec.Reason = CallsOff, fmt.Sprintf("No contract of flat %d on this panel has paid: yardsync is turning its calls off (not seen off yet; the next run retries).", flat)
	case block:
		ec.State, ec.Reason = CallsOffNext, fmt.Sprintf("No contract of flat %d on this panel has paid: the next run turns its calls off (unless the guard holds the run).", flat)
	default:
		ec.State, ec.Reason = CallsAsIs, "reconcile.block_calls is off: yardsync leaves calls as they are."
	}
	return ec
}
