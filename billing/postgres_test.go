package billing_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"yardsync/billing"
	"yardsync/reconcile"
)

func TestPostgresFixture(t *testing.T) {
	t.Parallel()
	c := open(t, billing.Config{Driver: "postgres", DSN: postgresBilling(t), Queries: fixtureQueries(t, "postgres.yaml")})
	testFixture(t, c, fixtureCase{
		uids: map[string][]int64{
			"+7 (910) 123-45-67": {1001, 1002}, // 1002 lists it as 8-910-…; 1004 is deleted
			"8(4932)55-66-77":    {1002},       // second number of a "a; b" field
			"89105550002":        {1003},       // second of "a,b"
			"+7 910 555 00 01":   {1003},
			"9101112233":         {1005}, // stored without 8
			"89999999999":        {},
		},
		cams: map[int64]reconcile.CamsState{
			1001: {CamsOpen: true, CamsPaid: true},
			1002: {CamsOpen: true}, // blocked
			1003: {},               // no intercom service
			1005: {CamsOpen: true, CamsPaid: true},
			1006: {CamsOpen: true}, // paid till 2020
			1004: {},               // deleted: no row
			9999: {},               // unknown: no row
		},
		lists: []listCase{{name: "List", phone: "89101234567", want: []reconcile.BillingRow{{
			Login: "ivanov", Address: "Иваново, ул. Ленина, д. 1, кв. 12",
			Internet: 550, InternetData: "2099-12-31", TV: 199, TVData: "",
			Cams: 99, CamsData: "2099-12-31", CamsName: "Умный домофон",
			Balans: 120.5, Payment: 727.5, Invoice: true, Detail: true, Receipt: true,
		}, {
			Login: "petrova", Address: "Иваново, ул. Ленина, д. 1, кв. 7а",
			Internet: 450, InternetData: "2099-12-31",
			Cams: 99, CamsData: "2099-12-31", CamsName: "Умный домофон",
			Balans: -35, Payment: 584,
		}}}, {name: "ListNulls", phone: "79105550001", want: []reconcile.BillingRow{ // no flat, NULL balance and detail
			{Login: "sidorov", Address: "Иваново, ул. Мира, д. 5", Internet: 450, Payment: 450},
		}}},
		snapshot: []reconcile.Contract{
			{UID: 1001, Flat: "12", CamsOpen: true, CamsPaid: true},
			{UID: 1002, Flat: "7а", CamsOpen: true},
			{UID: 1003, Flat: ""},
			{UID: 1005, Flat: "12/1", CamsOpen: true, CamsPaid: true},
			{UID: 1006, Flat: "5", CamsOpen: true},
		},
	})
	t.Run("ListInfinity", func(t *testing.T) {
		t.Parallel()
		got, err := c.List(context.Background(), "9101112233")
		if err != nil || len(got) != 1 {
			t.Fatalf("List = %+v, %v", got, err)
		}
		if got[0].TVData != "" || got[0].TV != 299.99 || got[0].Cams != 149.5 {
			t.Errorf("infinity date and DECIMAL: got %+v", got[0])
		}
	})
}

