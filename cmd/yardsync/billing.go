package main

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"yardsync/billing"
	"yardsync/reconcile"
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
