package panels_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestCallsWire pins the requests each driver sends to switch flat 12's
// calls off and back, to the paths and parameters of DESIGN.md's call
// blocking table and panels.md 6.1-6.5.
func TestCallsWire(t *testing.T) {
	const qget = `POST /api? {"action":"get","data":{"prefix":12},"session":"","target":"dialreplace"}`
	cases := []struct {
		sim  string
		kind int
		want []string
	}{
		{panelsim.Beward, reconcile.PanelBeward, []string{
			"GET /cgi-bin/apartment_cgi?action=get&Number=12",
			"GET /cgi-bin/apartment_cgi?action=set&Number=12&BlockCMS=on&PhonesActive=off",
			"GET /cgi-bin/apartment_cgi?action=set&Number=12&BlockCMS=off&PhonesActive=on",
			"GET /cgi-bin/config_cgi?action=forcesave",
		}},
		{panelsim.Sokol, reconcile.PanelSokol, []string{
			"GET /panelCode/12?",
			`PUT /panelCode/12? {"callsEnabled":{"handset":false,"sip":false}}`,
			`PUT /panelCode/12? {"callsEnabled":{"handset":true,"sip":true}}`,
		}},
		{panelsim.Qtech, reconcile.PanelQtech, []string{
			qget,
			qget,
			`POST /api? {"action":"set","data":{"Replace1":"12","Replace2":"100000012","id":12,"prefix":12,"tags":2},"session":"","target":"dialreplace"}`,
			qget,
			`POST /api? {"action":"set","data":{"Replace1":"12","Replace2":"100000012","id":12,"prefix":12,"tags":0},"session":"","target":"dialreplace"}`,
		}},
		{panelsim.Rubetek, reconcile.PanelRubetek, []string{
			"GET /api/v1/apartments?",
			"GET /api/v1/apartments?",
			`POST /api/v1/apartments? {"access_codes":[],"analog_number":"12","call_type":"blocked","door_access":[1],"id":12,"sip_number":"100000012"}`,
			"GET /api/v1/apartments?",
			`POST /api/v1/apartments? {"access_codes":[],"analog_number":"12","call_type":"sip_analog","door_access":[1],"id":12,"sip_number":"100000012"}`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.sim, func(t *testing.T) {
			sim, c := startPanel(t, tc.sim, tc.kind, panelsim.Options{}, time.Second)
			if tc.sim == panelsim.Rubetek {
				sim.SetFlatCalls(12, panelsim.FlatCalls{Handset: true, SIP: true})
			}
			ctx := context.Background()
			found, err := c.Calls(ctx, 12)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.SetCalls(ctx, 12, reconcile.CallSetting{}); err != nil {
				t.Fatal(err)
			}
			if err := c.SetCalls(ctx, 12, found); err != nil {
				t.Fatal(err)
			}
			if err := c.Finish(ctx); err != nil {
				t.Fatal(err)
			}
			if got := requestLines(sim); !slices.Equal(got, tc.want) {
				t.Errorf("requests:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
