package reconcile_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestEndToEndFamilies takes a contract of each family that binds no key
// to a flat through paying, not paying and paying again, against real
// PostgreSQL and the family's emulator. The flat lives in yardsync's
// ownership record: a run after the first changes nothing.
func TestEndToEndFamilies(t *testing.T) {
	for _, family := range []string{"qtech", "rubetek", "akuvox", "akuvox-r20a", "akuvox-s532"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			testUnboundLifecycle(t, newWorld(t, family, 2))
		})
	}
}

// TestEndToEndFamiliesNoCallSwitch runs the same lifecycle with
// reconcile.block_calls on, on the models that cannot turn a flat's calls
// off (Akuvox E12 and R20A): the keys follow the billing as without it, no
// call setting is asked for or written, and no run is partial for it.
func TestEndToEndFamiliesNoCallSwitch(t *testing.T) {
	for _, family := range []string{"akuvox", "akuvox-r20a"} {
		t.Run(family, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, family, 2)
			w.runner.Opts.BlockCalls = true
			testUnboundLifecycle(t, w)
			for i := range 2 {
				for _, r := range w.fleet.Panel(i).Requests() {
					if strings.Contains(r.Query, "FLATx") || strings.Contains(r.Body, `"set"`) {
						t.Errorf("panel %d got a call request: %s %s?%s %s", i, r.Method, r.Path, r.Query, r.Body)
					}
				}
			}
			if n := w.count(`SELECT count(*) FROM yardsync_runs WHERE status <> 'ok'`); n != 0 {
				t.Fatalf("%d runs not ok: a model without the switch must make no run partial", n)
			}
		})
	}
}

