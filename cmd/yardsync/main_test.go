package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
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
