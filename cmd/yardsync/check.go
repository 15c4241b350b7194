package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"yardsync/billing"
	"yardsync/store"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "connect to the store and the billing, run each billing query once, probe every panel, print what is wrong",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "phone", Usage: "sample `PHONE` for the uids query"},
			&cli.Int64Flag{Name: "uid", Usage: "sample `UID` for the cams and contract queries"},
			&cli.BoolFlag{Name: "json", Usage: "print the results as JSON"},
		},
		Action: func(c *cli.Context) error {
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			in := billing.CheckInput{Phone: c.String("phone"), UID: c.Int64("uid")}
			return reportProbes(e.stdout, e.check(c.Context, in), c.Bool("json"))
		},
	}
}

// check runs every probe: the store and its schema, the guard, the billing
// and each of its queries, every panel. A store that answers but is not
// migrated (or was migrated by a newer yardsync) still has its panels
// probed where its devices can be read.
func (e *env) check(ctx context.Context, in billing.CheckInput) []billing.Probe {
	db, line, current := checkStore(ctx, e.storeConfig())
	if db != nil {
		defer db.Close()
	}
	probes := []billing.Probe{line}
	if current {
		probes = append(probes, checkGuard(ctx, db))
		in.Paid, _ = db.PaidContracts(ctx) // unknown (0) only mutes the shrunk-snapshot warning
	} else {
		probes = append(probes, billing.Probe{Query: "guard", Status: "skipped", Detail: "the store is not usable (see the store line)"})
	}
	probes = append(probes, checkBilling(ctx, e.cfg.Billing, in)...)
	return append(probes, e.checkPanels(ctx, db)...)
}

// checkStore connects to the store and reads its schema state. db is nil
// when the store cannot be reached; current says its schema is this
// yardsync's.
func checkStore(ctx context.Context, cfg store.Config) (db *store.DB, line billing.Probe, current bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	db, err := store.OpenConfig(ctx, cfg)
	if err == nil {
		if err = db.Ping(ctx); err != nil {
			db.Close()
			db = nil
		}
	}
	if err != nil {
		return nil, billing.Probe{Query: "store", Status: "error", Detail: err.Error()}, false
	}
	if err := db.CheckSchema(ctx); err != nil {
		return db, billing.Probe{Query: "store", Status: "error", Detail: err.Error()}, false
	}
	st, err := db.Schema(ctx)
	if err == nil {
		err = st.Err()
	}
	if err != nil {
		return db, billing.Probe{Query: "store", Status: "error", Detail: err.Error()}, false
	}
	return db, billing.Probe{Query: "store", Status: "ok", Detail: fmt.Sprintf("connected, migrated (migration %d)", st.Applied)}, true
}

// checkGuard says whether the guard holds revocations now: the newest run it
// held, unless a later full run went through.
func checkGuard(ctx context.Context, db *store.DB) billing.Probe {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	held, err := db.LastHeld(ctx, 0)
	switch {
	case err != nil:
		return billing.Probe{Query: "guard", Status: "skipped", Detail: err.Error()}
	case held != nil:
		return billing.Probe{Query: "guard", Status: "error", Detail: fmt.Sprintf(
			"run %d (%s) was held: it %s; its deletions wait for a run that reads the billing right, or `yardsync reconcile --force` if the billing is right",
			held.RunID, held.At.Local().Format("2006-01-02 15:04:05"), held.Guard)}
	}
	return billing.Probe{Query: "guard", Status: "ok", Detail: "no run held since the last full run"}
}

// checkBilling opens the billing, asks it something of its own (the billing
// line) and runs every configured query.
func checkBilling(ctx context.Context, cfg BillingConfig, in billing.CheckInput) []billing.Probe {
	if cfg.Driver == "" {
		return []billing.Probe{{Query: billing.QueryBilling, Status: "skipped", Detail: "not configured (billing.driver is empty)"}}
	}
	_, client, err := openBilling(ctx, cfg, nil)
	if err != nil {
		return []billing.Probe{{Query: billing.QueryBilling, Status: "error", Detail: err.Error()}}
	}
	defer client.Close()
	return client.Check(ctx, in)
}

// reportProbes prints one line per probe, and its hint under it (or JSON),
// and fails on any problem.
func reportProbes(w io.Writer, probes []billing.Probe, asJSON bool) error {
	problems := 0
	for _, p := range probes {
		if p.Problem() {
			problems++
		}
	}
	if asJSON {
		if err := json.NewEncoder(w).Encode(map[string]any{"checks": probes, "problems": problems}); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, p := range probes {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Query, statusWord(p.Status), p.Detail)
			if p.Hint != "" {
				fmt.Fprintf(tw, "\t\twhat to do: %s\n", p.Hint)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if problems > 0 {
		return cli.Exit(fmt.Sprintf("check: %d problem(s)", problems), 1)
	}
	return nil
}

func statusWord(s string) string {
	switch s {
	case "ok":
		return "OK"
	case "error":
		return "FAIL"
	case "warning":
		return "WARN"
	}
	return "-"
}
