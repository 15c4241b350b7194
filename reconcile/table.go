package reconcile

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Table writes the plan as a readable dry-run table: one block per panel,
// then orphans, unread panels, conflicts, bad flats and the totals. Write
// errors are ignored: the table is for people.
func (p Plan) Table(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, pp := range p.Panels {
		pp.table(tw)
	}
	for _, o := range p.Orphans {
		fmt.Fprintf(tw, "orphan\tdevice %d\t%s\tflat %d\tuid %d\n", o.DeviceID, o.Code, o.Flat, o.UID)
	}
	for _, id := range p.Unread {
		fmt.Fprintf(tw, "unread\tpanel %d\tnot read: no plan\n", id)
	}
	for _, c := range p.Conflicts {
		fmt.Fprintf(tw, "conflict\tpanel %d\t%s\tuid %d flat %d wins over uid %d flat %d\n",
			c.DeviceID, c.Code, c.Winner, c.WinnerFlat, c.Loser, c.LoserFlat)
	}
	for _, b := range p.BadFlats {
		fmt.Fprintf(tw, "bad flat\tuid %d\t%q\tno keys anywhere\n", b.UID, b.Flat)
	}
	for _, uid := range p.Duplicates {
		fmt.Fprintf(tw, "duplicate\tuid %d\tseveral billing rows\tits panels left as they are\n", uid)
	}
	for _, a := range p.Access {
		fmt.Fprintf(tw, "access\tuid %d\tdevice %d\tstate %d\n", a.UID, a.DeviceID, a.State)
	}
	for _, a := range p.AccessGone {
		fmt.Fprintf(tw, "access\tuid %d\tdevice %d\tdropped\n", a.UID, a.DeviceID)
	}
	for _, a := range p.AccessHeld {
		fmt.Fprintf(tw, "access held\tuid %d\tdevice %d\tguarded: state %d not written\n", a.UID, a.DeviceID, a.State)
	}
	p.footer(tw)
	tw.Flush()
}

func (pp PanelPlan) table(w io.Writer) {
	d := pp.Device
	kind := "panel"
	if pp.Tombstone {
		kind = "deleted panel"
	}
	fmt.Fprintf(w, "%s %d\t%s %s\tadd %d, rebind %d, delete %d, adopt %d, forget %d\n",
		kind, d.ID, Family(d.Family), d.IP, len(pp.Add), len(pp.Rebind), len(pp.Delete), len(pp.Adopt), len(pp.Forget))
	if len(pp.Whole) > 0 {
		fmt.Fprintf(w, "  clear\tall keys\tthen push the %d wanted keys in one go (holds no key that stays)\n", len(pp.Whole))
	}
	for _, k := range pp.Add {
		fmt.Fprintf(w, "  add\t%s\tflat %d\n", k.Code, k.Flat)
	}
	for _, k := range pp.Rebind {
		fmt.Fprintf(w, "  rebind\t%s\tflat %d\n", k.Code, k.Flat)
	}
	for _, code := range pp.Delete {
		fmt.Fprintf(w, "  delete\t%s\t\n", code)
	}
	for _, code := range pp.Replace {
		fmt.Fprintf(w, "  replace\t%s\tlisted form of a rebound key: deleted first\n", code)
	}
	for _, code := range pp.Held {
		fmt.Fprintf(w, "  held\t%s\tguarded: not deleted\n", code)
	}
	for _, o := range pp.Adopt {
		fmt.Fprintf(w, "  adopt\t%s\tflat %d uid %d\n", o.Code, o.Flat, o.UID)
	}
	for _, code := range pp.Forget {
		fmt.Fprintf(w, "  forget\t%s\t\n", code)
	}
	for _, c := range pp.CallsOff {
		fmt.Fprintf(w, "  calls off\tflat %d\tuids %v: none paid\n", c.Flat, c.UIDs)
	}
	for _, c := range pp.CallsOn {
		fmt.Fprintf(w, "  calls on\tflat %d\tback as found: %s\n", c.Flat, describeCalls(c.Found))
	}
	for _, flat := range pp.CallsHeld {
		fmt.Fprintf(w, "  calls held\tflat %d\tguarded: not turned off\n", flat)
	}
}

func (p Plan) footer(w io.Writer) {
	add, rebind, del := p.Counts()
	scope := "full run"
	switch {
	case p.Panel != 0:
		scope = fmt.Sprintf("panel %d", p.Panel)
	case len(p.UIDs) > 0 && p.Named:
		scope = fmt.Sprintf("uids %v", p.UIDs)
	case len(p.UIDs) > 0:
		scope = fmt.Sprintf("batch of uids %v", p.UIDs)
	}
	fmt.Fprintf(w, "total\t%s, prune %s\tadd %d, rebind %d, delete %d, orphans %d, access changes %d\n",
		scope, p.Prune, add, rebind, del, len(p.Orphans), len(p.Access)+len(p.AccessGone))
	if p.Guarded {
		fmt.Fprintf(w, "guarded\t%s\tdeletions held (--force overrides)\n", p.Guard)
	}
	if !p.HasChanges() {
		fmt.Fprintln(w, "no changes\t\t")
	}
}
