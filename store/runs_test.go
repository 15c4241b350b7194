package store_test

import (
	"slices"
	"testing"

	"yardsync/reconcile"
	"yardsync/store/storetest"
)

func TestRecentRuns(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	first, err := db.StartRun(ctx, 0, "schedule", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := reconcile.Summary{RunID: first, Status: "partial", Panels: 3, FailedPanels: 1, Added: 2}
	if err := db.FinishRun(ctx, s, "1 panel failed", nil); err != nil {
		t.Fatal(err)
	}
	second, err := db.StartRun(ctx, 0, "api", []int64{42, 43})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.RecentRuns(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].RunID != second || got[1].RunID != first {
		t.Fatalf("got %+v, want runs %d then %d", got, second, first)
	}
	if got[0].Status != "running" || got[0].FinishedAt != nil || !slices.Equal(got[0].UIDs, []int64{42, 43}) || got[0].Trigger != "api" {
		t.Errorf("running run read as %+v", got[0])
	}
	if got[1].Summary != s || got[1].FinishedAt == nil || got[1].Error != "1 panel failed" || len(got[1].UIDs) != 0 {
		t.Errorf("finished run read as %+v, want %+v", got[1], s)
	}
	if one, err := db.RecentRuns(ctx, 1); err != nil || len(one) != 1 {
		t.Errorf("limit 1: %d runs, %v", len(one), err)
	}
}

func TestOwnedKeysOn(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	keys := []reconcile.OwnedKey{{DeviceID: 7, Code: "00000000000042", Flat: 3, UID: 5}, {DeviceID: 8, Code: "00000000000043", Flat: 4, UID: 6}}
	if err := db.ClaimKeys(ctx, keys, true); err != nil {
		t.Fatal(err)
	}
	got, err := db.OwnedKeysOn(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != keys[0] {
		t.Fatalf("got %+v, want only %+v", got, keys[0])
	}
}
