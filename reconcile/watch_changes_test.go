package reconcile_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"yardsync/billing"
	"yardsync/internal/testdb"
	"yardsync/reconcile"
)

// The change-log queries the tests read: uid alone, as the simplest logs
// answer, and uid with the change's time, as docs/billing.md recommends.
const (
	logUIDs      = `SELECT uid FROM changes WHERE changed_at > @since`
	logWithTimes = `SELECT uid, changed_at FROM changes WHERE changed_at > @since`
)

// t0 is when the watch starts in these tests; nothing here reads the
// databases' clocks, so it need not be now.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// logBilling is a billing whose change log is the table changes (uid,
// changed_at), with changed_at in UTC in a column without a zone
// (PostgreSQL timestamp, MariaDB DATETIME), as docs/billing.md asks.
type logBilling struct {
	*billing.Client
	add func(uid int64, at time.Time) // a row the billing commits now, stamped at
}

// newLogBilling makes one on "postgres" or "mysql". zone, when set, is the
// billing sessions' time zone, and for MySQL the DSN also says loc=Local.
func newLogBilling(t *testing.T, driver, query, zone string) logBilling {
	t.Helper()
	var dsn string
	var add func(uid int64, at time.Time)
	if driver == "postgres" {
		dsn, add = pgChangeLog(t, zone)
	} else {
		dsn, add = myChangeLog(t, zone)
	}
	b, err := billing.Open(bg, billing.Config{Driver: driver, DSN: dsn, Timeout: 5 * time.Second,
		Queries: billing.Queries{Changes: query}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return logBilling{Client: b, add: add}
}

// utcText is a time as a zoneless column holding UTC stores it.
func utcText(at time.Time) string { return at.UTC().Format("2006-01-02 15:04:05.999999") }

func pgChangeLog(t *testing.T, zone string) (string, func(int64, time.Time)) {
	dsn := testdb.Postgres(t)
	conn, err := pgx.Connect(bg, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(bg) })
	mustExec(t, conn, `CREATE TABLE changes (uid int, changed_at timestamp)`)
	add := func(uid int64, at time.Time) {
		mustExec(t, conn, `INSERT INTO changes VALUES ($1, $2::text::timestamp)`, uid, utcText(at))
	}
	if zone == "" {
		return dsn, add
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("timezone", zone)
	u.RawQuery = q.Encode()
	return u.String(), add
}

func myChangeLog(t *testing.T, zone string) (string, func(int64, time.Time)) {
	dsn := testdb.MySQL(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE changes (uid INT, changed_at DATETIME(6))`); err != nil {
		t.Fatal(err)
	}
	add := func(uid int64, at time.Time) {
		if _, err := db.Exec(`INSERT INTO changes VALUES (?, ?)`, uid, utcText(at)); err != nil {
			t.Fatal(err)
		}
	}
	if zone == "" {
		return dsn, add
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Loc = time.Local
	cfg.Params = map[string]string{"time_zone": "'" + t0.In(loc).Format("-07:00") + "'"}
	return cfg.FormatDSN(), add
}

// logWatch watches a change log every second with the default overlap of
// two minutes, on a clock that starts at start and moves only by tick.
type logWatch struct {
	w   *reconcile.Watcher
	rec *watchRecorder
	now time.Time
}

func newLogWatch(lb logBilling, start time.Time) *logWatch {
	lw := &logWatch{rec: &watchRecorder{}, now: start}
	lw.w = newWatcher(nil, lb, lw.rec)
	lw.w.Overlap = 2 * time.Minute
	lw.w.Now = func() time.Time { return lw.now }
	return lw
}

// tick moves the clock by d and ticks; the first tick is the baseline.
func (lw *logWatch) tick(d time.Duration) []int64 {
	lw.now = lw.now.Add(d)
	return lw.w.Tick(bg)
}

// ticks ticks every d until the clock reads until, expecting nothing to run.
func (lw *logWatch) ticks(t *testing.T, d time.Duration, until time.Time) {
	t.Helper()
	for lw.now.Add(d).Compare(until) <= 0 {
		if got := lw.tick(d); got != nil {
			t.Fatalf("tick at t0+%s: got %v, want nothing", lw.now.Sub(t0), got)
		}
	}
}

func want(t *testing.T, what string, got []int64, want ...int64) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

func TestWatchChangeLogLate(t *testing.T) {
	for _, driver := range []string{"postgres", "mysql"} {
		t.Run(driver, func(t *testing.T) {
			t.Run("CommittedLate", func(t *testing.T) {
				lb := newLogBilling(t, driver, logUIDs, "")
				lw := newLogWatch(lb, t0)
				lw.tick(0)
				lw.ticks(t, time.Second, t0.Add(6*time.Second))
				lb.add(4, t0.Add(time.Second)) // stamped at t0+1s, committed after the tick at t0+6s
				want(t, "a row committed 5s after its timestamp", lw.tick(time.Second), 4)
				lw.ticks(t, time.Second, t0.Add(10*time.Second))
			})
			t.Run("StampedInThePast", func(t *testing.T) {
				lb := newLogBilling(t, driver, logUIDs, "")
				lw := newLogWatch(lb, t0)
				lw.tick(0)
				lw.ticks(t, time.Second, t0.Add(5*time.Second))
				lb.add(6, t0.Add(2500*time.Millisecond)) // at t0+5.5s, stamped 3s earlier
				want(t, "a row stamped 3s in the past", lw.tick(time.Second), 6)
				lw.ticks(t, time.Second, t0.Add(10*time.Second))
			})
			t.Run("RunsOnceInsideTheOverlap", func(t *testing.T) {
				lb := newLogBilling(t, driver, logWithTimes, "")
				lw := newLogWatch(lb, t0)
				lw.tick(0)
				lb.add(4, t0.Add(500*time.Millisecond))
				want(t, "a new row", lw.tick(time.Second), 4)
				lw.ticks(t, time.Second, t0.Add(5*time.Second))
				lw.ticks(t, 10*time.Second, t0.Add(155*time.Second)) // the window passes the row at t0+2m0.5s+1s
				lb.add(4, lw.now.Add(-time.Second))
				lb.add(5, lw.now.Add(-time.Second))
				want(t, "a second change of uid 4, and uid 5", lw.tick(time.Second), 4, 5)
				lb.add(4, lw.now.Add(-time.Second))
				want(t, "a third change of uid 4 inside the overlap: its row changed", lw.tick(time.Second), 4)
				lw.ticks(t, time.Second, lw.now.Add(5*time.Second))
			})
			t.Run("UIDOnly", func(t *testing.T) {
				lb := newLogBilling(t, driver, logUIDs, "")
				lw := newLogWatch(lb, t0)
				lw.tick(0)
				lb.add(4, t0.Add(500*time.Millisecond))
				want(t, "a new row", lw.tick(time.Second), 4)
				lb.add(4, t0.Add(1500*time.Millisecond))
				want(t, "uid 4 again inside the overlap: the same row (uid alone)", lw.tick(time.Second))
				lw.ticks(t, 20*time.Second, t0.Add(202*time.Second)) // the window has passed both rows
				lb.add(4, lw.now.Add(-time.Second))
				want(t, "uid 4 after its rows aged out", lw.tick(time.Second), 4)
			})
			t.Run("Baseline", func(t *testing.T) {
				lb := newLogBilling(t, driver, logWithTimes, "")
				lb.add(3, t0.Add(-30*time.Second))
				lw := newLogWatch(lb, t0)
				if got := lw.tick(0); got != nil || lw.rec.fulls != 1 {
					t.Fatalf("first tick: got %v and %d full runs, want the baseline and one full run", got, lw.rec.fulls)
				}
				want(t, "a row the full run covers", lw.tick(time.Second))
				lb.add(5, t0.Add(-30*time.Second)) // committed after the baseline
				want(t, "a row committed after the baseline", lw.tick(time.Second), 5)
				if len(lw.rec.batches) != 1 || lw.rec.fulls != 1 {
					t.Fatalf("batches %v, %d full runs: want one batch of [5] and one full run", lw.rec.batches, lw.rec.fulls)
				}
			})
		})
	}
}

// zoneChild is set in the environment of the test binary run again under
// another TZ, to run the scenario of TestWatchChangeLogZone there.
const zoneChild = "YARDSYNC_TEST_WATCH_ZONE_CHILD"

// A daemon whose local time is Moscow's or New York's, over a billing whose
// sessions are on the same time, reads a change log stamped in UTC in a
// column without a zone. The test binary runs again under each TZ, so
// time.Local is that zone from the start, as in the daemon.
func TestWatchChangeLogZone(t *testing.T) {
	if os.Getenv(zoneChild) != "" {
		watchInLocalZone(t)
		return
	}
	for _, zone := range []string{"Europe/Moscow", "America/New_York"} {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestWatchChangeLogZone$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "TZ="+zone, zoneChild+"=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("under TZ=%s: %v\n%s", zone, err, out)
			}
			for _, driver := range []string{"postgres", "mysql"} {
				if pass := fmt.Sprintf("--- PASS: TestWatchChangeLogZone/%s", driver); !bytes.Contains(out, []byte(pass)) {
					t.Fatalf("under TZ=%s: no %q in\n%s", zone, pass, out)
				}
			}
		})
	}
}

// watchInLocalZone is the scenario, run in the child.
func watchInLocalZone(t *testing.T) {
	zone := os.Getenv("TZ")
	start := t0.In(time.Local)
	if _, off := start.Zone(); off == 0 {
		t.Fatalf("TZ=%q: time.Local is UTC, want the zone", zone)
	}
	for _, driver := range []string{"postgres", "mysql"} {
		t.Run(driver, func(t *testing.T) {
			lb := newLogBilling(t, driver, logUIDs, zone)
			lw := newLogWatch(lb, start)
			lw.tick(0)
			lb.add(5, t0.Add(-time.Hour))
			lb.add(7, t0.Add(time.Second))
			want(t, "a row stamped 1s after the start; none an hour before", lw.tick(2*time.Second), 7)
			want(t, "the next tick", lw.tick(time.Second))
		})
	}
}
