package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"yardsync/reconcile"
	"yardsync/store"
)

func reconcileCommand() *cli.Command {
	return &cli.Command{
		Name:  "reconcile",
		Usage: "run one reconcile now (exit 0 ok, 1 failed, 2 partial or guarded)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "print the plan per panel and change nothing"},
			&cli.Int64Flag{Name: "uid", Usage: "reconcile one contract only"},
			&cli.IntFlag{Name: "panel", Usage: "reconcile one panel only (a device id), e.g. after it was replaced"},
			&cli.BoolFlag{Name: "force", Usage: "apply deletions even when the max_revoke guard trips"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON line (with --dry-run: the plan)"},
			&cli.DurationFlag{Name: "lock-wait", Value: time.Minute, Usage: "how long to wait for a run of another instance"},
		},
		Action: runReconcile,
	}
}

func runReconcile(c *cli.Context) error {
	e, err := newEnv(c)
	if err != nil {
		return err
	}
	if c.Int64("uid") < 0 {
		return fmt.Errorf("--uid %d: want a positive contract uid", c.Int64("uid"))
	}
	if c.Int("panel") < 0 || c.Int("panel") > 0 && c.Int64("uid") != 0 {
		return fmt.Errorf("--panel %d: want one positive device id, and not with --uid", c.Int("panel"))
	}
	db, err := e.openMigratedStore(c.Context)
	if err != nil {
		return err
	}
	defer db.Close()
	if id := c.Int("panel"); id != 0 {
		if err := checkPanelID(c.Context, db, id); err != nil {
			return err
		}
	}
	cached, _, err := openBilling(c.Context, e.cfg.Billing, nil)
	if err != nil {
		return err
	}
	defer cached.Close()
	obs := &progress{quiet: c.Bool("json") || c.Bool("dry-run") || !isTerminal(c.App.ErrWriter), w: c.App.ErrWriter}
	runner := e.recording(e.newRunner(db, cached.Client(), obs, c.Duration("lock-wait")), db)
	req := reconcile.Request{Trigger: "cli", Force: c.Bool("force"), DryRun: c.Bool("dry-run")}
	req.Panel = c.Int("panel")
	if uid := c.Int64("uid"); uid != 0 {
		req.UIDs, req.Named = []int64{uid}, true
	}
	res, err := runner.Run(c.Context, req)
	obs.finish()
	if err != nil {
		return err
	}
	if err := printResult(e.stdout, res, c.Bool("dry-run"), c.Bool("json")); err != nil {
		return err
	}
	return exitFor(res)
}

// checkPanelID makes a --panel that names no active panel a usage error
// before any run starts, so no failed run is recorded for a typo.
func checkPanelID(ctx context.Context, db *store.DB, id int) error {
	devices, err := db.DevicesByID(ctx, []int{id})
	if err != nil {
		return err
	}
	why := "there is no such device"
	for _, d := range devices {
		if _, ok := d.Panel(); ok {
			return nil
		}
		why = "an active panel is a device of type 1 or 2 with is_active, a panelip and a paneltype of 1 (Beward) or 2 (Sokol)"
	}
	return cli.Exit(fmt.Sprintf("--panel %d: device %d is not an active panel (%s); `yardsync panels` lists the panels", id, id, why), exitUsage)
}

// jsonSummary is the --json line: the summary, the access states the run
// changed, and why a failed run failed.
type jsonSummary struct {
	reconcile.Summary
	AccessChanges int    `json:"access_changes"`
	CallsOff      int    `json:"calls_off,omitempty"` // flats whose calls were turned off (reconcile.block_calls)
	CallsOn       int    `json:"calls_on,omitempty"`  // and put back as found
	Error         string `json:"error,omitempty"`
}

