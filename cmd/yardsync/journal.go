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

func logCommand() *cli.Command {
	return &cli.Command{
		Name:  "log",
		Usage: "every panel write yardsync made: when, which run, panel, key, flat, contract and result",
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "uid", Usage: "only this contract"},
			&cli.IntFlag{Name: "panel", Usage: "only this panel (device id)"},
			&cli.StringFlag{Name: "key", Usage: "only this key (hex, any form)"},
			&cli.DurationFlag{Name: "since", Usage: "only the last `DURATION`, e.g. 24h"},
			&cli.IntFlag{Name: "limit", Value: 1000, Usage: "at most this many entries, newest first"},
			&cli.BoolFlag{Name: "json", Usage: "one JSON object a line"},
		},
		Action: runLog,
	}
}

func runLog(c *cli.Context) error {
	f := reconcile.ChangeFilter{UID: c.Int64("uid"), DeviceID: c.Int("panel"), Limit: c.Int("limit")}
	if c.String("key") != "" {
		code, err := reconcile.NormalizeKey(c.String("key"))
		if err != nil {
			return fmt.Errorf("--key: %w", err)
		}
		f.Code = code
	}
	if d := c.Duration("since"); d > 0 {
		f.Since = time.Now().Add(-d)
	}
	return withStore(c, func(e *env, db *store.DB) error {
		changes, err := db.Changes(c.Context, f)
		if err != nil {
			return err
		}
		if c.Bool("json") {
			return jsonLines(e.stdout, changes)
		}
		printChanges(e.stdout, changes)
		return nil
	})
}

// jsonLines prints one JSON object a line.
func jsonLines[T any](w io.Writer, items []T) error {
	enc := json.NewEncoder(w)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}

func printChanges(w io.Writer, changes []reconcile.Change) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tRUN\tPANEL\tOP\tKEY\tFLAT\tUID\tRESULT")
	for _, ch := range changes {
		result := ch.Result
		if ch.Error != "" {
			result += ": " + ch.Error
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%d\t%d\t%s\n", ch.At.Local().Format(time.DateTime), ch.RunID, ch.DeviceID,
			ch.Op, ch.Code, ch.Flat, ch.UID, result)
	}
	_ = tw.Flush()
	if len(changes) == 0 {
		fmt.Fprintln(w, "no panel writes match")
	}
}

func panelsCommand() *cli.Command {
	return &cli.Command{
		Name:  "panels",
		Usage: "each panel's last contact, last success, last error, key counts and skipped lines, failing panels first",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "failing", Usage: "only panels whose last contact or writes failed, or that were never reached"},
			&cli.BoolFlag{Name: "json", Usage: "one JSON object a line"},
		},
		Action: runPanels,
	}
}

func runPanels(c *cli.Context) error {
	return withStore(c, func(e *env, db *store.DB) error {
		panels, err := namedStore{DB: db, fams: e.families()}.PanelStatuses(c.Context, c.Bool("failing"))
		if err != nil {
			return err
		}
		if c.Bool("json") {
			return jsonLines(e.stdout, panels)
		}
		printPanels(e.stdout, panels)
		return nil
	})
}

func printPanels(w io.Writer, panels []reconcile.PanelStatus) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PANEL\tTITLE\tFAMILY\tIP\tSTATE\tLAST CONTACT\tLAST OK\tKEYS\tMANAGED\tSKIPPED\tLAST ERROR")
	for _, p := range panels {
		state, keys := "ok", "-"
		if p.Failing() {
			state = "FAILING"
		}
		if p.LastContact == nil {
			state = "never reached"
		}
		if p.Keys != nil {
			keys = fmt.Sprint(*p.Keys)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", p.DeviceID, p.Title, p.Family, p.IP, state,
			when(p.LastContact), when(p.LastOK), keys, p.ManagedKeys, p.Skipped, p.LastError)
	}
	_ = tw.Flush()
	sep := "\n"
	for _, p := range panels {
		if h := reconcile.PanelHint(p.DeviceID, p.LastError); h != "" {
			fmt.Fprintf(w, "%spanel %d, what to do: %s\n", sep, p.DeviceID, h)
			sep = ""
		}
	}
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}
