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

// TestContractsReaching: a contract reaches a panel by its own right or by
// a lock whose door names the panel as its cam; others are not listed.
func TestContractsReaching(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	add := func(uuid string, typ int) int {
		t.Helper()
		id, err := db.AddDevice(ctx, reconcile.Device{UUID: uuid, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	panel := add("8ee703fe-5e92-4f6e-a6bb-e194a8825b01", reconcile.TypeCam)
	other := add("8ee703fe-5e92-4f6e-a6bb-e194a8825b02", reconcile.TypeCam)
	lock := add("8ee703fe-5e92-4f6e-a6bb-e194a8825b03", reconcile.TypeLock)
	if _, _, err := db.AddDoor(ctx, reconcile.Door{DeviceID: lock, Cam: panel, Open: "GET"}); err != nil {
		t.Fatal(err)
	}
	for uid, devices := range map[int64][]int{1: {panel}, 2: {lock}, 3: {other}, 4: {panel, other}} {
		if err := db.AddRights(ctx, uid, devices); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.ContractsReaching(ctx, []int{panel})
	want := map[int64][]int{1: {panel}, 2: {panel}, 4: {panel}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v %v, want %v", got, err, want)
	}
}
