package billing_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"yardsync/billing"
	"yardsync/reconcile"
)

func TestFileDemo(t *testing.T) {
	t.Parallel()
	c := open(t, billing.Config{Driver: "file", Path: fixture("demo.yaml")})
	ctx := context.Background()
	uids, err := c.UIDs(ctx, "+7 910 000 00 01")
	if err != nil || !reflect.DeepEqual(uids, []int64{101, 102}) {
		t.Errorf("UIDs = %v, %v; want [101 102]", uids, err)
	}
	if uids, _ := c.UIDs(ctx, "84932556602"); !reflect.DeepEqual(uids, []int64{102}) {
		t.Errorf("second number of an entry: UIDs = %v", uids)
	}
	snap, err := c.Snapshot(ctx)
	if err != nil || len(snap) != 30 {
		t.Fatalf("Snapshot = %d contracts, %v", len(snap), err)
	}
	counts := map[string]int{}
	for _, k := range snap {
		switch {
		case k.Active():
			counts["active"]++
		case k.CamsOpen:
			counts["unpaid"]++
		default:
			counts["off"]++
		}
		if k.UID == 124 && k.Flat != "12/1" {
			t.Errorf("uid 124 flat = %q", k.Flat)
		}
	}
	if !reflect.DeepEqual(counts, map[string]int{"active": 24, "unpaid": 3, "off": 3}) {
		t.Errorf("counts = %v", counts)
	}
	rows, err := c.List(ctx, "89100000001")
	if err != nil || len(rows) != 2 || rows[0].Login != "demo101" || rows[0].CamsName != "Умный домофон" {
		t.Errorf("List = %+v, %v", rows, err)
	}
	if st, err := c.Cams(ctx, 126); err != nil || st != (reconcile.CamsState{CamsOpen: true}) {
		t.Errorf("Cams(126) = %+v, %v", st, err)
	}
}

func TestFileReloadAndErrors(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "billing.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("contracts:\n  - {uid: 1, phones: ['8-910-123-45-67, +7 910 765 43 21'], flat: 7, cams_open: true, cams_paid: true, internetdata: '0000-00-00'}\n")
	c := open(t, billing.Config{Driver: "file", Path: path})
	ctx := context.Background()
	if uids, err := c.UIDs(ctx, "89107654321"); err != nil || !reflect.DeepEqual(uids, []int64{1}) {
		t.Errorf("UIDs = %v, %v", uids, err)
	}
	if snap, _ := c.Snapshot(ctx); len(snap) != 1 || snap[0].Flat != "7" {
		t.Errorf("Snapshot = %+v", snap)
	}
	write("contracts:\n  - {uid: 1, phones: ['89101234567'], cams_open: true}\n  - {uid: 2, phones: ['89101234567']}\n")
	future := time.Now().Add(time.Minute)
	_ = os.Chtimes(path, future, future)
	if uids, err := c.UIDs(ctx, "89101234567"); err != nil || !reflect.DeepEqual(uids, []int64{1, 2}) {
		t.Errorf("after the file changed: UIDs = %v, %v", uids, err)
	}
	write("contracts:\n  - {uid: 1, phones: ['not a phone']}\n")
	_ = os.Chtimes(path, future.Add(time.Minute), future.Add(time.Minute))
	if _, err := c.Snapshot(ctx); !errors.Is(err, reconcile.ErrUnavailable) {
		t.Errorf("broken file: err = %v", err)
	}
	if _, err := billing.Open(ctx, billing.Config{Driver: "file", Path: filepath.Join(t.TempDir(), "none.yaml")}); !errors.Is(err, reconcile.ErrUnavailable) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := billing.Open(ctx, billing.Config{}); !errors.Is(err, reconcile.ErrUnavailable) {
		t.Errorf("no driver: %v", err)
	}
	if _, err := billing.Open(ctx, billing.Config{Driver: "oracle"}); !errors.Is(err, reconcile.ErrInvalid) {
		t.Errorf("unknown driver: %v", err)
	}
	if _, err := billing.Open(ctx, billing.Config{Driver: "mysql", DSN: "root@tcp(127.0.0.1:3306)/x?charset=big5"}); !errors.Is(err, reconcile.ErrInvalid) {
		t.Errorf("unsupported charset: %v", err)
	}
	// A parameter the DSN's query cannot carry is said, not read as "no charset".
	_, err := billing.Open(ctx, billing.Config{Driver: "mysql", DSN: "root@tcp(127.0.0.1:3306)/x?charset=cp1251;koi8r"})
	if !errors.Is(err, reconcile.ErrInvalid) || !strings.Contains(err.Error(), "billing: dsn: its parameters do not parse") {
		t.Errorf("unparsable parameters: %v, want ErrInvalid saying the dsn's parameters do not parse", err)
	}
}
