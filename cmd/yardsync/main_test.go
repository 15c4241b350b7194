package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"yardsync/reconcile"
)

func TestCLIBasics(t *testing.T) {
	run := func(args ...string) (stdout, stderr string, code int) {
		var out, errOut bytes.Buffer
		err := Run(context.Background(), append([]string{"yardsync"}, args...), &out, &errOut)
		if err != nil {
			code = exitCode(err)
			errOut.WriteString(err.Error())
		}
		return out.String(), errOut.String(), code
	}
	t.Run("Version", func(t *testing.T) {
		out, _, code := run("--version")
		if code != 0 || !strings.HasPrefix(out, "yardsync version ") || strings.TrimSpace(strings.TrimPrefix(out, "yardsync version ")) == "" {
			t.Fatalf("got %q exit %d", out, code)
		}
	})
	t.Run("ErrUnknownCommand", func(t *testing.T) {
		_, errOut, code := run("frobnicate")
		if code != exitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) || !strings.Contains(errOut, "--help") {
			t.Fatalf("got %q exit %d, want exit 3 naming the command and --help", errOut, code)
		}
	})
	t.Run("NoConfigFileSaysSo", func(t *testing.T) {
		_, errOut, code := run("reconcile", "--uid", "-1")
		if code != 1 || !strings.Contains(errOut, "no config file found") || !strings.Contains(errOut, "yardsync.yaml") {
			t.Fatalf("got %q exit %d, want a word that no config file was found", errOut, code)
		}
	})
}

// A command's promised status survives the context a caller wraps around it.
func TestExitCode(t *testing.T) {
	partial := cli.Exit("", 2)
	for _, c := range []struct {
		name string
		err  error
		want int
	}{
		{"ExitCoder", partial, 2},
		{"Wrapped", fmt.Errorf("reconcile: %w", partial), 2},
		{"WrappedTwice", fmt.Errorf("serve: %w", fmt.Errorf("run: %w", cli.Exit("usage", exitUsage))), exitUsage},
		{"Joined", errors.Join(errors.New("close"), partial), 2},
		{"Plain", errors.New("store unreachable"), 1},
	} {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", c.name, c.err, got, c.want)
		}
	}
}

func TestJSONLogDurations(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("run finished", slog.Duration("took", 1500*time.Millisecond))
	if !strings.Contains(buf.String(), `"took":1.5`) {
		t.Fatalf("got %s, want took in seconds", buf.String())
	}
}

// The progress bar shows each stage: waiting for another run, reading the
// panels, writing them.
func TestProgressStages(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf}
	p.Progress(reconcile.StageLock, 0, -1)
	p.Progress(reconcile.StageRead, 1, 2)
	p.Progress(reconcile.StageRead, 2, 2)
	p.Progress(reconcile.StageWrite, 1, 3)
	p.finish()
	for _, stage := range []string{reconcile.StageLock, reconcile.StageRead, reconcile.StageWrite} {
		if !strings.Contains(buf.String(), stage) {
			t.Errorf("no %q in %q", stage, buf.String())
		}
	}
}
