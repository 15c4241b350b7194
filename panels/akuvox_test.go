package panels_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// akuvoxModels are the Akuvox emulators, one per model.
var akuvoxModels = []string{panelsim.Akuvox, panelsim.AkuvoxR20A, panelsim.AkuvoxS532}

func startAkuvox(t *testing.T, sim string, opts panelsim.Options) (*panelsim.Panel, *panels.Client) {
	t.Helper()
	return startPanel(t, sim, reconcile.PanelAkuvox, opts, 2*time.Second)
}

// TestAkuvoxDigest: the first request is challenged and retried once, the
// nonce serves the requests after it, a stale nonce is renewed, and wrong
// credentials are tried once only.
func TestAkuvoxDigest(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		p, c := startAkuvox(t, panelsim.Akuvox, panelsim.Options{})
		for range 3 {
			if _, err := c.ListKeys(ctx); err != nil {
				t.Fatal(err)
			}
		}
		reqs := p.Requests()
		// one challenge, then system/info and three listings under one nonce
		if len(reqs) != 5 || reqs[0].Authed || !allAuthed(reqs[1:]) {
			t.Fatalf("requests %+v, want one challenged and four authed", reqs)
		}
	})
	t.Run("Stale", func(t *testing.T) {
		p, c := startAkuvox(t, panelsim.Akuvox, panelsim.Options{})
		if _, err := c.ListKeys(ctx); err != nil {
			t.Fatal(err)
		}
		p.ExpireNonces()
		p.ResetRequests()
		if err := c.AddKeys(ctx, makeKeys(1, 0)); err != nil {
			t.Fatalf("AddKeys after the nonce went stale: %v", err)
		}
		reqs := p.Requests()
		// the add needs no listing: the client has just listed the panel
		if len(reqs) != 2 || reqs[0].Authed || !allAuthed(reqs[1:]) || len(p.Keys()) != 1 {
			t.Fatalf("requests %+v, keys %v: want a stale answer, then the add", reqs, p.Keys())
		}
	})
	t.Run("ErrCredentials", func(t *testing.T) {
		p := panelsim.New(panelsim.Akuvox, panelsim.Options{Password: "right"})
		t.Cleanup(p.Close)
		c := mustClient(t, newServer(t, p), reconcile.PanelAkuvox, "admin", testPassword, time.Second)
		_, err := c.ListKeys(ctx)
		checkErr(t, err, reconcile.ErrPermanent, c, "status 401: bad credentials")
		if n := len(p.Requests()); n != 2 {
			t.Errorf("%d requests, want the challenge and one try", n)
		}
		if reconcile.HintClass(err.Error()) != reconcile.HintAuth {
			t.Errorf("hint class %q, want auth", reconcile.HintClass(err.Error()))
		}
	})
}

func allAuthed(reqs []panelsim.Request) bool {
	for _, r := range reqs {
		if !r.Authed {
			return false
		}
	}
	return true
}

// TestAkuvoxCodeForm: codes go out with leading zeros stripped, padded to an
// even length, and come back normalised.
func TestAkuvoxCodeForm(t *testing.T) {
	for _, sim := range akuvoxModels {
		t.Run(sim, func(t *testing.T) {
			p, c := startAkuvox(t, sim, panelsim.Options{})
			keys := []reconcile.PanelKey{{Code: "0000000000BB01", Flat: 3}, {Code: "00000A1B2C3D4E", Flat: 4}}
			if err := c.AddKeys(context.Background(), keys); err != nil {
				t.Fatal(err)
			}
			got := p.Keys()
			if len(got) != 2 || got[0].Code != "0A1B2C3D4E" || got[1].Code != "BB01" {
				t.Errorf("panel holds %v, want 0A1B2C3D4E and BB01", got)
			}
			if l := listed(t, c); len(l) != 2 || l[0].Code != keys[0].Code || l[1].Code != keys[1].Code {
				t.Errorf("listed %v, want %v unbound", l, keys)
			}
			for _, u := range p.AkuvoxUsers() {
				s532 := sim == panelsim.AkuvoxS532
				if !s532 && u.ScheduleRelay != "1001-1;" || s532 && (u.ScheduleDash != "1001-1;" || u.Name != "RFID" || !strings.HasPrefix(u.UserID, "RFIDx")) {
					t.Errorf("user %+v: want schedule 1001-1; and, on an S532, an RFIDx user with Schedule-Relay", u)
				}
			}
		})
	}
}

