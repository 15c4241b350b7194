package reconcile_test

import (
	"strings"
	"testing"

	"yardsync/reconcile"
)

// TestPanelHint: each class of error text gets its advice, naming the
// device when known; a 401 beside writes not seen is a login problem first;
// an error of no known class gets none.
func TestPanelHint(t *testing.T) {
	cases := []struct {
		name, text, class, want string
		device                  int
	}{
		{"Auth", "panels: sokol 10.0.0.7:80: GET /key/store: status 401: bad credentials: permanent", reconcile.HintAuth, "panelpasswd of device 7", 7},
		{"AuthBeforeUnkept", "1 of the session's writes not seen on the panel after it: add 0000000000AB01 flat 7\npanels: beward 10.0.0.7:80: status 401: bad credentials: permanent",
			reconcile.HintAuth, "panellogin", 7},
		{"AuthUnknownDevice", "status 403: bad credentials", reconcile.HintAuth, "of the panel's device", 0},
		{"Refused", "panels: beward 10.0.0.3:80: GET /cgi-bin/rfid_cgi?action=list: connection refused: transient", reconcile.HintRefused, "panelip of device 3 or panels.port", 3},
		{"Timeout", "panels: beward 10.0.0.3:80: GET /cgi-bin/rfid_cgi?action=list: transient: timeout", reconcile.HintTimeout, "reconcile.panel_timeout", 3},
		{"NoRoute", "dial tcp 10.0.0.3:80: connect: no route to host", reconcile.HintTimeout, "network", 3},
		{"FullSokol", `PUT /key/store/merge (panel says "key store is full"): status 422: permanent`, reconcile.HintFull, "key table is full", 2},
		{"Unkept", "2 of the session's writes not seen on the panel after it: add 0000000000AB01 flat 7", reconcile.HintUnkept, "did not keep", 2},
		{"Lost", "3 desired keys the panel held are missing after the session (did it reboot or lose its table?)", reconcile.HintLost, "puts them back", 2},
		{"Busy", "panel 4 is busy: its lease is held by yardsync@host pid 1", reconcile.HintBusy, "next run retries", 4},
		{"Guard", "would revoke 37 of 120 contracts (limit 24: max_revoke 20 %, guard_min 10)", reconcile.HintGuard, "reconcile --force", 0},
		{"Unknown", "panels: sokol 10.0.0.7:80: unparsable answer \"<html>\"", "", "", 7},
		{"Empty", "", "", "", 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := reconcile.HintClass(c.text); got != c.class {
				t.Errorf("HintClass: got %q, want %q", got, c.class)
			}
			got := reconcile.PanelHint(c.device, c.text)
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("PanelHint: got %q, want one with %q", got, c.want)
			}
		})
	}
}