func TestPostgresConversions(t *testing.T) {
	t.Parallel()
	dsn := postgresBilling(t)
	c := open(t, billing.Config{Driver: "postgres", DSN: dsn, Queries: billing.Queries{
		// Columns in another order than the specification's, every type a billing may use.
		Contract: `SELECT 1 AS receipt, 'Y' AS detail, 't'::text AS invoice,
			7::bigint AS payment, '12.50'::text AS balans, 42 AS camsname,
			'-infinity'::date AS camsdata, 2.25::float8 AS cams, NULL::date AS phonedata,
			NULL::numeric AS phone, '2025-01-02 13:45:00'::timestamp AS tvdata, 3::smallint AS tv,
			'2025-01-02'::date AS internetdata, 1234.56::numeric(12,2) AS internet,
			NULL::text AS address, 'x' || @uid AS "Login"
			WHERE @uid = 7`,
		Snapshot: `SELECT 5::numeric AS uid, 12 AS flat, 'f' AS cams_open, false AS cams_paid
			UNION ALL SELECT 6, 12.5, 'N', '0'::char(1) = '0'`,
	}})
	ctx := context.Background()
	row, found, err := c.Contract(ctx, 7)
	if err != nil || !found {
		t.Fatalf("Contract = %v, %v", found, err)
	}
	want := reconcile.BillingRow{
		Login: "x7", Internet: 1234.56, InternetData: "2025-01-02", TV: 3, TVData: "2025-01-02",
		Cams: 2.25, CamsName: "42", Balans: 12.5, Payment: 7, Invoice: true, Detail: true, Receipt: true,
	}
	if row != want {
		t.Errorf("Contract:\n got %+v\nwant %+v", row, want)
	}
	if _, found, err := c.Contract(ctx, 8); err != nil || found {
		t.Errorf("Contract(8) = %v, %v; want not found", found, err)
	}
	snap, err := c.Snapshot(ctx)
	wantSnap := []reconcile.Contract{{UID: 5, Flat: "12"}, {UID: 6, Flat: "12.5", CamsPaid: true}}
	if err != nil || !reflect.DeepEqual(snap, wantSnap) {
		t.Errorf("Snapshot = %+v, %v; want %+v", snap, err, wantSnap)
	}
}

func TestPostgresErrors(t *testing.T) {
	t.Parallel()
	dsn := postgresBilling(t)
	ctx := context.Background()
	for _, tc := range errorCases(`SELECT pg_sleep(3) IS NOT NULL AS cams_open, true AS cams_paid WHERE @uid > 0`) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := open(t, billing.Config{Driver: "postgres", DSN: dsn, Timeout: tc.deadline(), Queries: tc.queries})
			tc.check(t, c)
		})
	}
	t.Run("WriteFails", func(t *testing.T) {
		t.Parallel()
		c := open(t, billing.Config{Driver: "postgres", DSN: dsn, Queries: billing.Queries{
			Snapshot: `WITH d AS (DELETE FROM services RETURNING abonent_id)
				SELECT abonent_id AS uid, '' AS flat, true AS cams_open, true AS cams_paid FROM d`,
			Cams: `SELECT nextval('services_id_seq') > 0 AS cams_open, true AS cams_paid WHERE @uid > 0`,
			UIDs: `SELECT 1 AS uid WHERE @phone <> ''; DELETE FROM services`,
		}})
		if _, err := c.Snapshot(ctx); !isUnavailable(err, "snapshot", "read-only") {
			t.Errorf("DELETE: %v", err)
		}
		if _, err := c.Cams(ctx, 1); !isUnavailable(err, "cams", "read-only") {
			t.Errorf("nextval: %v", err)
		}
		if _, err := c.UIDs(ctx, "89101234567"); !isUnavailable(err, "uids", "") {
			t.Errorf("two statements: %v", err)
		}
		assertPostgresCount(t, dsn, "SELECT count(*) FROM services", 10)
	})
	t.Run("NoPasswordInErrors", func(t *testing.T) {
		t.Parallel()
		bad := "postgres://postgres:s3cretpassw0rd@127.0.0.1:1/billing?sslmode=disable"
		c := open(t, billing.Config{Driver: "postgres", DSN: bad, Queries: fixtureQueries(t, "postgres.yaml")})
		_, err := c.UIDs(ctx, "89101234567")
		if !isUnavailable(err, "uids", "") || strings.Contains(err.Error(), "s3cretpassw0rd") {
			t.Errorf("err = %v", err)
		}
	})
}

func assertPostgresCount(t *testing.T, dsn, query string, want int) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil || n != want {
		t.Errorf("%s = %d, %v; want %d", query, n, err, want)
	}
}

// isUnavailable reports whether err wraps ErrUnavailable and names the query
// and the expected words.
func isUnavailable(err error, query, words string) bool {
	return err != nil && errors.Is(err, reconcile.ErrUnavailable) &&
		strings.Contains(err.Error(), "query "+query) && strings.Contains(err.Error(), words)
}