func printResult(w io.Writer, res reconcile.Result, dry, asJSON bool) error {
	switch {
	case dry && res.Error != "" && asJSON:
		// A run that failed as a whole has no plan to show: only why.
		return json.NewEncoder(w).Encode(map[string]string{"status": res.Status, "error": res.Error})
	case dry && res.Error != "":
		fmt.Fprintf(w, "run failed, no plan: %s\n", res.Error)
		return nil
	case dry && asJSON:
		return json.NewEncoder(w).Encode(res.Plan)
	case dry:
		printPlan(w, res)
		return nil
	case asJSON:
		changes := len(res.Plan.Access) + len(res.Plan.AccessGone)
		return json.NewEncoder(w).Encode(jsonSummary{Summary: res.Summary, AccessChanges: changes, Error: res.Error,
			CallsOff: res.CallsOff, CallsOn: res.CallsOn})
	}
	fmt.Fprintf(w, "run %d: %s; panels %d (failed %d); added %d, rebound %d, deleted %d; guarded %t; access changes %d\n",
		res.RunID, res.Status, res.Panels, res.FailedPanels, res.Added, res.Rebound, res.Deleted, res.Guarded,
		len(res.Plan.Access)+len(res.Plan.AccessGone))
	if res.CallsOff+res.CallsOn > 0 {
		fmt.Fprintf(w, "calls: %d flats turned off, %d put back as found\n", res.CallsOff, res.CallsOn)
	}
	for _, uid := range res.Plan.Duplicates {
		fmt.Fprintf(w, "contract %d: several billing rows, its panels left as they are\n", uid)
	}
	printGuard(w, res.Plan)
	if res.Error != "" {
		fmt.Fprintf(w, "error: %s\n", res.Error)
		printHint(w, 0, res.Error)
	}
	for _, id := range slices.Sorted(maps.Keys(res.Failed)) {
		fmt.Fprintf(w, "panel %d failed: %s\n", id, res.Failed[id])
		printHint(w, id, res.Failed[id])
	}
	for _, id := range slices.Sorted(maps.Keys(res.Yielded)) {
		fmt.Fprintf(w, "panel %d left to a newer run that wrote it; the next run plans it again\n", id)
	}
	return nil
}

// printGuard says what held a guarded run's deletions, and what to do.
func printGuard(w io.Writer, p reconcile.Plan) {
	if !p.Guarded || p.Guard == nil {
		return
	}
	msg := p.Guard.String()
	fmt.Fprintf(w, "guard: %s: deletions held\n", msg)
	printHint(w, 0, msg)
}

func printPlan(w io.Writer, res reconcile.Result) {
	res.Plan.Table(w)
	if res.Plan.Guarded && res.Plan.Guard != nil {
		printHint(w, 0, res.Plan.Guard.String())
	}
	if len(res.Failed) > 0 {
		fmt.Fprintf(w, "\npanels not read (%d):\n", len(res.Failed))
		for _, id := range slices.Sorted(maps.Keys(res.Failed)) {
			fmt.Fprintf(w, "  %d\t%s\n", id, res.Failed[id])
			printHint(w, id, res.Failed[id])
		}
	}
}

// exitFor maps a run's status to the exit status DESIGN.md promises.
func exitFor(res reconcile.Result) error {
	switch res.Status {
	case reconcile.StatusOK:
		return nil
	case reconcile.StatusFailed:
		return cli.Exit("", 1)
	}
	return cli.Exit("", 2)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress draws a bar of panels done on a terminal.
type progress struct {
	quiet bool
	w     io.Writer
	bar   *progressbar.ProgressBar
	stage string
}

func (p *progress) RunDone(string, reconcile.Summary, time.Duration) {}
func (p *progress) PanelOp(int, string, error)                       {}
func (p *progress) Duplicates(int)                                   {}

// Progress draws one bar per stage: a spinner while waiting for another
// instance's run, then the panels read, then the panels written.
func (p *progress) Progress(stage string, done, total int) {
	if p.quiet {
		return
	}
	if p.bar == nil || stage != p.stage {
		p.finish()
		p.stage = stage
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(stage),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	}
	_ = p.bar.Set(done)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
