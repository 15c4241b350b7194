package reconcile_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// faultyStore is the real store with chosen bookkeeping steps failing.
type faultyStore struct {
	reconcile.Store
	claim, forget, access, finish error
}

func (f faultyStore) ClaimKeys(ctx context.Context, keys []reconcile.OwnedKey, sent bool) error {
	if f.claim != nil && len(keys) > 0 {
		return f.claim
	}
	return f.Store.ClaimKeys(ctx, keys, sent)
}

func (f faultyStore) ForgetGone(ctx context.Context, id int, codes []string, settle time.Duration) ([]int64, error) {
	if f.forget != nil && len(codes) > 0 {
		return nil, f.forget
	}
	return f.Store.ForgetGone(ctx, id, codes, settle)
}

func (f faultyStore) ApplyAccess(ctx context.Context, set, gone []reconcile.Access) error {
	if f.access != nil {
		return f.access
	}
	return f.Store.ApplyAccess(ctx, set, gone)
}

func (f faultyStore) FinishRun(ctx context.Context, s reconcile.Summary, errText string, report any) error {
	if f.finish != nil {
		return f.finish
	}
	return f.Store.FinishRun(ctx, s, errText, report)
}

// The store's bookkeeping steps failing never lose a revocation or push a
// key yardsync does not own.
func TestStoreStepFailures(t *testing.T) {
	t.Parallel()
	down := errors.New("store connection lost")
	t.Run("ClaimFailsNoPush", func(t *testing.T) {
		w := newWorld(t, "sokol", 1)
		w.contract(501, "5", true, true, "0000000000EF01", 0)
		w.runner.Store = faultyStore{Store: w.db, claim: down}
		res := w.run(reconcile.Request{})
		if res.Status == reconcile.StatusOK || w.keys(0) != "" || len(writes(w.fleet.Panel(0))) != 0 {
			t.Fatalf("got %+v, panel %q, writes %v: a key must not be pushed unrecorded", res.Summary, w.keys(0), writes(w.fleet.Panel(0)))
		}
	})
	t.Run("ForgetFailsKeepsRecord", func(t *testing.T) {
		w := newWorld(t, "sokol", 1)
		w.contract(501, "5", true, true, "0000000000EF02", 0)
		w.run(reconcile.Request{})
		w.exec(`UPDATE contracts SET cams_paid = false`)
		w.runner.Store = faultyStore{Store: w.db, forget: down}
		res := w.run(reconcile.Request{UIDs: []int64{501}, Named: true})
		owned, _ := w.db.OwnedKeys(bg)
		if res.Status == reconcile.StatusOK || w.keys(0) != "" || len(owned) != 1 {
			t.Fatalf("got %+v, panel %q, owned %v: the key is gone, its record stays until it can be dropped", res.Summary, w.keys(0), owned)
		}
		w.runner.Store = w.db
		if res := w.run(reconcile.Request{}); res.Status != reconcile.StatusOK {
			t.Fatalf("the next run: %+v", res.Summary)
		}
		if owned, _ := w.db.OwnedKeys(bg); len(owned) != 0 {
			t.Fatalf("owned %v after the store came back, want none", owned)
		}
	})
	t.Run("AccessFails", func(t *testing.T) {
		w := newWorld(t, "sokol", 1)
		w.contract(501, "5", true, true, "0000000000EF03", 0)
		w.runner.Store = faultyStore{Store: w.db, access: down}
		res := w.run(reconcile.Request{})
		if res.Status != reconcile.StatusFailed || !strings.Contains(res.Error, down.Error()) || res.Added != 1 {
			t.Fatalf("got %+v: failed, naming the store, counting the add that happened", res)
		}
	})
	t.Run("FinishFailsLogged", func(t *testing.T) {
		w := newWorld(t, "sokol", 1)
		var buf lockedBuffer
		w.runner.Log = slog.New(slog.NewTextHandler(&buf, nil))
		w.runner.Store = faultyStore{Store: w.db, finish: down}
		res := w.run(reconcile.Request{})
		if res.RunID == 0 || !strings.Contains(buf.String(), "run not recorded") {
			t.Fatalf("got %+v, log %q: the run's result is returned and its lost record logged", res.Summary, buf.String())
		}
	})
}

func writes(p *panelsim.Panel) []panelsim.Request {
	var out []panelsim.Request
	for _, r := range p.Requests() {
		if r.Write {
			out = append(out, r)
		}
	}
	return out
}
