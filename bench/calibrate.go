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

// Transport is what one panel request costs the transport alone (Calibrate).
type Transport struct {
	PerRequest time.Duration // wall time per request, over the sessions
	CPU        time.Duration // this process's CPU per request: client and emulator
}

// Calibrate measures what one panel request really costs in this process
// when sessions panel sessions run at once, each sending requests one at a
// time to its own emulated panel (adds of one key each, in its family's
// protocol), with no reconciler, database or bookkeeping: the transport's
// own floor. The sessions play families in turn, as Scale.Families deals
// them out (Beward alone when none is given), so a mixed fleet's floor
// prices each family's requests. On 2 cores the emulators and the client
// share the CPU, and sessions released by the same timer tick queue behind
// one another. The CPU per request does not depend on what else runs on
// the machine, the wall time does.
func Calibrate(tb testing.TB, sessions int, latency time.Duration, families ...string) Transport {
	tb.Helper()
	const adds = 25
	if len(families) == 0 {
		families = []string{panelsim.Beward}
	}
	bases, port := freeBases(tb)
	l := Plan(Scale{Panels: sessions, Families: families}, bases)
	sims := startFleets(tb, l.Panels, bases, port, latency)
	dial := panels.Dialer(panels.Options{Port: port})
	errs := make(chan error, sessions)
	var wg sync.WaitGroup
	start, cpu := time.Now(), CPUTime()
	for _, p := range l.Panels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- session(dial, p, adds)
		}()
	}
	wg.Wait()
	took, cpu := time.Since(start), CPUTime()-cpu
	close(errs)
	for err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	// Count what the panels received rather than assume each client's
	// sequence (a probe, a list, then an add per key, a list per add, ...).
	requests := 0
	for _, s := range sims {
		requests += len(s.Requests())
	}
	return Transport{PerRequest: took * time.Duration(sessions) / time.Duration(requests), CPU: cpu / time.Duration(requests)}
}

func session(dial reconcile.PanelDialer, p SimPanel, adds int) error {
	c, err := dial(reconcile.PanelDevice{ID: p.DeviceID, Family: paneltype(p.Family), IP: p.IP.String(), Login: "admin", Password: "admin"})
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
