package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"yardsync/api"
	"yardsync/billing"
	"yardsync/internal/access"
	"yardsync/internal/testdb"
	"yardsync/internal/testnet"
	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
	"yardsync/store"
	"yardsync/store/storetest"
)

var bg = context.Background()

// Test login: the hash is made at bcrypt's lowest cost to keep tests quick.
const (
	testUser     = "support"
	testPassword = "door-opens-42"
)

// world is a status page over a real store, billing database and panelsim
// fleet: two panels, a contract 501 (phone 89001234567) with a key on both.
type world struct {
	t      *testing.T
	db     *store.DB
	fleet  *panelsim.Fleet
	panels []int // device ids, fleet order
	runner *reconcile.Runner
	sched  *reconcile.Scheduler
	ui     *Handler
	bill   string // the billing database's DSN
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, db: storetest.MustOpenDB(t)}
	bill := w.openBilling()
	base, port := testnet.Base(t)
	var err error
	w.fleet, err = panelsim.StartFleet(bg, "beward", 2, base, port, panelsim.Options{Login: "admin", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.fleet.Close)
	w.addPanels()
	w.seedContract()
	dial := panels.Dialer(panels.Options{Port: port, Scheme: "http", Timeout: time.Second})
	contacts := reconcile.NewContactBatch(w.db, nil)
	w.runner = &reconcile.Runner{Billing: bill, Store: w.db, Dial: reconcile.RecordingDialer(dial, contacts, nil), Contacts: contacts,
		Opts: reconcile.Options{Concurrency: 4, PanelTimeout: time.Second, Retries: 0, Backoff: 10 * time.Millisecond,
			Prune: reconcile.PruneOwned, MaxRevoke: 0.5, LockWait: 10 * time.Second},
		Log: quiet()}
	w.startScheduler()
	w.ui = New(Options{Store: w.db, Users: testUsers(t), Sync: w.sched,
		PanelKeys: w.panelKeys(dial), UIDs: bill.UIDs,
		Explain: func(ctx context.Context, uid int64) (reconcile.Explanation, error) {
			return w.runner.Explain(ctx, uid, w.db)
		},
		Log: testLog(t)})
	return w
}

func (w *world) openBilling() *billing.Client {
	w.bill = testdb.Postgres(w.t)
	w.billingExec(`CREATE TABLE contracts (uid int PRIMARY KEY, phone text, flat text, cams_open boolean, cams_paid boolean);
		INSERT INTO contracts VALUES (501, '89001234567', '12', true, true)`)
	bill, err := billing.Open(bg, billing.Config{Driver: "postgres", DSN: w.bill, Timeout: 5 * time.Second, PhonePrefix: "8",
		Queries: billing.Queries{Snapshot: `SELECT uid, flat, cams_open, cams_paid FROM contracts`,
			UIDs: `SELECT uid FROM contracts WHERE phone = @phone`}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(bill.Close)
	return bill
}

// billingExec runs SQL on the billing database, e.g. to add a contract.
func (w *world) billingExec(sql string) {
	w.t.Helper()
	conn, err := pgx.Connect(bg, w.bill)
	if err != nil {
		w.t.Fatal(err)
	}
	defer conn.Close(bg)
	if _, err := conn.Exec(bg, sql); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) addPanels() {
	for i, addr := range w.fleet.Addrs() {
		host, _, _ := net.SplitHostPort(addr)
		id, err := w.db.AddDevice(bg, reconcile.Device{UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", rand.IntN(1e12)),
			Type: 1, IsActive: ptrTo(true), Title: ptrTo(fmt.Sprintf("Entrance %d", i+1)), PanelType: ptrTo(reconcile.PanelBeward),
			PanelIP: ptrTo(host), PanelLogin: ptrTo("admin"), PanelPasswd: ptrTo("secret")})
		if err != nil {
			w.t.Fatal(err)
		}
		w.panels = append(w.panels, id)
	}
}

func (w *world) seedContract() {
	if err := w.db.AddRights(bg, 501, w.panels); err != nil {
		w.t.Fatal(err)
	}
	if err := w.db.AddKey(bg, 501, "A1B2C3D4", nil); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) startScheduler() {
	w.sched = reconcile.NewScheduler(w.runner, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { defer close(done); _ = w.sched.Start(ctx) }()
	w.t.Cleanup(func() { cancel(); <-done })
}

// panelKeys reads a panel's keys live, as cmd/yardsync wires it.
func (w *world) panelKeys(dial reconcile.PanelDialer) func(context.Context, int) ([]reconcile.PanelKey, error) {
	looker := &reconcile.Runner{Store: w.db, Dial: dial, Opts: reconcile.Options{PanelTimeout: time.Second}, Log: quiet()}
	return func(ctx context.Context, id int) ([]reconcile.PanelKey, error) {
		dev, err := w.db.Device(ctx, id)
		if err != nil {
			return nil, err
		}
		pd, ok := dev.Panel()
		if !ok {
			return nil, fmt.Errorf("device %d is not a panel", id)
		}
		return looker.ListPanel(ctx, pd) // under the panel's lease, as serve's page reads it
	}
}

// sync makes a full run and waits for it.
func (w *world) sync() reconcile.Summary {
	w.t.Helper()
	s, err := w.sched.Sync(bg, 0, true)
	if err != nil {
		w.t.Fatal(err)
	}
	return s.Summary
}

// startRun records a run that has started and not ended.
func (w *world) startRun(trigger string) int64 {
	w.t.Helper()
	id, err := w.db.StartRun(bg, 0, trigger, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// finishRun records a whole run with its outcome and report entries
// (name, value, name, value...).
func (w *world) finishRun(trigger string, s reconcile.Summary, errText string, report ...any) int64 {
	w.t.Helper()
	s.RunID = w.startRun(trigger)
	r := map[string]any{}
	for i := 0; i+1 < len(report); i += 2 {
		r[report[i].(string)] = report[i+1]
	}
	if err := w.db.FinishRun(bg, s, errText, r); err != nil {
		w.t.Fatal(err)
	}
	return s.RunID
}

// Users of each role, with testPassword; testUser has none (every right).
const (
	viewerUser   = "watcher"
	operatorUser = "oncall"
	billingUser  = "axbills"
)

// testHash is testPassword's hash, one for every instance of a test (as
// instances share api.users): a new hash is a changed password.
var testHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// testUsers verifies logins as serve does, with api.users' verifier.
func testUsers(t *testing.T) Verifier {
	h := testHash()
	return api.NewUserVerifier(map[string]access.User{testUser: {Hash: h}, viewerUser: {Hash: h, Role: access.Viewer},
		operatorUser: {Hash: h, Role: access.Operator}, billingUser: {Hash: h, Role: access.Billing}})
}

// testLog shows the handler's own log in the test output.
func testLog(t *testing.T) *slog.Logger { return slog.New(slog.NewTextHandler(t.Output(), nil)) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func ptrTo[T any](v T) *T { return &v }
