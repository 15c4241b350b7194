package store_test

import (
	"reflect"
	"testing"

	"yardsync/reconcile"
	"yardsync/store/storetest"
)

func TestDeleteDeviceTombstone(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	add := func(uuid string, d reconcile.Device) int {
		d.UUID, d.Type, d.IsActive = uuid, 1, ptr(true)
		id, err := db.AddDevice(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	panel := add("00000000-0000-4000-8000-000000000001", reconcile.Device{PanelType: ptr(2), PanelIP: ptr("127.0.0.9"), PanelLogin: ptr("admin"), PanelPasswd: ptr("s3cret")})
	bare := add("00000000-0000-4000-8000-000000000002", reconcile.Device{}) // no address: cannot be dialled
	empty := add("00000000-0000-4000-8000-000000000003", reconcile.Device{PanelType: ptr(1), PanelIP: ptr("127.0.0.10")})
	if err := db.AddRights(ctx, 7, []int{panel}); err != nil {
		t.Fatal(err)
	}
	claims := []reconcile.OwnedKey{{DeviceID: panel, Code: "0000000000AA01", Flat: 1, UID: 8},
		{DeviceID: bare, Code: "0000000000AA02", Flat: 2, UID: 9}}
	if err := db.ClaimKeys(ctx, claims, true); err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		uids, err := db.DeleteDevice(ctx, panel)
		if err != nil || !reflect.DeepEqual(uids, []int64{7, 8}) {
			t.Fatalf("got %v %v, want the uid whose rights changed and the owner of its key", uids, err)
		}
		got, err := db.Tombstones(ctx)
		want := []reconcile.PanelDevice{{ID: panel, Family: 2, IP: "127.0.0.9", Login: "admin", Password: "s3cret"}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v %v, want %+v", got, err, want)
		}
		if err := db.DropTombstones(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Tombstones(ctx); len(got) != 1 {
			t.Fatalf("a tombstone with keys left went: %v", got)
		}
		if err := db.ForgetKeys(ctx, panel, []string{"0000000000AA01"}); err != nil {
			t.Fatal(err)
		}
		if err := db.DropTombstones(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Tombstones(ctx); len(got) != 0 {
			t.Fatalf("a cleaned tombstone stays: %v", got)
		}
	})
	t.Run("NoTombstone", func(t *testing.T) {
		for _, id := range []int{bare, empty} {
			if _, err := db.DeleteDevice(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		owned, _ := db.OwnedKeys(ctx)
		tombs, _ := db.Tombstones(ctx)
		if len(owned) != 0 || len(tombs) != 0 {
			t.Fatalf("owned %v, tombstones %v: want neither for a device that cannot be dialled or holds nothing", owned, tombs)
		}
	})
}

func TestApplyAccess(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	set := []reconcile.Access{{UID: 1, DeviceID: 10, State: 2}, {UID: 1, DeviceID: 11, State: 1}, {UID: 2, DeviceID: 10, State: 0}}
	if err := db.ApplyAccess(ctx, set, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyAccess(ctx, []reconcile.Access{{UID: 1, DeviceID: 10, State: 1}}, []reconcile.Access{{UID: 1, DeviceID: 11}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.AccessOf(ctx, []int64{1})
	if want := []reconcile.Access{{UID: 1, DeviceID: 10, State: 1}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v %v, want %v", got, err, want)
	}
	if all, _ := db.AccessOf(ctx, nil); len(all) != 2 {
		t.Fatalf("every contract: got %v", all)
	}
}
