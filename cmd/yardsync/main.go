// Command yardsync keeps SmartYard intercom panels and database true to the
// provider's billing, and serves the /bill/api management calls.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args, os.Stdout, os.Stderr); err != nil {
		if msg := err.Error(); msg != "" { // a bare exit status (reconcile: 2) has said everything already
			fmt.Fprintln(os.Stderr, "yardsync:", msg)
		}
		os.Exit(exitCode(err))
	}
}

// Run is the whole command line, testable without a process. It is not safe
// for concurrent use (urfave/cli applies its global help flag on every run),
// so tests in this package call it one at a time.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	app := &cli.App{
		Name:      "yardsync",
		Usage:     "keep SmartYard intercom panels and database true to the billing",
		Writer:    stdout,
		ErrWriter: stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Value: "yardsync.yaml", EnvVars: []string{"YARDSYNC_CONFIG"}, Usage: "configuration `FILE`"},
			&cli.StringFlag{Name: "log-format", Value: "text", EnvVars: []string{"YARDSYNC_LOG_FORMAT"}, Usage: "text or json"},
			&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: []string{"YARDSYNC_LOG_LEVEL"}, Usage: "debug, info, warn or error"},
		},
		Commands:       commands(),
		Version:        buildVersion(),
		Action:         unknownCommand,
		ExitErrHandler: func(*cli.Context, error) {}, // main decides the exit status
	}
	return app.RunContext(ctx, args)
}

// exitUsage is the status of a command line yardsync cannot run: an unknown
// command, or none at all.
const exitUsage = 3

// unknownCommand runs when no command matched: it lists the commands.
func unknownCommand(c *cli.Context) error {
	if !c.Args().Present() {
		return cli.ShowAppHelp(c)
	}
	return cli.Exit(fmt.Sprintf("unknown command %q; `yardsync --help` lists the commands", c.Args().First()), exitUsage)
}

// exitCode maps an error to the process status; commands that promise a
// specific status (reconcile: 2 for partial) return a cli.ExitCoder, which
// keeps its status when wrapped.
func exitCode(err error) int {
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return 1
}

// env is the wiring every command shares: the loaded config and the logger.
type env struct {
	cfg    Config
	log    *slog.Logger
	stdout io.Writer
}

// newEnv loads the configuration named by --config and sets up logging.
func newEnv(c *cli.Context) (*env, error) {
	cfg, err := LoadConfig(c.String("config"), c.IsSet("config"), os.Getenv)
	if err != nil {
		return nil, err
	}
	log, err := newLogger(c.App.ErrWriter, c.String("log-format"), c.String("log-level"))
	if err != nil {
		return nil, err
	}
	if path := c.String("config"); !c.IsSet("config") {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			log.Warn("no config file found: using the built-in defaults; name one with --config FILE or YARDSYNC_CONFIG",
				slog.String("looked_for", path))
		}
	}
	return &env{cfg: cfg, log: log, stdout: c.App.Writer}, nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		opts.ReplaceAttr = secondsForDurations
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// secondsForDurations writes durations in JSON logs as seconds (took: 0.25),
// not the nanoseconds slog's JSON handler would print.
func secondsForDurations(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, a.Value.Duration().Seconds())
	}
	return a
}