// TestAkuvoxSharedUser: deleting a code that shares a user with another
// system's codes keeps those codes, and the user's name and PIN.
func TestAkuvoxSharedUser(t *testing.T) {
	p, c := startAkuvox(t, panelsim.AkuvoxR20A, panelsim.Options{})
	p.SetAkuvoxUsers([]panelsim.AkuvoxUser{
		{UserID: "kv12", Name: "Ivanov", PrivatePIN: "4711", CardCode: "0a1b2c3d4e;A0000001;BB01", ScheduleRelay: "1001-1;"},
		{UserID: "kv14", Name: "Petrov", CardCode: "C0FFEE01"},
	})
	ctx := context.Background()
	if err := c.DeleteKey(ctx, "0000000000BB01"); err != nil {
		t.Fatal(err)
	}
	users := p.AkuvoxUsers()
	if len(users) != 2 {
		t.Fatalf("users %+v, want two", users)
	}
	again := users[1]
	if again.CardCode != "0A1B2C3D4E;A0000001" || again.Name != "Ivanov" || again.PrivatePIN != "4711" || again.UserID != "kv12" {
		t.Errorf("re-added user %+v: want Ivanov's other codes, name and PIN", again)
	}
	if users[0].Name != "Petrov" || users[0].CardCode != "C0FFEE01" {
		t.Errorf("another user changed: %+v", users[0])
	}
	if err := c.DeleteKey(ctx, "0000000000BB01"); err != nil {
		t.Errorf("delete of an absent code: %v", err)
	}
	t.Run("ErrLostDel", func(t *testing.T) {
		// the del lands but its answer is lost: the other system's code
		// cannot be added back safely, so the error names it
		p.SetFaults(panelsim.Faults{LoseAnswer: panelsim.WriteDelete})
		err := c.DeleteKey(ctx, "000000A0000001")
		if !errors.Is(err, reconcile.ErrUnanswered) || !strings.Contains(err.Error(), "also held 0A1B2C3D4E: if the user is gone") {
			t.Errorf("got %v, want an unanswered delete naming the user's other code", err)
		}
	})
}

