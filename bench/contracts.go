package bench

import (
	"context"
	"errors"
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

// SetPaidMany changes cams_paid of several contracts in one statement, so
// the billing changes them at one instant.
func (w *World) SetPaidMany(ctx context.Context, paid map[int64]bool) error {
	uids, states := make([]int64, 0, len(paid)), make([]bool, 0, len(paid))
	for uid, p := range paid {
		uids, states = append(uids, uid), append(states, p)
	}
	conn, err := pgx.Connect(ctx, w.billCfg.DSN)
	if err != nil {
		return fmt.Errorf("bench: billing: %w", err)
	}
	defer conn.Close(ctx)
	query := `
		UPDATE contracts SET cams_paid = v.paid
		FROM unnest($1::int8[], $2::bool[]) AS v(uid, paid) WHERE contracts.uid = v.uid`
	_, err = conn.Exec(ctx, query, uids, states)
	return err
}

// Lapsed returns an open contract behind panel i (in Sim order) that has
// not paid and whose flat a panel can take: paying again, it gets its keys
// there. 0 when the panel has none.
func (w *World) Lapsed(ctx context.Context, i int) (int64, error) {
	conn, err := pgx.Connect(ctx, w.billCfg.DSN)
	if err != nil {
		return 0, fmt.Errorf("bench: billing: %w", err)
	}
	defer conn.Close(ctx)
	first := int64(i*w.Scale.ContractsPerPanel + 1)
	query := `
		SELECT uid FROM contracts
		WHERE cams_open AND NOT cams_paid AND flat ~ '^[1-9][0-9]{0,3}$' AND uid BETWEEN $1 AND $2
		ORDER BY uid LIMIT 1`
	var uid int64
	err = conn.QueryRow(ctx, query, first, first+int64(w.Scale.ContractsPerPanel)-1).Scan(&uid)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return uid, err
}

// PayersOf are the active contracts behind panel i (in Sim order), in uid order.
func (w *World) PayersOf(i int) []int64 {
	var out []int64
	for _, uid := range w.Layout.Active {
		if w.PanelOf(uid) == i {
			out = append(out, uid)
		}
	}
	return out
}
