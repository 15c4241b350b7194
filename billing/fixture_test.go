package billing_test

import (
	"context"
	"reflect"
	"testing"

	"yardsync/billing"
	"yardsync/reconcile"
)

// fixtureCase is what a driver's billing fixture (testdata/billing) must
// answer: the same questions for every driver, each with its own data.
type fixtureCase struct {
	uids     map[string][]int64            // phone -> uids
	cams     map[int64]reconcile.CamsState // uid -> state
	lists    []listCase
	snapshot []reconcile.Contract
}

// listCase is one billingList question, run as a subtest of its name.
type listCase struct {
	name  string
	phone string
	want  []reconcile.BillingRow
}

// testFixture asks c every question of f, in parallel subtests.
func testFixture(t *testing.T, c *billing.Client, f fixtureCase) {
	t.Helper()
	ctx := context.Background()
	t.Run("UIDs", func(t *testing.T) {
		t.Parallel()
		for phone, want := range f.uids {
			got, err := c.UIDs(ctx, phone)
			if err != nil {
				t.Fatalf("UIDs(%q): %v", phone, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("UIDs(%q) = %v, want %v", phone, got, want)
			}
		}
	})
	t.Run("Cams", func(t *testing.T) {
		t.Parallel()
		for uid, want := range f.cams {
			got, err := c.Cams(ctx, uid)
			if err != nil {
				t.Fatalf("Cams(%d): %v", uid, err)
			}
			if got != want {
				t.Errorf("Cams(%d) = %+v, want %+v", uid, got, want)
			}
		}
	})
	for _, lc := range f.lists {
		t.Run(lc.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.List(ctx, lc.phone)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, lc.want) {
				t.Errorf("List(%q):\n got %+v\nwant %+v", lc.phone, got, lc.want)
			}
		})
	}
	t.Run("Snapshot", func(t *testing.T) {
		t.Parallel()
		got, err := c.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, f.snapshot) {
			t.Errorf("Snapshot:\n got %+v\nwant %+v", got, f.snapshot)
		}
	})
}
