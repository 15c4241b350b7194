package store_test

import (
	"reflect"
	"testing"
	"time"

	"yardsync/reconcile"
	"yardsync/store/storetest"
)

// TestCallRecords: a flat's record keeps what was found first, even when a
// later try records what it reads then (yardsync's own off); it is marked
// seen off, listed per device, and goes once the setting is back. The
// change log takes the two call operations.
func TestCallRecords(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	found := reconcile.CallSetting{Handset: true, Raw: "analog"}
	rec := reconcile.CallRecord{DeviceID: 3, Flat: 12, Found: found, UIDs: []int64{301}}
	if err := db.RecordCallsOff(ctx, rec); err != nil {
		t.Fatal(err)
	}
	again := rec
	again.Found, again.UIDs = reconcile.CallSetting{}, []int64{301, 302}
	if err := db.RecordCallsOff(ctx, again); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordCallsOff(ctx, reconcile.CallRecord{DeviceID: 4, Flat: 1}); err != nil {
		t.Fatal(err)
	}
	if err := db.CallsSeenOff(ctx, 3, 12); err != nil {
		t.Fatal(err)
	}
	got, err := db.CallRecords(ctx, []int{3})
	want := []reconcile.CallRecord{{DeviceID: 3, Flat: 12, Found: found, UIDs: []int64{301, 302}, Seen: true}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v %v, want %+v", got, err, want)
	}
	if err := db.ForgetCalls(ctx, 3, 12); err != nil {
		t.Fatal(err)
	}
	if got, err := db.CallRecords(ctx, []int{3, 4}); err != nil || len(got) != 1 || got[0].DeviceID != 4 {
		t.Fatalf("after forget: %+v %v", got, err)
	}
	t.Run("ErrFlat", func(t *testing.T) {
		if err := db.RecordCallsOff(ctx, reconcile.CallRecord{DeviceID: 3, Flat: 0}); err == nil {
			t.Fatal("flat 0 recorded")
		}
	})
	t.Run("ChangeLog", func(t *testing.T) {
		at := time.Now().UTC()
		err := db.RecordChanges(ctx, []reconcile.Change{{At: at, RunID: 1, DeviceID: 3, Op: reconcile.OpCallsOff, Flat: 12, UID: 301, Result: reconcile.ResultOK},
			{At: at, RunID: 2, DeviceID: 3, Op: reconcile.OpCallsOn, Flat: 12, UID: 301, Result: reconcile.ResultOK}})
		if err != nil {
			t.Fatal(err)
		}
		log, err := db.Changes(ctx, reconcile.ChangeFilter{UID: 301})
		if err != nil || len(log) != 2 {
			t.Fatalf("got %+v %v, want both call changes", log, err)
		}
	})
}