func testUnboundLifecycle(t *testing.T, w *world) {
	w.contract(201, "12", true, true, "0000000000BB01", 0, 1)
	w.contract(202, "14", true, true, "0000000000BB02", 1)
	w.fleet.Panel(1).SetKeys([]reconcile.PanelKey{{Code: "0000000000FFFF"}}) // a key yardsync does not own
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusOK || res.Added != 3 {
		t.Fatalf("first run: got %+v failed %v", res.Summary, res.Failed)
	}
	if got := w.keys(1); got != "0000000000BB01=0 0000000000BB02=0 0000000000FFFF=0 " {
		t.Fatalf("panel 1: got %q", got)
	}
	if res := w.run(reconcile.Request{}); res.Added+res.Rebound+res.Deleted != 0 || res.Status != reconcile.StatusOK {
		t.Fatalf("second run must change nothing: got %+v", res.Summary)
	}
	t.Run("StopsPaying", func(t *testing.T) {
		w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 201`)
		res := w.run(reconcile.Request{})
		if res.Deleted != 2 || w.keys(0) != "" || w.keys(1) != "0000000000BB02=0 0000000000FFFF=0 " {
			t.Fatalf("got %+v, panels %q %q", res.Summary, w.keys(0), w.keys(1))
		}
	})
	t.Run("PaysAgain", func(t *testing.T) {
		w.exec(`UPDATE contracts SET cams_paid = true WHERE uid = 201`)
		res := w.run(namedRun(201))
		if res.Added != 2 || w.keys(0) != "0000000000BB01=0 " {
			t.Fatalf("got %+v, panel 0 %q", res.Summary, w.keys(0))
		}
	})
	t.Run("OwnedRecordKeepsFlat", func(t *testing.T) {
		owned, err := w.db.OwnedKeysOn(bg, w.panels[0])
		if err != nil || len(owned) != 1 || owned[0].Flat != 12 {
			t.Fatalf("got %v %v, want BB01 owned on flat 12", owned, err)
		}
	})
}

// TestEndToEndAkuvoxSharedUser: on an E12 another system put a payer's code
// on one user with a card of its own. yardsync adopts the payer's code;
// when the payer stops paying, the code goes and the foreign card stays on
// its user, with its name, under prune: owned. A full table refuses the
// payer's add; the run is partial and names a full table.
func TestEndToEndAkuvoxSharedUser(t *testing.T) {
	w := newWorld(t, "akuvox", 1)
	w.contract(301, "21", true, true, "0000000000CC01", 0)
	w.contract(302, "22", true, true, "0000000000CC02", 0)
	p := w.fleet.Panel(0)
	p.SetAkuvoxUsers([]panelsim.AkuvoxUser{{UserID: "kv21", Name: "Sidorov", CardCode: "CC01;C0FFEE01", ScheduleRelay: "1001-1;"}})
	res := w.run(reconcile.Request{})
	if res.Status != reconcile.StatusOK || res.Added != 1 || w.keys(0) != "0000000000CC01=0 0000000000CC02=0 C0FFEE01=0 " {
		t.Fatalf("first run: got %+v failed %v, panel %q", res.Summary, res.Failed, w.keys(0))
	}
	w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 301`)
	res = w.run(reconcile.Request{})
	if res.Deleted != 1 || w.keys(0) != "0000000000CC02=0 C0FFEE01=0 " {
		t.Fatalf("stops paying: got %+v, panel %q", res.Summary, w.keys(0))
	}
	var foreign *panelsim.AkuvoxUser
	for _, u := range p.AkuvoxUsers() {
		if u.Name == "Sidorov" {
			foreign = &u
		}
	}
	if foreign == nil || foreign.CardCode != "C0FFEE01" || foreign.UserID != "kv21" {
		t.Fatalf("users %+v: want Sidorov's user holding C0FFEE01 alone", p.AkuvoxUsers())
	}
	for _, r := range p.Requests() { // prune: owned never clears a table holding foreign users
		if r.Path == "/api/user/clear" || strings.Contains(r.Body, `"clear"`) {
			t.Errorf("a clear went out: %+v", r)
		}
	}
	t.Run("ErrFull", func(t *testing.T) {
		p.SetCapacity(len(p.AkuvoxUsers()))
		w.exec(`UPDATE contracts SET cams_paid = true WHERE uid = 301`)
		res := w.run(namedRun(301))
		if res.Status != reconcile.StatusPartial || len(res.Failed) != 1 {
			t.Fatalf("got %+v failed %v, want partial", res.Summary, res.Failed)
		}
		for _, why := range res.Failed {
			if reconcile.HintClass(why) != reconcile.HintFull {
				t.Errorf("failure %q: hint class %q, want full", why, reconcile.HintClass(why))
			}
		}
	})
}

// TestEndToEndAkuvoxRequests counts the requests of a first sync of 50 keys
// and of 1,000, the numbers docs/panels.md gives: the Digest challenge, the
// model probe, the run's listing (which the add uses: no second one), one
// add per 1,000 users and the read-back; then those of a later run that
// revokes one key.
func TestEndToEndAkuvoxRequests(t *testing.T) {
	for _, c := range []struct {
		family string
		keys   int
		want   int
	}{{"akuvox", 50, 5}, {"akuvox-s532", 50, 5}, {"akuvox-r20a", 1000, 5}, {"akuvox-s532", 2500, 7}} {
		t.Run(c.family+"/"+strconv.Itoa(c.keys), func(t *testing.T) {
			w := newWorld(t, c.family, 1)
			w.runner.Dial = panels.Dialer(panels.Options{Port: w.port, Scheme: "http", Timeout: 5 * time.Second, AkuvoxPause: time.Millisecond})
			w.runner.Opts.PanelTimeout = 5 * time.Second
			for i := range c.keys {
				w.contract(1000+i, strconv.Itoa(1+i), true, true, fmt.Sprintf("%014X", 0xA000000+i), 0)
			}
			res := w.run(reconcile.Request{})
			if res.Status != reconcile.StatusOK || res.Added != c.keys {
				t.Fatalf("got %+v failed %v", res.Summary, res.Failed)
			}
			if n := len(w.fleet.Panel(0).Requests()); n != c.want {
				for _, r := range w.fleet.Panel(0).Requests() {
					t.Logf("%s %s?%s authed %v", r.Method, r.Path, r.Query, r.Authed)
				}
				t.Errorf("%d requests, want %d", n, c.want)
			}
			// a later session of the same daemon: no challenge, no probe,
			// one list; a payer gone is one del
			w.fleet.Panel(0).ResetRequests()
			w.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 1000`)
			if res := w.run(reconcile.Request{}); res.Deleted != 1 {
				t.Fatalf("second run: got %+v failed %v", res.Summary, res.Failed)
			}
			if n := len(w.fleet.Panel(0).Requests()); n != 4 {
				t.Errorf("second run: %d requests, want 4 (list, the delete's lookup, del, read-back)", n)
			}
		})
	}
}
