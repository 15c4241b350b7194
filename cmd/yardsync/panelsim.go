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
			&cli.DurationFlag{Name: "latency", Usage: "delay before every answer"},
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
	opts := panelsim.Options{
		Login:    c.String("login"),
		Password: c.String("password"),
		Faults:   panelsim.Faults{Latency: c.Duration("latency")},
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
