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
// slots), their rights and keys, the ownership records of those codes, and
// only the devices and doors these name, so the run's cost does not grow
// with the fleet.
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
	owned, err := r.observeDevices(ctx, uid, uids, &in)
	if err != nil {
		return in, nil, fmt.Errorf("read store, nothing changed: %w", err)
	}
	return in, owned, nil
}

// observeDevices reads the rights of uids, the ownership records of uid's
// codes, the doors of the locks in those rights, and every device any of
// them names (a panel holding an owned key must be read as a device, or its
// keys would look orphaned).
func (r *Runner) observeDevices(ctx context.Context, uid int64, uids []int64, in *Inputs) ([]OwnedKey, error) {
	var err error
	if in.Rights, err = r.Store.RightsOf(ctx, uids); err != nil {
		return nil, err
	}
	owned, err := r.Store.OwnedKeysOf(ctx, uid, in.Keys[uid])
	if err != nil {
		return nil, err
	}
	var ids []int
	for _, list := range in.Rights {
		ids = append(ids, list...)
	}
	if in.Doors, err = r.Store.DoorsOfLocks(ctx, ids); err != nil {
		return nil, err
	}
	for _, d := range in.Doors {
		ids = append(ids, d.Cam)
	}
	for _, k := range owned {
		ids = append(ids, k.DeviceID)
	}
	slices.Sort(ids)
	in.Devices, err = r.Store.DevicesByID(ctx, slices.Compact(ids))
	return owned, err
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
