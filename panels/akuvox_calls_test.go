package panels_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// s532Flats are an S532's users as SmartYard-Server leaves them: flat 1's
// FLAT user (handset on, a SIP number, a PIN), flat 12's whose analog
// number another system set to 57, flat 120 (found by a lookup of
// FLATx12), a CMS user and a key.
var s532Flats = []panelsim.AkuvoxUser{
	{UserID: "FLATx1", Name: "FLAT", Group: "1", PrivatePIN: "12345", PhoneNum: "1000000001", ScheduleDash: "1001-1;"},
	{UserID: "FLATx12", Name: "FLAT", Group: "12", PrivatePIN: "54321", PhoneNum: "1000000012", AnalogNumber: "57",
		AnalogSystem: "0", AnalogMode: "0", ScheduleDash: "1001-1;"},
	{UserID: "FLATx120", Name: "FLAT", Group: "120", AnalogNumber: "9999"},
	{UserID: "CMSx12", Name: "CMS", Group: "12", AnalogSystem: "1", AnalogNumber: "12"},
	{UserID: "RFIDx0A1B2C", Name: "RFID", CardCode: "0A1B2C", ScheduleDash: "1001-1;", Group: "Default"},
}

// TestAkuvoxS532Calls: a flat's calls are its FLATx<n> user's AnalogNumber,
// looked up by name; off writes 9999 with user set, every other field
// of the user as listed; on writes back exactly what was found; no other
// user is touched.
func TestAkuvoxS532Calls(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		p, c := startAkuvox(t, panelsim.AkuvoxS532, panelsim.Options{})
		p.SetAkuvoxUsers(s532Flats)
		before := p.AkuvoxUsers()
		found, err := c.Calls(ctx, 12)
		if want := (reconcile.CallSetting{Handset: true, Raw: "57"}); err != nil || found != want {
			t.Fatalf("Calls(12): got %+v %v, want %+v", found, err, want)
		}
		if got, err := c.Calls(ctx, 120); err != nil || !got.Off() || got.Raw != "9999" {
			t.Fatalf("Calls(120): got %+v %v, want handset off (9999)", got, err)
		}
		p.ResetRequests()
		if err := c.SetCalls(ctx, 12, reconcile.CallSetting{}); err != nil {
			t.Fatal(err)
		}
		reqs := p.Requests()
		last := reqs[len(reqs)-1]
		if q := reqs[len(reqs)-2].Query; q != "NameOrCode=FLATx12" {
			t.Errorf("lookup %q, want NameOrCode=FLATx12", q)
		}
		var call struct {
			Target, Action string
			Data           struct{ Item []map[string]any }
		}
		if json.Unmarshal([]byte(last.Body), &call) != nil || call.Target != "user" || call.Action != "set" || len(call.Data.Item) != 1 {
			t.Fatalf("write %s %s, want POST /api user set of one user", last.Path, last.Body)
		}
		if it := call.Data.Item[0]; it["ID"] != "2" || it["AnalogNumber"] != "9999" || it["PhoneNum"] != "1000000012" {
			t.Errorf("user set item %v: want ID 2, AnalogNumber 9999 and the listed fields", it)
		}
		want := append([]panelsim.AkuvoxUser(nil), before...)
		want[1].AnalogNumber = "9999"
		checkUsers(t, p.AkuvoxUsers(), want)
		if err := c.SetCalls(ctx, 12, found); err != nil {
			t.Fatal(err)
		}
		checkUsers(t, p.AkuvoxUsers(), before)
	})
	t.Run("ErrNoFlatUser", func(t *testing.T) {
		p, c := startAkuvox(t, panelsim.AkuvoxS532, panelsim.Options{})
		p.SetAkuvoxUsers(s532Flats)
		err := c.SetCalls(ctx, 7, reconcile.CallSetting{})
		checkErr(t, err, reconcile.ErrPermanent, c, "flat 7 has no user FLATx7")
		if reqs := p.Requests(); strings.Contains(reqs[len(reqs)-1].Body, `"set"`) {
			t.Error("a flat without its user was written")
		}
	})
	t.Run("ErrTwoFlatUsers", func(t *testing.T) {
		p, c := startAkuvox(t, panelsim.AkuvoxS532, panelsim.Options{})
		p.SetAkuvoxUsers(append(s532Flats, panelsim.AkuvoxUser{UserID: "FLATx1", Name: "FLAT"}))
		_, err := c.Calls(ctx, 1)
		checkErr(t, err, reconcile.ErrPermanent, c, "two users FLATx1")
	})
	t.Run("ErrSetting", func(t *testing.T) {
		p, c := startAkuvox(t, panelsim.AkuvoxS532, panelsim.Options{})
		p.SetAkuvoxUsers(s532Flats)
		for _, s := range []reconcile.CallSetting{{SIP: true}, {Handset: true, Raw: "9999"}, {Raw: "57"}} {
			err := c.SetCalls(ctx, 12, s)
			checkErr(t, err, reconcile.ErrPermanent, c, "flat 12")
		}
		if u := p.AkuvoxUsers()[1]; u.AnalogNumber != "57" {
			t.Errorf("a setting the S532 cannot hold changed flat 12's user: %+v", u)
		}
	})
}

// checkUsers compares an emulated Akuvox's users with want.
func checkUsers(t *testing.T, got, want []panelsim.AkuvoxUser) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d users, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("user %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestAkuvoxE12CallsUnprobed: an Akuvox whose model is not known yet may
// switch calls; Calls probes it, and an E12 answers reconcile.ErrNoCalls
// having sent nothing but the probe.
func TestAkuvoxE12CallsUnprobed(t *testing.T) {
	for _, sim := range []string{panelsim.Akuvox, panelsim.AkuvoxR20A} {
		t.Run(sim, func(t *testing.T) {
			p, c := startAkuvox(t, sim, panelsim.Options{})
			if !c.SwitchesCalls() {
				t.Fatal("an unprobed Akuvox said it cannot switch calls")
			}
			if err := c.SetCalls(context.Background(), 12, reconcile.CallSetting{}); !errors.Is(err, reconcile.ErrNoCalls) {
				t.Fatalf("SetCalls: %v, want reconcile.ErrNoCalls", err)
			}
			for _, r := range p.Requests() {
				if r.Path != "/api/system/info" {
					t.Errorf("sent %s %s?%s, want only the model probe", r.Method, r.Path, r.Query)
				}
			}
			if c.SwitchesCalls() {
				t.Error("a probed E12/R20A said it can switch calls")
			}
		})
	}
}

// TestAkuvoxCallsAsCheckSees: check pings every panel, then asks a client
// from the same Dialer whether it can switch calls: the probed model
// answers, so an E12 and an R20A are named and an S532 is not.
func TestAkuvoxCallsAsCheckSees(t *testing.T) {
	for _, sim := range akuvoxModels {
		t.Run(sim, func(t *testing.T) {
			p := panelsim.New(sim, panelsim.Options{Login: "admin", Password: testPassword})
			t.Cleanup(p.Close)
			host, port := hostPort(t, newServer(t, p).Listener.Addr())
			dial := panels.Dialer(panels.Options{Port: port, Timeout: time.Second})
			d := reconcile.PanelDevice{ID: 1, Family: reconcile.PanelAkuvox, IP: host, Login: "admin", Password: testPassword}
			c, err := dial(d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.(*panels.Client).Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
			again, _ := dial(d)
			if got, want := reconcile.CanSwitchCalls(again), sim == panelsim.AkuvoxS532; got != want {
				t.Fatalf("CanSwitchCalls after the probe: got %t, want %t", got, want)
			}
		})
	}
}
