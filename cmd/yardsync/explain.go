package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"yardsync/reconcile"
	"yardsync/store"
)

func explainCommand() *cli.Command {
	return &cli.Command{
		Name:  "explain",
		Usage: "why a contract has or lacks door access, panel by panel and key by key (reads panels live, writes nothing)",
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "uid", Required: true, Usage: "the contract"},
			&cli.BoolFlag{Name: "json", Usage: "one JSON object"},
		},
		Action: runExplain,
	}
}

func runExplain(c *cli.Context) error {
	return withStore(c, func(e *env, db *store.DB) error {
		cached, _, err := openBilling(c.Context, e.cfg.Billing, nil)
		if err != nil {
			return err
		}
		defer cached.Close()
		ex, err := e.newRunner(db, cached.Client(), nil, 0).Explain(c.Context, c.Int64("uid"), db)
		if err != nil {
			return err
		}
		if c.Bool("json") {
			return json.NewEncoder(e.stdout).Encode(ex)
		}
		printExplanation(e.stdout, ex)
		return nil
	})
}

// printExplanation is the support person's view: the verdict first, then
// one line per key and panel.
func printExplanation(w io.Writer, ex reconcile.Explanation) {
	verdict := "NO ACCESS"
	if ex.Active {
		verdict = "ACTIVE"
	}
	fmt.Fprintf(w, "contract %d: %s. %s\n", ex.UID, verdict, ex.Reason)
	b := ex.Billing
	if b.Found {
		fmt.Fprintf(w, "billing: cams_open %s, cams_paid %s, flat %q\n", yesNo(b.CamsOpen), yesNo(b.CamsPaid), b.Flat)
	} else {
		fmt.Fprintln(w, "billing: no row for this contract")
	}
	if len(ex.Panels) == 0 {
		fmt.Fprintln(w, "panels: none (its rights reach no panel and yardsync holds none of its keys anywhere)")
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PANEL\tTITLE\tVIA\tKEY\tWANTED\tON PANEL\tOWNED\tLAST CHANGE")
	for _, p := range ex.Panels {
		for _, k := range p.Keys {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.DeviceID, p.Title, p.Via, k.Code,
				yesNo(k.Wanted), onPanel(k), yesNo(k.Owned), lastChange(k.Last))
		}
	}
	_ = tw.Flush()
	for _, p := range ex.Panels {
		if p.Calls != nil {
			fmt.Fprintf(w, "panel %d: calls of flat %d: %s %s\n", p.DeviceID, p.Calls.Flat, p.Calls.State, p.Calls.Reason)
		}
	}
	for _, p := range ex.Panels {
		if p.Error != "" {
			fmt.Fprintf(w, "panel %d could not be read: %s\n", p.DeviceID, p.Error)
			printHint(w, p.DeviceID, p.Error)
		} else if msg := failedWrite(p); msg != "" {
			fmt.Fprintf(w, "panel %d: a write of these keys failed: %s\n", p.DeviceID, msg)
			printHint(w, p.DeviceID, msg)
		}
	}
}

// failedWrite is the error of the first key whose last write on the panel
// failed, if any.
func failedWrite(p reconcile.ExplainedPanel) string {
	for _, k := range p.Keys {
		if k.Last != nil && k.Last.Error != "" {
			return k.Last.Error
		}
	}
	return ""
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func onPanel(k reconcile.ExplainedKey) string {
	switch {
	case k.OnPanel == nil:
		return "unknown"
	case *k.OnPanel && k.Flat != nil:
		return fmt.Sprintf("yes, flat %d", *k.Flat)
	}
	return yesNo(*k.OnPanel)
}

func lastChange(c *reconcile.Change) string {
	if c == nil {
		return "-"
	}
	s := fmt.Sprintf("%s %s %s (run %d)", c.At.Local().Format(time.DateTime), c.Op, c.Result, c.RunID)
	if c.Error != "" {
		s += ": " + c.Error
	}
	return s
}
