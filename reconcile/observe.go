package reconcile

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// ContractsReader is a billing that can read the snapshot rows of a few
// contracts only; a targeted run uses it when the billing offers it.
type ContractsReader interface {
	SnapshotOf(ctx context.Context, uids []int64) ([]Contract, error)
}

// observeContract reads what a targeted run for uid needs: the contract, the
// contracts sharing one of its key codes (they compete for the same panel
// slots), their rights and keys, every device and door, and the ownership
// records of those codes.
func (r *Runner) observeContract(ctx context.Context, uid int64) (Inputs, []OwnedKey, error) {
	var in Inputs
	var err error
	if in.Keys, err = r.Store.KeysSharing(ctx, uid); err != nil {
		return in, nil, fmt.Errorf("read store, nothing changed: %w", err)
	}
	uids := slices.Sorted(maps.Keys(in.Keys))
	if !slices.Contains(uids, uid) {
		uids = append(uids, uid)
	}
	if in.Contracts, err = r.contractsOf(ctx, uids); err != nil {
		return in, nil, fmt.Errorf("billing snapshot, nothing changed: %w", err)
	}
	var owned []OwnedKey
	steps := []func() error{
		func() (err error) { in.Devices, err = r.Store.Devices(ctx); return err },
		func() (err error) { in.Doors, err = r.Store.Doors(ctx); return err },
		func() (err error) { in.Rights, err = r.Store.RightsOf(ctx, uids); return err },
		func() (err error) { owned, err = r.Store.OwnedKeysOf(ctx, uid, in.Keys[uid]); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return in, nil, fmt.Errorf("read store, nothing changed: %w", err)
		}
	}
	return in, owned, nil
}

func (r *Runner) contractsOf(ctx context.Context, uids []int64) ([]Contract, error) {
	if cr, ok := r.Billing.(ContractsReader); ok {
		return cr.SnapshotOf(ctx, uids)
	}
	all, err := r.Billing.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(c Contract) bool { return !slices.Contains(uids, c.UID) }), nil
}
