package bench

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

// BillingDSN is the world's billing database, for a yardsync process of its own.
func (w *World) BillingDSN() string { return w.billCfg.DSN }

// SetPaid changes a contract's cams_paid in the billing, as the billing's
// own screens would: no call to yardsync.
func (w *World) SetPaid(ctx context.Context, uid int64, paid bool) error {
	conn, err := pgx.Connect(ctx, w.billCfg.DSN)
	if err != nil {
		return fmt.Errorf("bench: billing: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `UPDATE contracts SET cams_paid = $2 WHERE uid = $1`, uid, paid)
	return err
}

// PanelOf is the index (in Sim order) of the panel a generated contract lives behind.
func (w *World) PanelOf(uid int64) int { return int(uid-1) / w.Scale.ContractsPerPanel }

// KeysOf are a generated contract's key codes, normalised.
func (w *World) KeysOf(uid int64) []string {
	k := w.Scale.KeysPerContract
	out := make([]string, k)
	for j := range k {
		out[j] = reconcile.KeyCode(keyCode(uid, j, k))
	}
	return out
}

// Holds reports whether panel i holds every one of codes (want true) or
// none of them (want false).
func (w *World) Holds(i int, codes []string, want bool) bool {
	have := map[string]bool{}
	for _, k := range w.sims[i].Keys() {
		have[k.Code] = true
	}
	return !slices.ContainsFunc(codes, func(c string) bool { return have[c] != want })
}
