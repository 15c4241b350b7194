package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/urfave/cli/v2"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// panelsimCommand runs a fleet of emulated panels on consecutive addresses
// until interrupted; it needs no configuration file.
func panelsimCommand() *cli.Command {
	return &cli.Command{
		Name:  "panelsim",
		Usage: "run emulated intercom panels on consecutive addresses (for the demo, tests and benchmarks)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "family", Required: true, Usage: "beward, beward-mifare or sokol"},
			&cli.IntFlag{Name: "count", Value: 1, Usage: "number of panels"},
			&cli.StringFlag{Name: "base", Value: "127.0.1.1", Usage: "first panel's IP `ADDRESS`; the others follow"},
			&cli.IntFlag{Name: "port", Value: 8080, Usage: "TCP port every panel listens on"},
			&cli.DurationFlag{Name: "latency", Usage: "delay before every answer (per request)"},
			&cli.IntFlag{Name: "capacity", Usage: "refuse adds beyond `N` keys per table, as the firmware does (0: unlimited)"},
			&cli.StringFlag{Name: "unkept", Usage: "acknowledge writes but keep nothing: add, delete or both (`OPS`)"},
			&cli.StringFlag{Name: "login", Value: "admin", Usage: "Basic auth user"},
			&cli.StringFlag{Name: "password", Value: "admin", Usage: "Basic auth password"},
			&cli.IntFlag{Name: "keys", Usage: "seed each panel with `N` random keys"},
		},
		Action: runPanelsim,
	}
}

func runPanelsim(c *cli.Context) error {
	family := c.String("family")
	if err := panelsim.CheckFamily(family); err != nil {
		return err
	}
	faults, err := unkeptFaults(c.String("unkept"))
	if err != nil {
		return err
	}
	if c.Int("capacity") < 0 {
		return fmt.Errorf("panelsim: --capacity %d: want 0 or more", c.Int("capacity"))
	}
	faults.Latency = c.Duration("latency")
	opts := panelsim.Options{
		Login:    c.String("login"),
		Password: c.String("password"),
		Capacity: c.Int("capacity"),
		Faults:   faults,
	}
	fleet, err := panelsim.StartFleet(c.Context, family, c.Int("count"), c.String("base"), c.Int("port"), opts)
	if err != nil {
		return err
	}
	defer fleet.Close()
	for i, addr := range fleet.Addrs() {
		fleet.Panel(i).SetKeys(randomKeys(c.Int("keys")))
		fmt.Fprintln(c.App.Writer, addr)
	}
	<-c.Context.Done()
	return nil
}

// unkeptFaults reads --unkept: which writes a panel acknowledges but does
// not keep.
func unkeptFaults(ops string) (panelsim.Faults, error) {
	switch ops {
	case "":
		return panelsim.Faults{}, nil
	case "add":
		return panelsim.Faults{DropAdds: true}, nil
	case "delete":
		return panelsim.Faults{DropDeletes: true}, nil
	case "both":
		return panelsim.Faults{DropAdds: true, DropDeletes: true}, nil
	}
	return panelsim.Faults{}, fmt.Errorf("panelsim: --unkept %q: want add, delete or both", ops)
}

// randomKeys returns n distinct normalised keys on flats 1 to 9999.
func randomKeys(n int) []reconcile.PanelKey {
	seen := make(map[string]bool, n)
	keys := make([]reconcile.PanelKey, 0, n)
	for len(keys) < n {
		code := fmt.Sprintf("%014X", rand.Uint64N(1<<56))
		if !seen[code] {
			seen[code] = true
			keys = append(keys, reconcile.PanelKey{Code: code, Flat: 1 + rand.IntN(9999)})
		}
	}
	return keys
}
