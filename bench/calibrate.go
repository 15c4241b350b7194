package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// Calibrate measures what one panel request really costs in this process
// when sessions panel sessions run at once, each sending requests one at a
// time to its own emulated panel (Beward adds of one key each),
// with no reconciler, database or bookkeeping: the transport's own floor.
// On 2 cores the emulators and the client share the CPU, and sessions
// released by the same timer tick queue behind one another.
func Calibrate(tb testing.TB, sessions int, latency time.Duration) time.Duration {
	tb.Helper()
	const adds = 25
	bases, port := freeBases(tb)
	fl, err := panelsim.StartFleet(context.Background(), panelsim.Beward, sessions, bases[panelsim.Beward].String(), port,
		panelsim.Options{Faults: panelsim.Faults{Latency: latency}})
	if err != nil {
		tb.Fatal(err)
	}
	defer fl.Close()
	dial := panels.Dialer(panels.Options{Port: port})
	errs := make(chan error, sessions)
	var wg sync.WaitGroup
	start := time.Now()
	for i, addr := range fl.Addrs() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- session(dial, i, addr[:len(addr)-len(fmt.Sprint(port))-1], adds)
		}()
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	for err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	// Count what the panels received rather than assume the client's
	// sequence (a probe, a list, then an add per key).
	requests := 0
	for i := range fl.Len() {
		requests += len(fl.Panel(i).Requests())
	}
	return took * time.Duration(sessions) / time.Duration(requests)
}

func session(dial reconcile.PanelDialer, id int, ip string, adds int) error {
	c, err := dial(reconcile.PanelDevice{ID: id, Family: reconcile.PanelBeward, IP: ip, Login: "admin", Password: "admin"})
	if err != nil {
		return err
	}
	for k := range adds {
		if err := c.AddKeys(context.Background(), []reconcile.PanelKey{{Code: fmt.Sprintf("%014X", k+1), Flat: 1}}); err != nil {
			return err
		}
	}
	return nil
}
