package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// exampleWith is yardsync.example.yaml with line n (1-based) replaced.
func exampleWith(t *testing.T, n int, line string) string {
	t.Helper()
	raw, err := os.ReadFile("../../yardsync.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	lines[n-1] = line
	return writeConfig(t, strings.Join(lines, "\n"))
}

// TestConfigMessages: an enum lists only real choices; an indentation
// mistake is reported at its own line, not at the start of its section; a
// schedule written "every 2m" is told to write "@every 2m".
func TestConfigMessages(t *testing.T) {
	cases := []struct {
		name, path string
		want, not  []string
	}{
		{"EnumChoices", writeConfig(t, "billing:\n  driver: mysq\n"),
			[]string{`billing.driver: "mysq" is not one of postgres, mysql, file`, "empty"}, []string{"of ,", ", ,"}},
		{"IndentDeeper", exampleWith(t, 33, `   listen: "127.0.0.1:8080"`), []string{"line 33", "3 spaces", "2"}, []string{"line 20"}},
		{"IndentShallower", exampleWith(t, 33, ` listen: "127.0.0.1:8080"`), []string{"line 33", "1 space"}, []string{"line 32"}},
		{"IndentDeeperAfterValue", exampleWith(t, 113, `   phone_prefix: "8"`), []string{"line 113"}, []string{"line 86"}},
		{"Tab", exampleWith(t, 33, "\tlisten: \"127.0.0.1:8080\""), []string{"line 33", "tab"}, nil},
		{"ScheduleEvery", writeConfig(t, "reconcile:\n  schedule: \"every 2m\"\n"), []string{`reconcile.schedule: "every 2m"`, `write "@every 2m"`}, nil},
		{"ScheduleWords", writeConfig(t, "reconcile:\n  schedule: \"every minute\"\n"), []string{`"@every 5m"`, `"*/5 * * * *"`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig(c.path, true, noEnv)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("%q has %q", err, n)
				}
			}
		})
	}
	t.Run("ExampleLoads", func(t *testing.T) {
		if _, err := LoadConfig("../../yardsync.example.yaml", true, noEnv); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConfigIndentEveryLine: any one line of yardsync.example.yaml moved
// one space in or out either still loads (YAML that means the same) or is
// reported at that line.
func TestConfigIndentEveryLine(t *testing.T) {
	raw, err := os.ReadFile("../../yardsync.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	reported := 0
	for i, l := range lines {
		body := strings.TrimLeft(l, " ")
		if body == "" || body[0] == '#' {
			continue
		}
		for _, shift := range []int{1, -1} {
			ind := len(l) - len(body) + shift
			if ind < 0 {
				continue
			}
			path := exampleWith(t, i+1, strings.Repeat(" ", ind)+body)
			_, err := LoadConfig(path, true, noEnv)
			if err == nil {
				continue
			}
			reported++
			if want := fmt.Sprintf("config %s: line %d: ", path, i+1); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("line %d moved %+d: got %q, want it reported at line %d", i+1, shift, err, i+1)
			}
		}
	}
	if reported < 20 {
		t.Fatalf("only %d moved lines were errors: the test moved too little", reported)
	}
}

// TestConfigBlockCalls: reconcile.block_calls is off by default, read as a
// boolean, and anything else is an error naming the key.
func TestConfigBlockCalls(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, "reconcile:\n  schedule: \"@every 5m\"\n"), true, noEnv)
	if err != nil || cfg.Reconcile.BlockCalls {
		t.Fatalf("default: got %t %v, want off", cfg.Reconcile.BlockCalls, err)
	}
	cfg, err = LoadConfig(writeConfig(t, "reconcile:\n  block_calls: true\n"), true, noEnv)
	if err != nil || !cfg.Reconcile.BlockCalls {
		t.Fatalf("got %t %v, want on", cfg.Reconcile.BlockCalls, err)
	}
	_, err = LoadConfig(writeConfig(t, "reconcile:\n  block_calls: maybe\n"), true, noEnv)
	if err == nil || !strings.Contains(err.Error(), "block_calls") {
		t.Fatalf("got %v, want an error naming block_calls", err)
	}
}
