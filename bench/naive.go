package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"yardsync/panels"
	"yardsync/reconcile"
)

// Naive is the baseline a simple script would be: walk the contracts, one
// billing query and one store read per contract, and push each contract's
// keys to its panels one request at a time. It keeps no bookkeeping and
// never deletes; it only shows what batching and concurrency buy.
func (w *World) Naive(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	conn, err := pgx.Connect(ctx, w.billCfg.DSN)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT uid FROM contracts ORDER BY uid`)
	if err != nil {
		return 0, err
	}
	uids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, err
	}
	n := &naive{w: w, conn: conn, clients: map[int]reconcile.Panel{},
		dial: panels.Dialer(panels.Options{Port: w.Port, Timeout: 10 * time.Second})}
	if err := n.loadDevices(ctx); err != nil {
		return 0, err
	}
	for _, uid := range uids {
		if err := n.contract(ctx, uid); err != nil {
			return 0, fmt.Errorf("bench: naive: contract %d: %w", uid, err)
		}
	}
	for id, c := range n.clients {
		if err := c.Finish(ctx); err != nil {
			return 0, fmt.Errorf("bench: naive: finish %d: %w", id, err)
		}
	}
	return time.Since(start), nil
}

type naive struct {
	w       *World
	conn    *pgx.Conn
	dial    reconcile.PanelDialer
	panels  map[int]reconcile.PanelDevice
	viaLock map[int][]int
	clients map[int]reconcile.Panel
}

func (n *naive) loadDevices(ctx context.Context) error {
	devices, err := n.w.Store.Devices(ctx)
	if err != nil {
		return err
	}
	doors, err := n.w.Store.Doors(ctx)
	if err != nil {
		return err
	}
	n.panels, n.viaLock = map[int]reconcile.PanelDevice{}, map[int][]int{}
	for _, d := range devices {
		if p, ok := d.Panel(); ok {
			n.panels[d.ID] = p
		}
	}
	for _, d := range doors {
		n.viaLock[d.DeviceID] = append(n.viaLock[d.DeviceID], d.Cam)
	}
	return nil
}

func (n *naive) contract(ctx context.Context, uid int64) error {
	var flat string
	var open, paid bool
	q := `SELECT coalesce(flat, ''), cams_open, cams_paid FROM contracts WHERE uid = $1`
	if err := n.conn.QueryRow(ctx, q, uid).Scan(&flat, &open, &paid); err != nil {
		return err
	}
	apt, ok := reconcile.FlatNumber(flat)
	if !open || !paid || !ok {
		return nil
	}
	rights, err := n.w.Store.Rights(ctx, uid)
	if err != nil {
		return err
	}
	keys, err := n.w.Store.Keys(ctx, uid)
	if err != nil {
		return err
	}
	var push []reconcile.PanelKey
	for _, k := range keys {
		push = append(push, reconcile.PanelKey{Code: k.Code, Flat: apt})
	}
	for _, r := range rights {
		for _, id := range append([]int{r.DeviceID}, n.viaLock[r.DeviceID]...) {
			if err := n.push(ctx, id, push); err != nil {
				return err
			}
		}
	}
	return nil
}

func (n *naive) push(ctx context.Context, id int, keys []reconcile.PanelKey) error {
	p, ok := n.panels[id]
	if !ok || len(keys) == 0 {
		return nil
	}
	c, ok := n.clients[id]
	if !ok {
		var err error
		if c, err = n.dial(p); err != nil {
			return err
		}
		n.clients[id] = c
	}
	return c.AddKeys(ctx, keys)
}
