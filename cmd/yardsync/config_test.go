package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "yardsync.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func noEnv(string) string { return "" }

func TestLoadConfig(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		cfg, err := LoadConfig(filepath.Join(t.TempDir(), "absent.yaml"), false, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Reconcile.Concurrency != 64 || cfg.Billing.CacheTTL != 5*time.Minute || cfg.Panels.Port != 80 || cfg.API.SyncWait != 10*time.Second {
			t.Fatalf("got %+v", cfg)
		}
	})
	t.Run("EnvOverridesSecrets", func(t *testing.T) {
		env := map[string]string{"YARDSYNC_STORE_DSN": "postgres:///x", "YARDSYNC_API_TOKENS": " token-a-of-16-chars, token-b-of-16-chars ,", "YARDSYNC_BILLING_DSN": "root@tcp(h)/b"}
		path := writeConfig(t, "billing:\n  driver: mysql\n")
		cfg, err := LoadConfig(path, true, func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Store.DSN != "postgres:///x" || len(cfg.API.Tokens) != 2 || cfg.API.Tokens[1] != (APIToken{Token: "token-b-of-16-chars"}) || cfg.Billing.DSN != "root@tcp(h)/b" {
			t.Fatalf("got %+v", cfg)
		}
	})
	t.Run("BewardUpdate", func(t *testing.T) {
		cfg, err := LoadConfig(writeConfig(t, "panels:\n  beward_update: true\n"), true, noEnv)
		if err != nil || !cfg.Panels.BewardUpdate || DefaultConfig().Panels.BewardUpdate {
			t.Fatalf("got %+v, %v: want beward_update read, and false by default", cfg.Panels, err)
		}
	})
	t.Run("AkuvoxPause", func(t *testing.T) {
		cfg, err := LoadConfig(writeConfig(t, "panels:\n  akuvox_pause: 250ms\n"), true, noEnv)
		if err != nil || cfg.Panels.AkuvoxPause != 250*time.Millisecond || DefaultConfig().Panels.AkuvoxPause != 0 {
			t.Fatalf("got %+v, %v: want akuvox_pause read, and 0 (1 s) by default", cfg.Panels, err)
		}
		if _, err := LoadConfig(writeConfig(t, "panels:\n  akuvox_pause: -1s\n"), true, noEnv); err == nil || !strings.Contains(err.Error(), "panels.akuvox_pause") {
			t.Errorf("a negative pause: got %v, want it named", err)
		}
	})
	t.Run("ChangesOverlap", func(t *testing.T) {
		if got := DefaultConfig().Billing.ChangesOverlap; got != 2*time.Minute {
			t.Fatalf("default billing.changes_overlap %s, want 2m", got)
		}
		for text, want := range map[string]time.Duration{"30s": 30 * time.Second, "0s": 0, "1h": time.Hour} {
			cfg, err := LoadConfig(writeConfig(t, "billing:\n  changes_overlap: "+text+"\n"), true, noEnv)
			if err != nil || cfg.Billing.ChangesOverlap != want {
				t.Fatalf("changes_overlap: %s: got %s, %v, want %s", text, cfg.Billing.ChangesOverlap, err, want)
			}
		}
	})
	bad := []struct{ name, text, want string }{
		{"ErrUnknownKey", "reconcile:\n  concurrenzy: 3\n", "reconcile.concurrenzy: unknown key"},
		{"ErrDurationType", "reconcile:\n  panel_timeout: 3\n", "reconcile.panel_timeout (line 2): \"3\" is not a duration"},
		{"ErrIntType", "store:\n  dsn: x\nreconcile:\n  concurrency: many\n", "reconcile.concurrency (line 4): \"many\" is not a whole number"},
		{"ErrListType", "api:\n  tokens:\n    - [a]\n", "api.tokens[0] (line 3)"},
		{"ErrBoolType", "reconcile:\n  watch: yes please\n", "reconcile.watch (line 2)"},
		{"ErrListen", "api:\n  listen: nowhere\n", "api.listen"},
		{"ErrSyncWaitZero", "api:\n  sync_wait: 0s\n", "api.sync_wait"},
		{"ErrSyncWaitNegative", "api:\n  sync_wait: -1s\n", "api.sync_wait"},
		{"ErrAllow", "api:\n  allow: [10.0.0.0/33]\n", "api.allow"},
		{"ErrDriver", "billing:\n  driver: oracle\n", "billing.driver"},
		{"ErrDSNMissing", "billing:\n  driver: postgres\n", "billing.dsn"},
		{"ErrPathMissing", "billing:\n  driver: file\n", "billing.path"},
		{"ErrSchedule", "reconcile:\n  schedule: every minute\n", "reconcile.schedule"},
		{"ErrPrune", "reconcile:\n  prune: some\n", "reconcile.prune"},
		{"ErrMaxRevoke", "reconcile:\n  max_revoke: 1.5\n", "reconcile.max_revoke"},
		{"ErrWatch", "reconcile:\n  watch: 100ms\n", "reconcile.watch"},
		{"ErrLogRetention", "reconcile:\n  log_retention: 10m\n", "reconcile.log_retention"},
		{"ErrChangesOverlapNegative", "billing:\n  changes_overlap: -1m\n", "billing.changes_overlap: -1m0s is negative: want 0 or more"},
		{"ErrChangesOverlapType", "billing:\n  changes_overlap: 2\n", "billing.changes_overlap (line 2): \"2\" is not a duration"},
		{"ErrChangesNeedsSQL", "billing:\n  driver: file\n  path: x.yaml\n  queries:\n    changes: SELECT 1\n", "billing.queries.changes"},
		{"ErrMaxRevokeNaN", "reconcile:\n  max_revoke: .nan\n", "reconcile.max_revoke"},
		{"ErrMaxRevokeNegative", "reconcile:\n  max_revoke: -0.1\n", "reconcile.max_revoke"},
		{"ErrEmptyToken", "api:\n  tokens: [\"a-good-token-of-24-chars\", \"\"]\n", "api.tokens: entry 2 is empty"},
		{"ErrBlankToken", "api:\n  tokens: [\" \\u00a0\\t\"]\n", "api.tokens"},
		{"ErrAllowMappedPrefix", "api:\n  allow: [\"::ffff:10.0.0.0/104\"]\n", "api.allow"},
		{"ErrAllowMappedAddr", "api:\n  allow: [\"::ffff:192.0.2.15\"]\n", "api.allow"},
		{"ErrPort", "panels:\n  port: 70000\n", "panels.port"},
		{"ErrBewardUpdate", "panels:\n  beward_update: maybe\n", "panels.beward_update (line 2)"},
		{"ErrYAML", "api: [\n", "yardsync.yaml"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, c.text)
			_, err := LoadConfig(path, true, noEnv)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want an error naming %s and %q", err, path, c.want)
			}
		})
	}
	t.Run("ErrNamedFileMissing", func(t *testing.T) {
		if _, err := LoadConfig(filepath.Join(t.TempDir(), "absent.yaml"), true, noEnv); err == nil {
			t.Fatal("a missing --config file must be an error")
		}
	})
}
