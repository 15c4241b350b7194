package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

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
			&cli.StringFlag{Name: "family", Required: true, Usage: strings.Join(panelsim.Families(), ", ")},
			&cli.IntFlag{Name: "count", Value: 1, Usage: "number of panels"},
			&cli.StringFlag{Name: "base", Value: "127.0.1.1", Usage: "first panel's IP `ADDRESS`; the others follow"},
			&cli.IntFlag{Name: "port", Value: 8080, Usage: "TCP port every panel listens on"},
			&cli.DurationFlag{Name: "latency", Usage: "delay before every answer (per request)"},
			&cli.IntFlag{Name: "capacity", Usage: "refuse adds beyond `N` keys per table, as the firmware does (0: unlimited)"},
			&cli.StringFlag{Name: "unkept", Usage: "acknowledge writes but keep nothing: add, delete or both (`OPS`)"},
			&cli.DurationFlag{Name: "late-apply", Usage: "acknowledge key writes at once, apply them `DURATION` later, in order"},
			&cli.DurationFlag{Name: "write-delay", Usage: "apply and answer each key write `DURATION` late, even when the client gave up"},
			&cli.StringFlag{Name: "lose-answer", Usage: "apply these key writes, then reset the connection instead of answering (`KINDS`: " +
				strings.Join(panelsim.WriteNames(), ", ") + ")"},
			&cli.IntFlag{Name: "reboot-after", Usage: "empty every key table once, after the `N`-th key write (0: never)"},
			&cli.IntFlag{Name: "junk", Usage: "list `N` foreign entries yardsync cannot read beside the keys"},
			&cli.StringFlag{Name: "login", Value: "admin", Usage: "Basic auth user (Digest on an Akuvox)"},
			&cli.StringFlag{Name: "password", Value: "admin", Usage: "Basic auth password (Digest on an Akuvox)"},
			&cli.IntFlag{Name: "keys", Usage: "seed each panel with `N` random keys"},
			&cli.StringFlag{Name: "firmware", Usage: "firmware variants, comma-separated (`LIST`): " + strings.Join(firmwareNames, ", ")},
		},
		Action: runPanelsim,
	}
}

func runPanelsim(c *cli.Context) error {
	family := c.String("family")
	if err := panelsim.CheckFamily(family); err != nil {
		return err
	}
	faults, err := faultsOf(c)
	if err != nil {
		return err
	}
	fw, err := firmwareOf(c.String("firmware"), &faults)
	if err != nil {
		return err
	}
	opts := panelsim.Options{
		Login:    c.String("login"),
		Password: c.String("password"),
		Capacity: c.Int("capacity"),
		Faults:   faults,
		Firmware: fw,
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

// faultsOf reads the fault flags (all but --firmware's no-flats) and checks
// the numbers of the others.
func faultsOf(c *cli.Context) (panelsim.Faults, error) {
	for _, name := range []string{"latency", "late-apply", "write-delay"} {
		if d := c.Duration(name); d < 0 {
			return panelsim.Faults{}, fmt.Errorf("panelsim: --%s %v: want 0 or more", name, d)
		}
	}
	for _, name := range []string{"capacity", "reboot-after", "junk", "keys"} {
		if n := c.Int(name); n < 0 {
			return panelsim.Faults{}, fmt.Errorf("panelsim: --%s %d: want 0 or more", name, n)
		}
	}
	f, err := unkeptFaults(c.String("unkept"))
	if err != nil {
		return f, err
	}
	if f.LoseAnswer, err = panelsim.ParseWrites(c.String("lose-answer")); err != nil {
		return f, fmt.Errorf("panelsim: --lose-answer %q: want a comma-separated list of %s",
			c.String("lose-answer"), strings.Join(panelsim.WriteNames(), ", "))
	}
	f.Latency, f.LateApply, f.WriteDelay = c.Duration("latency"), c.Duration("late-apply"), c.Duration("write-delay")
	f.RebootAfter, f.Junk = c.Int("reboot-after"), c.Int("junk")
	return f, nil
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

// firmwareNames are the --firmware variants (see panelsim.Firmware).
var firmwareNames = []string{"no-flats", "both-tables", "loose-codes", "empty-body", "body=TEXT",
	"ext-no-apartment", "update", "key-mode=N", "no-key-settings", "merge-keeps-flat", "rev5"}

// firmwareOf reads --firmware; no-flats is a list fault, so it sets faults.
func firmwareOf(list string, faults *panelsim.Faults) (panelsim.Firmware, error) {
	var fw panelsim.Firmware
	for _, item := range strings.Split(list, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(item), "=")
		var err error
		switch name {
		case "":
		case "no-flats":
			faults.HideFlats = true
		case "both-tables":
			fw.BothTables = true
		case "loose-codes":
			fw.LooseCodes = true
		case "empty-body":
			fw.WriteBody = panelsim.BodyEmpty
		case "body":
			fw.WriteBody = value
		case "ext-no-apartment":
			fw.ExtNoApartment = true
		case "update":
			fw.Update = true
		case "key-mode":
			fw.KeyMode, err = strconv.Atoi(value)
		case "no-key-settings":
			fw.NoKeySettings = true
		case "merge-keeps-flat":
			fw.MergeKeepsFlat = true
		case "rev5":
			fw.Rev5 = true
		default:
			err = errors.New("unknown")
		}
		if err != nil || name == "body" && value == "" || name == "key-mode" && fw.KeyMode < 1 {
			return fw, fmt.Errorf("panelsim: --firmware %q: want %s", item, strings.Join(firmwareNames, ", "))
		}
	}
	return fw, nil
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