// TestAkuvoxS532 writes in batches of 1,000 with a pause, lists RFIDx users
// only and leaves flat users alone.
func TestAkuvoxS532(t *testing.T) {
	p := panelsim.New(panelsim.AkuvoxS532, panelsim.Options{Login: "admin", Password: testPassword})
	t.Cleanup(p.Close)
	srv := newServer(t, p)
	host, port := hostPort(t, srv.Listener.Addr())
	const pause = 30 * time.Millisecond
	c, err := panels.New(reconcile.PanelDevice{ID: 1, Family: reconcile.PanelAkuvox, IP: host, Login: "admin", Password: testPassword},
		panels.Options{Port: port, Timeout: 5 * time.Second, AkuvoxPause: pause})
	if err != nil {
		t.Fatal(err)
	}
	flat := panelsim.AkuvoxUser{UserID: "FLATx12", Name: "FLAT", Group: "12", AnalogNumber: "9999"}
	p.SetAkuvoxUsers([]panelsim.AkuvoxUser{flat})
	ctx := context.Background()
	start := time.Now()
	if err := c.AddKeys(ctx, makeKeys(2500, 0)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 2*pause {
		t.Errorf("three batches took %v, want two pauses of %v", took, pause)
	}
	var batches []int
	for _, r := range p.Requests() {
		if r.Write && r.Authed {
			var call struct {
				Data struct{ Item []json.RawMessage }
			}
			_ = json.Unmarshal([]byte(r.Body), &call)
			batches = append(batches, len(call.Data.Item))
		}
	}
	if len(batches) != 3 || batches[0] != 1000 || batches[1] != 1000 || batches[2] != 500 {
		t.Errorf("batches %v, want 1000, 1000, 500", batches)
	}
	keys, err := c.ListKeys(ctx)
	if err != nil || len(keys) != 2500 {
		t.Fatalf("listed %d keys, %v; want 2500 (the flat user is no key)", len(keys), err)
	}
	if err := c.DeleteKey(ctx, keys[0].Code); err != nil {
		t.Fatal(err)
	}
	users := p.AkuvoxUsers()
	if len(users) != 2500 || users[0] != (panelsim.AkuvoxUser{ID: "1", UserID: "FLATx12", Name: "FLAT", Group: "12", AnalogNumber: "9999"}) {
		t.Errorf("%d users, first %+v: want the flat user untouched", len(users), users[0])
	}
	if r := p.Requests(); !strings.Contains(r[len(r)-2].Query, "NameOrCode=A0") {
		t.Errorf("delete looked the user up with %q, want NameOrCode=<code>", r[len(r)-2].Query)
	}
}

// TestAkuvoxFull: a table at the model's limit refuses an add, which the
// hint names a full table; deletes still go through.
func TestAkuvoxFull(t *testing.T) {
	p, c := startAkuvox(t, panelsim.Akuvox, panelsim.Options{})
	p.SetKeys(makeKeys(1000, 0))
	ctx := context.Background()
	err := c.AddKeys(ctx, makeKeys(1, 5000))
	checkErr(t, err, reconcile.ErrPermanent, c, "user table is full: 1000 users, 1 more refused, the E12 holds 1000")
	if reconcile.HintClass(err.Error()) != reconcile.HintFull {
		t.Errorf("hint class %q, want full", reconcile.HintClass(err.Error()))
	}
	if err := c.DeleteKey(ctx, makeKeys(1, 0)[0].Code); err != nil {
		t.Fatal(err)
	}
	if err := c.AddKeys(ctx, makeKeys(1, 5000)); err != nil {
		t.Errorf("AddKeys after a delete made room: %v", err)
	}
}

// TestAkuvoxModel: the model is probed once per panel address, and a model
// yardsync does not drive is refused with its name.
func TestAkuvoxModel(t *testing.T) {
	ctx := context.Background()
	t.Run("OncePerAddress", func(t *testing.T) {
		p := panelsim.New(panelsim.AkuvoxS532, panelsim.Options{Login: "admin", Password: testPassword})
		t.Cleanup(p.Close)
		host, port := hostPort(t, newServer(t, p).Listener.Addr())
		dial := panels.Dialer(panels.Options{Port: port, Timeout: time.Second})
		d := reconcile.PanelDevice{ID: 1, Family: reconcile.PanelAkuvox, IP: host, Login: "admin", Password: testPassword}
		for range 2 {
			c, err := dial(d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.ListKeys(ctx); err != nil {
				t.Fatal(err)
			}
		}
		probes := akuvoxProbes(p)
		if probes != 1 {
			t.Errorf("%d probes, want 1", probes)
		}
	})
	t.Run("ReprobedAfterGarbledList", func(t *testing.T) {
		p, c := startAkuvox(t, panelsim.Akuvox, panelsim.Options{})
		if _, err := c.ListKeys(ctx); err != nil {
			t.Fatal(err)
		}
		p.SetFaults(panelsim.Faults{Garbage: true})
		if _, err := c.ListKeys(ctx); !errors.Is(err, reconcile.ErrPermanent) {
			t.Fatalf("garbled list: got %v", err)
		}
		p.SetFaults(panelsim.Faults{})
		if _, err := c.ListKeys(ctx); err != nil {
			t.Fatal(err)
		}
		probes := akuvoxProbes(p)
		if probes != 2 {
			t.Errorf("%d probes, want the model asked again after a garbled list", probes)
		}
	})
	t.Run("ErrUnknownModel", func(t *testing.T) {
		p := panelsim.New(panelsim.Akuvox, panelsim.Options{Login: "admin", Password: testPassword})
		t.Cleanup(p.Close)
		srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/system/info" {
				_, _ = w.Write([]byte(`{"retcode":0,"message":"OK","data":{"Status":{"Model":"X915","MAC":"0C:11:05:00:00:01"}}}`))
				return
			}
			p.ServeHTTP(w, r)
		}))
		c := mustClient(t, srv, reconcile.PanelAkuvox, "admin", testPassword, time.Second)
		_, err := c.ListKeys(ctx)
		checkErr(t, err, reconcile.ErrPermanent, c, `model "X915"`)
	})
}

