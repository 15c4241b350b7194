package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"

	"yardsync/internal/testdb"
	"yardsync/internal/testnet"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
	"yardsync/store/storetest"
)

// install is a whole yardsync installation for one test: a config file
// naming a fresh store, a billing database and a Sokol fleet.
type install struct {
	t       *testing.T
	config  string
	listen  string
	fleet   *panelsim.Fleet
	billing *pgx.Conn
	// storeDSN is the SmartYard database, for tests that write it as
	// operators and the mobile server do, behind yardsync's back.
	storeDSN string
}

func newInstall(t *testing.T, panels int) *install {
	t.Helper()
	return newInstallWith(t, panels, "")
}

// newInstallWith adds reconcileKeys (YAML lines, two-space indented) to the
// config's reconcile section.
func newInstallWith(t *testing.T, panels int, reconcileKeys string) *install {
	t.Helper()
	return newInstallConfig(t, panels, "", "  panel_timeout: 2s\n  retries: 1\n"+reconcileKeys)
}

// newInstallConfig adds apiKeys and reconcileKeys (YAML lines, two-space
// indented) to the config's api and reconcile sections.
func newInstallConfig(t *testing.T, panels int, apiKeys, reconcileKeys string) *install {
	t.Helper()
	ctx := context.Background()
	billDSN := testdb.Postgres(t)
	conn, err := pgx.Connect(ctx, billDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, `CREATE TABLE contracts (uid int PRIMARY KEY, phone text, flat text, cams_open boolean, cams_paid boolean)`); err != nil {
		t.Fatal(err)
	}
	base, port := testnet.Base(t)
	fleet, err := panelsim.StartFleet(ctx, panelsim.Sokol, panels, base, port, panelsim.Options{Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fleet.Close)
	// The store as `yardsync migrate` leaves it (a copy of a migrated
	// template: cheaper than migrating); unmigrated gives an empty one.
	in := &install{t: t, listen: testnet.FreeAddr(t), fleet: fleet, billing: conn, storeDSN: storetest.MigratedDSN(t)}
	in.config = writeConfig(t, fmt.Sprintf(`
store:
  dsn: %q
api:
  listen: %q
%sbilling:
  driver: postgres
  dsn: %q
  queries:
    uids: "SELECT uid FROM contracts WHERE phone = @phone"
    cams: "SELECT cams_open, cams_paid FROM contracts WHERE uid = @uid"
    snapshot: "SELECT uid, flat, cams_open, cams_paid FROM contracts"
reconcile:
  schedule: ""
%spanels:
  port: %d
`, in.storeDSN, in.listen, apiKeys, billDSN, reconcileKeys, port))
	return in
}

// unmigrated points the install at a new, empty store database, as an
// installation's is before its first migrate.
func (in *install) unmigrated() {
	in.t.Helper()
	config, err := os.ReadFile(in.config)
	if err != nil {
		in.t.Fatal(err)
	}
	old := in.storeDSN
	in.storeDSN = testdb.Postgres(in.t)
	in.config = writeConfig(in.t, strings.Replace(string(config), fmt.Sprintf("%q", old), fmt.Sprintf("%q", in.storeDSN), 1))
}

func (in *install) exec(sql string, args ...any) {
	in.t.Helper()
	if _, err := in.billing.Exec(context.Background(), sql, args...); err != nil {
		in.t.Fatal(err)
	}
}

// cli runs one command line and returns its standard output and exit status.
func (in *install) cli(args ...string) (string, int) {
	var out, errOut bytes.Buffer
	err := Run(context.Background(), append([]string{"yardsync", "--config", in.config}, args...), &out, &errOut)
	code := 0
	if err != nil {
		code = exitCode(err)
		var ec cli.ExitCoder
		if !errors.As(err, &ec) {
			out.WriteString(err.Error())
		}
	}
	if code != 0 && code != 2 {
		in.t.Logf("%v: stderr: %s", args, errOut.String())
	}
	return out.String(), code
}

// serve starts the daemon and returns a function that stops it.
func (in *install) serve() func() {
	in.t.Helper()
	return in.serveLogging(&bytes.Buffer{})
}

// serveLogging is serve with the daemon's log (warnings and up) written to
// log, which must be safe for concurrent use once the test reads it.
func (in *install) serveLogging(log io.Writer) func() {
	in.t.Helper()
	return in.serveUntil(log, "/readyz", http.StatusOK)
}

// serveUntil starts the daemon and waits until GET path answers status.
// The function it returns stops the daemon; calling it again does nothing.
func (in *install) serveUntil(log io.Writer, path string, status int) func() {
	in.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"yardsync", "--config", in.config, "--log-level", "warn", "serve"}, &bytes.Buffer{}, log)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				in.t.Errorf("serve stopped with %v", err)
			}
		})
	}
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + in.listen + path); err == nil {
			resp.Body.Close()
			if resp.StatusCode == status {
				break
			}
		}
		if i > 100 {
			stop()
			in.t.Fatalf("serve did not answer GET %s with %d", path, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return stop
}

func (in *install) post(path, body string, out any) int {
	in.t.Helper()
	resp, err := http.Post("http://"+in.listen+"/bill/api/"+path+"/", "application/json", strings.NewReader(body))
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func TestServeSyncAndReconcile(t *testing.T) {
	// guard_min 0: the guard holds even one debtor among one paid contract.
	in := newInstallWith(t, 2, "  guard_min: 0\n")
	in.exec(`INSERT INTO contracts VALUES (501, '89101234567', '17', true, true), (502, '89101234568', '18', true, false)`)
	stop := in.serve()
	var dev struct {
		DeviceID int `json:"device_id"`
	}
	ip := strings.Split(in.fleet.Addrs()[0], ":")[0]
	in.post("devices_add", `{"device_type": 1, "is_active": true, "paneltype": 2, "panelip": "`+ip+`", "panellogin": "admin", "panelpasswd": "pw"}`, &dev)
	for _, uid := range []string{"501", "502"} {
		in.post("rights_add", fmt.Sprintf(`{"uid": %s, "device_id": %d}`, uid, dev.DeviceID), nil)
		in.post("keys_add", `{"uid": `+uid+`, "key": "00AA00`+uid+`"}`, nil)
	}
	var sum reconcile.Summary
	if code := in.post("sync", `{"wait": true}`, &sum); code != 200 || sum.Status != "ok" || sum.RunID == 0 {
		t.Fatalf("sync: got %d %+v", code, sum)
	}
	if keys := in.fleet.Panel(0).Keys(); len(keys) != 1 || keys[0].Code != "0000000AA00501" || keys[0].Flat != 17 {
		t.Fatalf("panel holds %v, want only the paying contract's key on flat 17", keys)
	}
	var uids struct {
		UIDs []int64 `json:"uids"`
	}
	if in.post("uids", `{"phone": "+7 910 123-45-67"}`, &uids); len(uids.UIDs) != 1 || uids.UIDs[0] != 501 {
		t.Fatalf("uids: got %v", uids)
	}
	var queued struct {
		RunID int64 `json:"run_id"`
	}
	if code := in.post("sync", `{"uid": 502}`, &queued); code != 202 || queued.RunID == 0 {
		t.Fatalf("sync without wait: got %d %+v", code, queued)
	}
	resp, err := http.Get("http://" + in.listen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	_, _ = metrics.ReadFrom(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`yardsync_runs_total{status="ok",trigger="api"}`, `yardsync_billing_query_duration_seconds_count{query="snapshot",result="ok"}`,
		`yardsync_panel_operations_total{family="sokol",op="add",result="ok"}`, "yardsync_keys_managed 1", "yardsync_uid_cache_misses_total 1",
		fmt.Sprintf(`yardsync_panel_up{device_id="%d"} 1`, dev.DeviceID)} {
		if !strings.Contains(metrics.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	stop()

	t.Run("ReconcileJSON", func(t *testing.T) {
		in.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 501`)
		out, code := in.cli("reconcile", "--json")
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("got %q exit %d", out, code)
		}
		for _, k := range []string{"run_id", "status", "panels", "failed_panels", "added", "rebound", "deleted", "guarded"} {
			if _, ok := got[k]; !ok {
				t.Errorf("--json lacks %q: %s", k, out)
			}
		}
		// one of one paid contract is more than max_revoke 0.2 and guard_min 0:
		// guarded, exit 2; the guard also holds 501's access state at paid
		if got["status"] != "guarded" || code != 2 || got["access_changes"] != 0.0 {
			t.Fatalf("got %s exit %d, want guarded", out, code)
		}
	})
	t.Run("TargetedIsNeverGuarded", func(t *testing.T) {
		out, code := in.cli("reconcile", "--json", "--uid", "501")
		if code != 0 || !strings.Contains(out, `"deleted":1`) || len(in.fleet.Panel(0).Keys()) != 0 {
			t.Fatalf("got %q exit %d, keys %v", out, code, in.fleet.Panel(0).Keys())
		}
	})
	t.Run("DryRunChangesNothing", func(t *testing.T) {
		in.exec(`UPDATE contracts SET cams_paid = true`)
		out, code := in.cli("reconcile", "--dry-run")
		if code != 0 || !strings.Contains(out, "0000000AA00501") || len(in.fleet.Panel(0).Keys()) != 0 {
			t.Fatalf("got %q exit %d, keys %v", out, code, in.fleet.Panel(0).Keys())
		}
	})
	t.Run("PanelDownIsPartial", func(t *testing.T) {
		in.fleet.Panel(0).SetFaults(panelsim.Faults{ErrorRate: 1})
		defer in.fleet.Panel(0).SetFaults(panelsim.Faults{})
		out, code := in.cli("reconcile", "--json")
		if code != 1 || !strings.Contains(out, `"status":"failed"`) {
			t.Fatalf("the only panel down: got %q exit %d, want failed and exit 1", out, code)
		}
	})
	t.Run("UnkeptWritesArePartial", func(t *testing.T) {
		in.fleet.Panel(0).SetFaults(panelsim.Faults{DropAdds: true})
		defer in.fleet.Panel(0).SetFaults(panelsim.Faults{})
		out, code := in.cli("reconcile", "--json", "--force")
		if code != 2 || !strings.Contains(out, `"status":"partial"`) || !strings.Contains(out, `"added":0`) {
			t.Fatalf("the panel kept no add: got %q exit %d, want partial, nothing added and exit 2", out, code)
		}
	})
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// storeExec writes the SmartYard tables directly, as an operator would.
func (in *install) storeExec(sql string, args ...any) {
	in.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, in.storeDSN)
	if err != nil {
		in.t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		in.t.Fatal(err)
	}
}

// TestServeWatch: a billing change nobody tells yardsync about reaches the
// door through reconcile.watch. The panel, rights and key are written
// straight into the store before serve starts, so no API change triggers a
// run and only the watch can act.
func TestServeWatch(t *testing.T) {
	in := newInstallWith(t, 1, "  watch: 1s\n")
	if _, code := in.cli("migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	ip := strings.Split(in.fleet.Addrs()[0], ":")[0]
	in.storeExec(`INSERT INTO devices (device_id, device_uuid, device_type, is_active, paneltype, panelip, panellogin, panelpasswd)
		VALUES (1, '00000000-0000-4000-8000-000000000601', 1, true, 2, $1, 'admin', 'pw')`, ip)
	// Six paying contracts: revoking one stays under max_revoke (0.2), as a
	// batch run is guarded like a full one.
	for uid := 601; uid <= 606; uid++ {
		in.exec(`INSERT INTO contracts VALUES ($1, '', $2, true, true)`, uid, strconv.Itoa(uid-580))
		in.storeExec(`INSERT INTO rights VALUES ($1, '{1}')`, uid)
		in.storeExec(`INSERT INTO keys VALUES (decode($1, 'hex'), $2, 'watch')`, fmt.Sprintf("000000BB000%d", uid), uid)
	}
	stop := in.serve()
	defer stop()
	panel := in.fleet.Panel(0)
	has := func(n int) func() bool { return func() bool { return len(panel.Keys()) == n } }
	eventually(t, "the first full run puts the six keys on the panel", has(6))
	in.exec(`UPDATE contracts SET cams_paid = false WHERE uid = 601`)
	eventually(t, "the watch revokes the debtor's key", has(5))
	for _, k := range panel.Keys() {
		if k.Code == "000000BB000601" {
			t.Fatalf("the debtor's key is still there: %v", panel.Keys())
		}
	}
	in.exec(`UPDATE contracts SET cams_paid = true WHERE uid = 601`)
	eventually(t, "the watch restores the key after payment", has(6))
}

// A run that fails as a whole says why: in its --json line, and in a dry
// run instead of an empty plan.
func TestReconcileFailedOutput(t *testing.T) {
	in := newInstall(t, 1)
	in.exec(`ALTER TABLE contracts RENAME TO contracts_gone`)
	out, code := in.cli("reconcile", "--json")
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 {
		t.Fatalf("got %q exit %d, want one JSON line and exit 1", out, code)
	}
	if got["status"] != "failed" || !strings.Contains(fmt.Sprint(got["error"]), "billing snapshot") {
		t.Fatalf("--json of a failed run: %s, want status failed and the billing error", out)
	}
	out, code = in.cli("reconcile", "--dry-run")
	if code != 1 || !strings.HasPrefix(out, "run failed, no plan: ") || strings.Contains(out, "PANEL") {
		t.Fatalf("dry run with a broken snapshot query: got %q exit %d, want only the error", out, code)
	}
	out, _ = in.cli("reconcile", "--dry-run", "--json")
	if !strings.Contains(out, `"error"`) || strings.Contains(out, `"panels"`) {
		t.Fatalf("dry run --json with a broken snapshot query: got %q, want only the error", out)
	}
}

// TestTuneGC checks serve's collector target: gcPercent unless the
// operator set GOGC or GOMEMLIMIT.
func TestTuneGC(t *testing.T) {
	was := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(was) })
	cases := map[string]struct {
		env  map[string]string
		want int
	}{
		"unset":      {nil, gcPercent},
		"GOGC":       {map[string]string{"GOGC": "100"}, 100},
		"GOMEMLIMIT": {map[string]string{"GOMEMLIMIT": "512MiB"}, 100},
	}
	for name, c := range cases {
		debug.SetGCPercent(100)
		tuneGC(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
		if got := debug.SetGCPercent(100); got != c.want {
			t.Errorf("%s: GC percent %d, want %d", name, got, c.want)
		}
	}
}
