package store_test

import (
	"errors"
	"strings"
	"testing"

	"yardsync/reconcile"
	"yardsync/store/storetest"
)

// TestNoRowPaths covers the reads whose "no row" is an answer, not a failure.
func TestNoRowPaths(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	cam, err := db.AddDevice(ctx, reconcile.Device{UUID: "1ee703fe-5e92-4f6e-a6bb-e194a8825be4", Type: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("RightsOfANewUID", func(t *testing.T) {
		if err := db.DeleteRights(ctx, 4001, []int{cam}); err != nil {
			t.Fatalf("delete from a uid without rights: %v", err)
		}
		if err := db.AddRights(ctx, 4002, []int{cam}); err != nil {
			t.Fatalf("first right of a uid: %v", err)
		}
		if got, err := db.Rights(ctx, 4002); err != nil || len(got) != 1 || got[0].DeviceID != cam {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("ErrDoorOfUnknownDevice", func(t *testing.T) {
		_, _, err := db.AddDoor(ctx, reconcile.Door{DeviceID: 999, Cam: cam, Open: "http://x/open"})
		if !errors.Is(err, reconcile.ErrUnprocessable) || !strings.Contains(err.Error(), "device_id 999: no such device") {
			t.Fatalf("got %v, want unprocessable naming the device", err)
		}
		if doors, err := db.Doors(ctx); err != nil || len(doors) != 0 {
			t.Fatalf("doors %v, %v: want none written", doors, err)
		}
	})
}
