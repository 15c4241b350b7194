package billing_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"yardsync/billing"
	"yardsync/reconcile"
)

func TestCached(t *testing.T) {
	t.Parallel()
	dsn := postgresBilling(t)
	ctx := context.Background()
	stats := func(t *testing.T, cc *billing.Cached, hits, misses uint64) {
		t.Helper()
		if h, m := cc.Stats(); h != hits || m != misses {
			t.Errorf("Stats = %d hits, %d misses; want %d, %d", h, m, hits, misses)
		}
	}
	t.Run("HitsAndForget", func(t *testing.T) {
		t.Parallel()
		cc := billing.NewCached(open(t, billing.Config{Driver: "postgres", DSN: dsn, Queries: fixtureQueries(t, "postgres.yaml")}), 100, time.Minute)
		for _, p := range []string{"+7 (910) 123-45-67", "89101234567", "8-910-123-45-67"} {
			uids, err := cc.UIDs(ctx, p)
			if err != nil || !reflect.DeepEqual(uids, []int64{1001, 1002}) {
				t.Fatalf("UIDs(%q) = %v, %v", p, uids, err)
			}
		}
		stats(t, cc, 2, 1) // one phone however it is written
		if rows, err := cc.List(ctx, "89101234567"); err != nil || len(rows) != 2 {
			t.Errorf("List = %v, %v", rows, err)
		}
		stats(t, cc, 3, 1)
		cc.Forget(1002)
		_, _ = cc.UIDs(ctx, "89101234567")
		stats(t, cc, 3, 2)
		cc.Forget(5) // no such uid: nothing dropped
		cc.ForgetPhone("+79101234567")
		_, _ = cc.UIDs(ctx, "89101234567")
		stats(t, cc, 3, 3)
		_, _ = cc.UIDs(ctx, "89999999999") // found nothing: asked again next time
		_, _ = cc.UIDs(ctx, "89999999999")
		stats(t, cc, 3, 5)
	})
	t.Run("TTL", func(t *testing.T) {
		t.Parallel()
		cc := billing.NewCached(open(t, billing.Config{Driver: "postgres", DSN: dsn, Queries: fixtureQueries(t, "postgres.yaml")}), 100, 50*time.Millisecond)
		_, _ = cc.UIDs(ctx, "89101234567")
		time.Sleep(120 * time.Millisecond)
		_, _ = cc.UIDs(ctx, "89101234567")
		stats(t, cc, 0, 2)
	})
	t.Run("FailureNotCached", func(t *testing.T) {
		t.Parallel()
		cc := billing.NewCached(open(t, billing.Config{Driver: "postgres", DSN: dsn, Queries: billing.Queries{UIDs: "SELECT nope AS uid WHERE @phone <> ''"}}), 100, time.Minute)
		for range 2 {
			if _, err := cc.UIDs(ctx, "89101234567"); !errors.Is(err, reconcile.ErrUnavailable) {
				t.Fatalf("err = %v", err)
			}
		}
		stats(t, cc, 0, 2)
		if _, err := cc.UIDs(ctx, "abc"); !errors.Is(err, reconcile.ErrInvalid) {
			t.Errorf("invalid phone: err = %v", err)
		}
	})
	t.Run("Off", func(t *testing.T) {
		t.Parallel()
		cc := billing.NewCached(open(t, billing.Config{Driver: "postgres", DSN: dsn, Queries: fixtureQueries(t, "postgres.yaml")}), 0, time.Minute)
		_, _ = cc.UIDs(ctx, "89101234567")
		_, _ = cc.UIDs(ctx, "89101234567")
		cc.Forget(1001)
		stats(t, cc, 0, 2)
		if st, err := cc.Cams(ctx, 1001); err != nil || !st.CamsPaid {
			t.Errorf("Cams = %+v, %v", st, err)
		}
		if snap, err := cc.Snapshot(ctx); err != nil || len(snap) != 5 {
			t.Errorf("Snapshot = %v, %v", snap, err)
		}
	})
}
