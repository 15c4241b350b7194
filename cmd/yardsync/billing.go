package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"yardsync/billing"
	"yardsync/reconcile"
	"yardsync/store"
)

// openBilling builds the billing client from the config and the uid cache
// in front of it. Without a driver it returns an error wrapping
// reconcile.ErrUnavailable. onQuery, when not nil, is told every SQL query's duration.
func openBilling(ctx context.Context, cfg BillingConfig, onQuery func(string, time.Duration, error)) (*billing.Cached, *billing.Client, error) {
	if cfg.Driver == "" {
		return nil, nil, reconcile.Errorf(reconcile.ErrUnavailable, "billing not configured")
	}
	client, err := billing.Open(ctx, billing.Config{
		Driver:      cfg.Driver,
		DSN:         cfg.DSN,
		Path:        cfg.Path,
		Timeout:     cfg.Timeout,
		PhonePrefix: cfg.PhonePrefix,
		Queries: billing.Queries{
			UIDs:     cfg.Queries.UIDs,
			Cams:     cfg.Queries.Cams,
			Contract: cfg.Queries.Contract,
			Snapshot: cfg.Queries.Snapshot,
			Changes:  cfg.Queries.Changes,
		},
		OnQuery: onQuery,
	})
	if err != nil {
		return nil, nil, err
	}
	return billing.NewCached(client, cfg.CacheSize, cfg.CacheTTL), client, nil
}

func billingCommand() *cli.Command {
	return &cli.Command{
		Name:  "billing",
		Usage: "ask the billing what the API would answer (JSON)",
		Subcommands: []*cli.Command{
			billingCall("uids", "PHONE", "uidFrom: contracts of a phone", billingUIDs),
			billingCall("cams", "UID", "camsActiv: intercom service of a contract", billingCams),
			billingCall("list", "PHONE", "billingList: contract rows of a phone", billingList),
		},
	}
}

// billingCall is one billing subcommand taking a single argument.
func billingCall(name, arg, usage string, call func(context.Context, *billing.Client, string) (any, error)) *cli.Command {
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: arg,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return reconcile.Errorf(reconcile.ErrInvalid, "usage: yardsync billing %s %s", name, arg)
			}
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			_, client, err := openBilling(c.Context, e.cfg.Billing, nil)
			if err != nil {
				return err
			}
			defer client.Close()
			out, err := call(c.Context, client, c.Args().First())
			if err != nil {
				return err
			}
			return json.NewEncoder(e.stdout).Encode(out)
		},
	}
}

func billingUIDs(ctx context.Context, c *billing.Client, phone string) (any, error) {
	uids, err := c.UIDs(ctx, phone)
	if uids == nil {
		uids = []int64{}
	}
	return map[string][]int64{"uids": uids}, err
}

func billingCams(ctx context.Context, c *billing.Client, arg string) (any, error) {
	uid, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return nil, reconcile.Errorf(reconcile.ErrInvalid, "uid %q is not a number", arg)
	}
	return c.Cams(ctx, uid)
}

func billingList(ctx context.Context, c *billing.Client, phone string) (any, error) {
	rows, err := c.List(ctx, phone)
	if rows == nil {
		rows = []reconcile.BillingRow{}
	}
	return map[string][]reconcile.BillingRow{"contracts": rows}, err
}

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
			probes := append([]billing.Probe{checkStore(c.Context, e.cfg.Store.DSN), checkGuard(c.Context, e.cfg.Store.DSN)},
				checkBilling(c.Context, e.cfg.Billing, c.String("phone"), c.Int64("uid"))...)
			probes = append(probes, e.checkPanels(c.Context)...)
			return reportProbes(e.stdout, probes, c.Bool("json"))
		},
	}
}

// checkStore connects to the store and pings it.
func checkStore(ctx context.Context, dsn string) billing.Probe {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	db, err := store.Open(ctx, dsn)
	if err == nil {
		defer db.Close()
		if err = db.Ping(ctx); err == nil {
			err = db.CheckSchema(ctx)
		}
	}
	if err != nil {
		return billing.Probe{Query: "store", Status: "error", Detail: err.Error()}
	}
	return billing.Probe{Query: "store", Status: "ok", Detail: "connected"}
}

// checkGuard says whether the guard holds revocations now: the newest run it
// held, unless a later full run went through.
func checkGuard(ctx context.Context, dsn string) billing.Probe {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return billing.Probe{Query: "guard", Status: "skipped", Detail: "store not reachable"}
	}
	defer db.Close()
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

// checkBilling opens the billing and runs every configured query.
func checkBilling(ctx context.Context, cfg BillingConfig, phone string, uid int64) []billing.Probe {
	if cfg.Driver == "" {
		return []billing.Probe{{Query: "billing", Status: "skipped", Detail: "not configured (billing.driver is empty)"}}
	}
	_, client, err := openBilling(ctx, cfg, nil)
	if err != nil {
		return []billing.Probe{{Query: "billing", Status: "error", Detail: err.Error()}}
	}
	defer client.Close()
	head := billing.Probe{Query: "billing", Status: "ok", Detail: "driver " + cfg.Driver}
	return append([]billing.Probe{head}, client.Check(ctx, phone, uid)...)
}

// reportProbes prints one line per probe (or JSON) and fails on any problem.
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
