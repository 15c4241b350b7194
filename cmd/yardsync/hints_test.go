package main

import (
	"strings"
	"testing"

	"yardsync/panels/panelsim"
)

// TestHintsInTheCLI: a panel refusing yardsync's password shows, beside its
// 401, what to check in the run report, the dry run, panels and explain;
// a guarded run says what held it and what to do.
func TestHintsInTheCLI(t *testing.T) {
	in := panelsInstall(t, 1)
	in.exec(`INSERT INTO contracts VALUES (701, '', '7', true, true)`)
	in.storeExec(`INSERT INTO rights VALUES (701, '{1}')`)
	in.storeExec(`INSERT INTO keys VALUES (decode('00000000AF0701', 'hex'), 701, '')`)
	in.fleet.Panel(0).SetFaults(panelsim.Faults{Unauthorized: true})
	const hint = "what to do: The panel refuses yardsync's login: check panellogin and panelpasswd of device 1"
	for _, args := range [][]string{{"reconcile"}, {"reconcile", "--dry-run"}, {"panels"}, {"panels", "--failing"}, {"explain", "--uid", "701"}} {
		out, _ := in.cli(args...)
		if !strings.Contains(out, "401") || !strings.Contains(out, hint) {
			t.Errorf("%v: got %q, want the 401 and %q", args, out, hint)
		}
	}

	in.fleet.Panel(0).SetFaults(panelsim.Faults{})
	if out, code := in.cli("reconcile"); code != 0 {
		t.Fatalf("passwords right again: got %q exit %d", out, code)
	}
	in.exec(`INSERT INTO contracts SELECT g, '', '9', true, true FROM generate_series(702, 713) g`)
	in.storeExec(`INSERT INTO rights SELECT g, '{1}' FROM generate_series(702, 713) g`)
	in.storeExec(`INSERT INTO keys SELECT decode(lpad(to_hex(g), 14, '0'), 'hex'), g, '' FROM generate_series(702, 713) g`)
	if out, code := in.cli("reconcile"); code != 0 {
		t.Fatalf("13 contracts paid: got %q exit %d", out, code)
	}
	in.exec(`UPDATE contracts SET cams_paid = false`)
	out, code := in.cli("reconcile")
	if code != 2 || !strings.Contains(out, "guard: would revoke 13 of 13 contracts") || !strings.Contains(out, "what to do: The guard held the run's deletions") {
		t.Fatalf("every contract unpaid at once: got %q exit %d, want the guard's numbers and what to do", out, code)
	}
}
