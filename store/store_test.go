package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"

	"yardsync/internal/testdb"
	"yardsync/reconcile"
	"yardsync/store"
	"yardsync/store/storetest"
)

var ctx = context.Background()

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestMigrateEmpty(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	types, err := db.Types(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Type{{1, "cam"}, {2, "mewcam"}, {3, "lock"}}
	if len(types) != 3 || types[0] != want[0] || types[1] != want[1] || types[2] != want[2] {
		t.Fatalf("got types %v, want %v", types, want)
	}
	if err := db.Migrate(ctx, quiet()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

// columns describes every column of the SmartYard tables, to prove the
// migrations leave them exactly as the dump made them.
func columns(t *testing.T, dsn string) string {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var out string
	err = conn.QueryRow(ctx, `
		SELECT string_agg(table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, ''), E'\n' ORDER BY table_name, ordinal_position)
		FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name NOT LIKE 'yardsync%'`).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	var types string
	if err := conn.QueryRow(ctx, `SELECT string_agg(id || type, ',' ORDER BY id) FROM types`).Scan(&types); err != nil {
		t.Fatal(err)
	}
	return out + "\n" + types
}

func TestMigrateOnSmartYardDump(t *testing.T) {
	t.Parallel()
	dsn := testdb.Postgres(t)
	testdb.LoadSmartYard(t, dsn)
	before := columns(t, dsn)
	db := storetest.MustOpenDSN(t, dsn)
	if err := db.Migrate(ctx, quiet()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if after := columns(t, dsn); after != before {
		t.Fatalf("migrations changed SmartYard tables:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	id, err := db.AddDevice(ctx, reconcile.Device{UUID: "8ee703fe-5e92-4f6e-a6bb-e194a8825be4", Type: 1, PanelIP: ptr("192.168.1.1"), RecordDays: ptr(10)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Device(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.PanelIP == nil || *d.PanelIP != "192.168.1.1" || d.RecordDays == nil || *d.RecordDays != 10 {
		t.Fatalf("got device %+v", d)
	}
}

func TestDevices(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	cam, err := db.AddDevice(ctx, reconcile.Device{UUID: "8ee703fe-5e92-4f6e-a6bb-e194a8825be4", Type: 1, DomophoneID: ptr(1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrDuplicateUUID", func(t *testing.T) {
		_, err := db.AddDevice(ctx, reconcile.Device{UUID: "8ee703fe-5e92-4f6e-a6bb-e194a8825be4", Type: 1})
		if !errors.Is(err, reconcile.ErrConflict) {
			t.Fatalf("got %v, want conflict", err)
		}
	})
	t.Run("ErrDuplicateDomophone", func(t *testing.T) {
		_, err := db.AddDevice(ctx, reconcile.Device{UUID: "9ee703fe-5e92-4f6e-a6bb-e194a8825be4", Type: 1, DomophoneID: ptr(1)})
		if !errors.Is(err, reconcile.ErrConflict) {
			t.Fatalf("got %v, want conflict", err)
		}
	})
	lock, err := db.AddDevice(ctx, reconcile.Device{UUID: "aee703fe-5e92-4f6e-a6bb-e194a8825be4", Type: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddDoor(ctx, reconcile.Door{DeviceID: lock, Cam: cam, Open: "http://x/open"}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddRights(ctx, 77, []int{cam, lock}); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrTypeChangeBreaksDoor", func(t *testing.T) {
		err := db.UpdateDevice(ctx, lock, func(d *reconcile.Device) error { d.Type = 1; return nil })
		if !errors.Is(err, reconcile.ErrUnprocessable) {
			t.Fatalf("got %v, want unprocessable", err)
		}
	})
	t.Run("DeleteCascades", func(t *testing.T) {
		uids, err := db.DeleteDevice(ctx, lock)
		if err != nil {
			t.Fatal(err)
		}
		if len(uids) != 1 || uids[0] != 77 {
			t.Fatalf("got uids %v, want [77]", uids)
		}
		doors, _ := db.Doors(ctx)
		rights, _ := db.Rights(ctx, 77)
		if len(doors) != 0 || len(rights) != 1 || rights[0].DeviceID != cam {
			t.Fatalf("got doors %v rights %v", doors, rights)
		}
	})
	t.Run("ErrDeleteUnknown", func(t *testing.T) {
		if _, err := db.DeleteDevice(ctx, 999); !errors.Is(err, reconcile.ErrNotFound) {
			t.Fatalf("got %v, want not found", err)
		}
	})
}

func TestKeys(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	// A key written by SmartYard as 4 bytes is the same code as our 7-byte form.
	if _, err := db.Pool().Exec(ctx, `INSERT INTO keys (key, uid, comment) VALUES ('\xdeadbeef'::bytea, 5, 'old')`); err != nil {
		t.Fatal(err)
	}
	keys, err := db.Keys(ctx, 5)
	if err != nil || len(keys) != 1 || keys[0].Code != "000000DEADBEEF" {
		t.Fatalf("got %v %v", keys, err)
	}
	comment := "new"
	if err := db.AddKey(ctx, 5, "000000DEADBEEF", &comment); err != nil {
		t.Fatal(err)
	}
	keys, _ = db.Keys(ctx, 5)
	if len(keys) != 1 || *keys[0].Comment != "new" {
		t.Fatalf("got %v, want one key with the new comment", keys)
	}
	if err := db.DeleteKey(ctx, 5, "000000DEADBEEF"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteKey(ctx, 5, "000000DEADBEEF"); !errors.Is(err, reconcile.ErrNotFound) {
		t.Fatalf("got %v, want not found", err)
	}
}

func TestKeysSharing(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	// uid 2 holds uid 1's code in SmartYard's short form; uid 3 an unrelated key.
	for _, q := range []string{
		`INSERT INTO keys (key, uid) VALUES ('\x000000deadbeef'::bytea, 1), ('\x0000000000aa01'::bytea, 1)`,
		`INSERT INTO keys (key, uid) VALUES ('\xdeadbeef'::bytea, 2), ('\x0000000000bb02'::bytea, 2)`,
		`INSERT INTO keys (key, uid) VALUES ('\x0000000000cc03'::bytea, 3)`,
	} {
		if _, err := db.Pool().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.KeysSharing(ctx, []int64{1})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[1]) != 2 || len(got[2]) != 2 || got[2][1] != "000000DEADBEEF" {
		t.Fatalf("got %v, want uids 1 and 2 with both their codes", got)
	}
	if got, _ := db.KeysSharing(ctx, []int64{9}); len(got) != 0 {
		t.Fatalf("a uid without keys: got %v", got)
	}
}

func ptr[T any](v T) *T { return &v }

// TestKeyForms: keys stay the bytes they were given, and two stored forms of
// one code are one key to the reconciler.
func TestKeyForms(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	if err := db.AddKey(ctx, 1, "0a1b2c3d4e", nil); err != nil {
		t.Fatal(err)
	}
	// Another writer stored the same code in 6 bytes for another uid, and in both forms for uid 2.
	if _, err := db.Pool().Exec(ctx, `INSERT INTO keys (key, uid) VALUES ('\x000a1b2c3d4e'::bytea, 2), ('\x0a1b2c3d4e'::bytea, 2), ('\x01'::bytea, 3)`); err != nil {
		t.Fatal(err)
	}
	keys, err := db.Keys(ctx, 1)
	if err != nil || len(keys) != 1 || keys[0].Stored != "0a1b2c3d4e" || keys[0].Code != "00000A1B2C3D4E" {
		t.Fatalf("got %+v %v, want the 5 bytes given, normalised code 00000A1B2C3D4E", keys, err)
	}
	all, err := db.AllKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all[2]) != 1 || all[2][0] != "00000A1B2C3D4E" || len(all[3]) != 1 || all[3][0] != "00000000000001" {
		t.Fatalf("AllKeys: got %v, want uid 2's two forms as one normalised code", all)
	}
	sharing, err := db.KeysSharing(ctx, []int64{1})
	if err != nil {
		t.Fatal(err)
	}
	if len(sharing) != 2 || len(sharing[2]) != 1 || sharing[2][0] != "00000A1B2C3D4E" {
		t.Fatalf("KeysSharing: got %v, want uids 1 and 2, uid 2's forms as one code", sharing)
	}
	if err := db.AddKey(ctx, 1, "0123456789abcdef", nil); !errors.Is(err, reconcile.ErrInvalid) {
		t.Fatalf("an 8-byte key: got %v, want invalid", err)
	}
}

// TestMigrateKeepsKeyBytes: keys the reference server stored, in whatever
// length, keep their bytes through every migration; readers look them up so.
func TestMigrateKeepsKeyBytes(t *testing.T) {
	t.Parallel()
	dsn := testdb.Postgres(t)
	testdb.LoadSmartYard(t, dsn)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	keys := func() string {
		var s string
		if err := conn.QueryRow(ctx, `SELECT string_agg(encode(key, 'hex'), ',' ORDER BY uid, key) FROM keys`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := conn.Exec(ctx, `INSERT INTO keys (key, uid) VALUES ('\x0a1b2c3d4e', 1), ('\x000a1b2c3d4e', 1), ('\x01', 2), ('\x00000000deadbeef', 3)`); err != nil {
		t.Fatal(err)
	}
	before := keys()
	storetest.MustOpenDSN(t, dsn)
	if after := keys(); after != before {
		t.Fatalf("migrations changed key bytes: before %s, after %s", before, after)
	}
}
