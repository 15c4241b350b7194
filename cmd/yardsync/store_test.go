package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"yardsync/store"
)

// TestNewerStoreRefused: a store a newer yardsync migrated is refused by
// migrate, reconcile and serve, with the store's and this binary's
// migration versions in the message, and none of them writes a thing.
func TestNewerStoreRefused(t *testing.T) {
	in := newInstall(t, 1)
	if _, code := in.cli("migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	newest := store.NewestMigration()
	in.storeExec(`INSERT INTO yardsync_schema_version (version_id, is_applied) VALUES ($1, true)`, newest+3)
	want := []string{fmt.Sprintf("at migration %d", newest+3), fmt.Sprintf("up to %d", newest), "newer yardsync"}
	for _, args := range [][]string{{"migrate"}, {"reconcile"}, {"reconcile", "--dry-run"}} {
		out, code := in.cli(args...)
		for _, w := range want {
			if code != 1 || !strings.Contains(out, w) {
				t.Errorf("%v: got %q exit %d, want exit 1 and %q", args, out, code, w)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Run(ctx, []string{"yardsync", "--config", in.config, "serve"}, &bytes.Buffer{}, &bytes.Buffer{})
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("serve: got %v, want a refusal with %q", err, w)
		}
	}
	var runs int
	in.storeQuery(`SELECT count(*) FROM yardsync_runs`, []any{&runs})
	if runs != 0 {
		t.Errorf("%d runs recorded on the refused store, want none", runs)
	}
}