// TestAkuvoxFaults: every panelsim fault reaches the Akuvox driver as it
// does the others, with the right class.
func TestAkuvoxFaults(t *testing.T) {
	cases := []struct {
		name     string
		faults   panelsim.Faults
		kind     error
		contains string
	}{
		{"ErrStatus500", panelsim.Faults{ErrorRate: 1}, reconcile.ErrTransient, "status 500"},
		{"ErrHang", panelsim.Faults{Hang: true}, reconcile.ErrTransient, "timeout"},
		{"ErrReset", panelsim.Faults{Reset: true}, reconcile.ErrTransient, "connection reset"},
		{"ErrGarbage", panelsim.Faults{Garbage: true}, reconcile.ErrPermanent, "unparsable"},
		{"ErrUnauthorized", panelsim.Faults{Unauthorized: true}, reconcile.ErrPermanent, "status 401"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim, c := startPanel(t, panelsim.Akuvox, reconcile.PanelAkuvox, panelsim.Options{}, 150*time.Millisecond)
			sim.SetKeys(makeKeys(2, 0))
			sim.SetFaults(tc.faults)
			checkOps(t, sim, c, tc.kind, tc.contains)
		})
	}
}

// TestAkuvoxWriteFaults: late, slow, unanswered writes and a reboot behave
// on an Akuvox as on the other families.
func TestAkuvoxWriteFaults(t *testing.T) {
	ctx := context.Background()
	t.Run("LateApply", func(t *testing.T) {
		p, c := startAkuvox(t, panelsim.AkuvoxS532, panelsim.Options{Faults: panelsim.Faults{LateApply: 200 * time.Millisecond}})
		if err := c.AddKeys(ctx, makeKeys(2, 0)); err != nil {
			t.Fatal(err)
		}
		if got := listed(t, c); len(got) != 0 || p.Pending() != 1 {
			t.Fatalf("listed %v with %d pending, want nothing yet", got, p.Pending())
		}
		waitFor(t, func() bool { return len(p.Keys()) == 2 })
	})
	t.Run("WriteDelay", func(t *testing.T) {
		p, c := startPanel(t, panelsim.Akuvox, reconcile.PanelAkuvox, panelsim.Options{}, 100*time.Millisecond)
		if _, err := c.ListKeys(ctx); err != nil {
			t.Fatal(err)
		}
		p.SetFaults(panelsim.Faults{WriteDelay: 300 * time.Millisecond})
		err := c.AddKeys(ctx, makeKeys(1, 0))
		if !errors.Is(err, reconcile.ErrTransient) || !errors.Is(err, reconcile.ErrUnanswered) {
			t.Fatalf("got %v, want a transient, unanswered timeout", err)
		}
		waitFor(t, func() bool { return len(p.Keys()) == 1 })
	})
	t.Run("LoseAnswer", func(t *testing.T) {
		p, c := startAkuvox(t, panelsim.AkuvoxR20A, panelsim.Options{Faults: panelsim.Faults{LoseAnswer: panelsim.WriteAdd}})
		err := c.AddKeys(ctx, makeKeys(1, 0))
		if !errors.Is(err, reconcile.ErrUnanswered) || len(p.Keys()) != 1 {
			t.Fatalf("got %v with keys %v, want an unanswered add that landed", err, p.Keys())
		}
	})
	t.Run("RebootAfter", func(t *testing.T) {
		p, c := startAkuvox(t, panelsim.Akuvox, panelsim.Options{})
		p.SetKeys(makeKeys(3, 0))
		p.SetFaults(panelsim.Faults{RebootAfter: 1})
		if err := c.DeleteKey(ctx, makeKeys(1, 0)[0].Code); err != nil {
			t.Fatal(err)
		}
		if got := p.Keys(); len(got) != 0 {
			t.Errorf("keys %v after the reboot, want none", got)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
	}
}

// akuvoxProbes counts the model probes a panel answered (its Digest
// challenges, unauthenticated, left out).
func akuvoxProbes(p *panelsim.Panel) int {
	n := 0
	for _, r := range p.Requests() {
		if r.Path == "/api/system/info" && r.Authed {
			n++
		}
	}
	return n
}
