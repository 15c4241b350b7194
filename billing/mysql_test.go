package billing_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"yardsync/billing"
	"yardsync/reconcile"
)

func TestMySQLFixture(t *testing.T) {
	t.Parallel()
	c := open(t, billing.Config{Driver: "mysql", DSN: mysqlBilling(t), Queries: fixtureQueries(t, "mysql.yaml")})
	testFixture(t, c, fixtureCase{
		uids: map[string][]int64{
			"+7 (910) 123-45-67": {1, 2}, // users_contacts; uid 4 is deleted
			"8(4932)55-66-77":    {2},    // second number of "a; b"
			"89105550001":        {3},    // legacy users_pi.phone "89105550001,8910"
			"+79105550005":       {5},
			"89105550006":        {6}, // "8 910 555 00 06 / +7 910 555 00 07"
			"9105550007":         {6},
			"89999999999":        {},
		},
		cams: map[int64]reconcile.CamsState{
			1:  {CamsOpen: true, CamsPaid: true}, // expire 0000-00-00: not set
			2:  {CamsOpen: true},                 // status 5: small deposit
			3:  {},
			4:  {}, // deleted
			5:  {CamsOpen: true, CamsPaid: true},
			6:  {CamsOpen: true}, // account disabled for debt
			99: {},
		},
		lists: []listCase{{name: "List", phone: "8-910-123-45-67", want: []reconcile.BillingRow{{
			Login: "ivanov", Address: "Иваново, ул. Ленина, 1, кв. 12",
			Internet: 550, TV: 199, Cams: 99, CamsName: "Умный домофон",
			Balans: 120.5, Payment: 728, Invoice: true, Receipt: true,
		}, {
			Login: "petrova", Address: "Иваново, ул. Ленина, 1, кв. 7а",
			Internet: 550, Cams: 99, CamsName: "Умный домофон",
			Balans: -35.25, Payment: 685, Invoice: true, Receipt: true,
		}}}, {name: "ListNoPersonalData", phone: "79105550005", want: []reconcile.BillingRow{{ // no users_pi, no bills row
			Login: "kuznetsov", Cams: 149.5, CamsData: "2099-12-31",
			CamsName: "Домофон+видео", Payment: 150, Invoice: true, Receipt: true,
		}}}},
		snapshot: []reconcile.Contract{
			{UID: 1, Flat: "12", CamsOpen: true, CamsPaid: true},
			{UID: 2, Flat: "7а", CamsOpen: true},
			{UID: 3, Flat: ""},
			{UID: 5, Flat: "", CamsOpen: true, CamsPaid: true},
			{UID: 6, Flat: "12/1", CamsOpen: true},
		},
	})
}

// mysqlConversions has every type a MySQL billing may return, columns in
// another order than the specification's.
const mysqlConversions = `SELECT b'1' AS receipt, 'Y' AS detail, 'f' AS invoice,
	CAST(7 AS UNSIGNED) AS payment, '12,50' AS balans, 42 AS camsname,
	CAST('0000-00-00 00:00:00' AS CHAR) AS camsdata, CAST(2.25 AS DOUBLE) AS cams, CAST(NULL AS DATE) AS phonedata,
	NULL AS phone, CAST('2025-01-02 13:45:00' AS DATETIME) AS tvdata, CAST(3 AS SIGNED) AS tv,
	CAST('2025-01-02' AS DATE) AS internetdata, CAST(1234.56 AS DECIMAL(12,2)) AS internet,
	fio AS address, CONCAT('x', @uid) AS LOGIN
	FROM users_pi WHERE uid = @uid`

func TestMySQLConversions(t *testing.T) {
	t.Parallel()
	dsn := mysqlBilling(t)
	ctx := context.Background()
	want := reconcile.BillingRow{
		Login: "x1", Address: "Иванов Иван", Internet: 1234.56, InternetData: "2025-01-02", TV: 3, TVData: "2025-01-02",
		Cams: 2.25, CamsName: "42", Balans: 12.5, Payment: 7, Invoice: false, Detail: true, Receipt: true,
	}
	// The cp1251 column reaches us as UTF-8 whether the server converts
	// (default utf8mb4 connection) or the connection itself speaks cp1251.
	for _, charset := range []string{"", "charset=cp1251"} {
		d := dsn
		if charset != "" {
			d += sep(d) + charset
		}
		c := open(t, billing.Config{Driver: "mysql", DSN: d, Queries: billing.Queries{Contract: mysqlConversions}})
		row, found, err := c.Contract(ctx, 1)
		if err != nil || !found {
			t.Fatalf("%s: Contract = %v, %v", charset, found, err)
		}
		if row != want {
			t.Errorf("%s: Contract:\n got %+v\nwant %+v", charset, row, want)
		}
	}
}

func sep(dsn string) string {
	if strings.Contains(dsn, "?") {
		return "&"
	}
	return "?"
}

func TestMySQLErrors(t *testing.T) {
	t.Parallel()
	dsn := mysqlBilling(t)
	ctx := context.Background()
	for _, tc := range errorCases(`SELECT SLEEP(3) = 0 AS cams_open, 1 AS cams_paid FROM users WHERE uid = @uid`) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := open(t, billing.Config{Driver: "mysql", DSN: dsn, Timeout: tc.deadline(), Queries: tc.queries})
			tc.check(t, c)
		})
	}
	t.Run("WriteFails", func(t *testing.T) {
		t.Parallel()
		c := open(t, billing.Config{Driver: "mysql", DSN: dsn, Queries: billing.Queries{
			Cams:     `DELETE FROM cams_main WHERE uid = @uid`,
			UIDs:     `SELECT 1 AS uid FROM users WHERE @phone <> ''; DELETE FROM users`,
			Snapshot: `UPDATE users SET deleted = 1`,
		}})
		if _, err := c.Cams(ctx, 1); !isUnavailable(err, "cams", "READ ONLY") {
			t.Errorf("DELETE: %v", err)
		}
		if _, err := c.UIDs(ctx, "89101234567"); !isUnavailable(err, "uids", "") {
			t.Errorf("two statements: %v", err)
		}
		if _, err := c.Snapshot(ctx); !isUnavailable(err, "snapshot", "READ ONLY") {
			t.Errorf("UPDATE: %v", err)
		}
		assertMySQLCount(t, dsn, "SELECT COUNT(*) FROM cams_main", 5)
		assertMySQLCount(t, dsn, "SELECT COUNT(*) FROM users WHERE deleted = 0", 5)
	})
	t.Run("QuestionMark", func(t *testing.T) {
		t.Parallel()
		c := open(t, billing.Config{Driver: "mysql", DSN: dsn, Queries: billing.Queries{UIDs: `SELECT uid FROM users WHERE id = ?`}})
		if _, err := c.UIDs(ctx, "89101234567"); !isUnavailable(err, "uids", "write @phone, @phone10 or @uid") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("NoPasswordInErrors", func(t *testing.T) {
		t.Parallel()
		c := open(t, billing.Config{Driver: "mysql", DSN: "root:s3cretpassw0rd@tcp(127.0.0.1:3306)/nosuchdb", Queries: fixtureQueries(t, "mysql.yaml")})
		_, err := c.UIDs(ctx, "89101234567")
		if !isUnavailable(err, "uids", "") || strings.Contains(err.Error(), "s3cretpassw0rd") {
			t.Errorf("err = %v", err)
		}
	})
}

func assertMySQLCount(t *testing.T, dsn, query string, want int) {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil || n != want {
		t.Errorf("%s = %d, %v; want %d", query, n, err, want)
	}
}
