package billing

import (
	"reflect"
	"strings"
	"testing"
)

func TestCompile(t *testing.T) {
	t.Parallel()
	all := []string{paramPhone, paramPhone10, paramUID}
	cases := []struct {
		name, in string
		d        dialect
		sql      string
		params   []string
	}{
		{"Postgres", "SELECT id FROM a WHERE p = @phone OR right(p, 10) = @phone10 OR id = @uid OR q = @phone",
			postgresDialect, "SELECT id FROM a WHERE p = $1 OR right(p, 10) = $2 OR id = $3 OR q = $4",
			[]string{"phone", "phone10", "uid", "phone"}},
		{"MySQL", "SELECT uid FROM u WHERE v REGEXP CONCAT(',[78]{0,1}', @phone10, ',') OR w = @phone10",
			mysqlDialect, "SELECT uid FROM u WHERE v REGEXP CONCAT(',[78]{0,1}', ?, ',') OR w = ?",
			[]string{"phone10", "phone10"}},
		{"Literals", `SELECT '@phone', 'it''s @uid', "@uid", x FROM t WHERE a = @uid`,
			postgresDialect, `SELECT '@phone', 'it''s @uid', "@uid", x FROM t WHERE a = $1`, []string{"uid"}},
		{"MySQLBackslash", `SELECT 'a\'@uid', ` + "`col@uid`" + ` FROM t WHERE a = @uid`,
			mysqlDialect, `SELECT 'a\'@uid', ` + "`col@uid`" + ` FROM t WHERE a = ?`, []string{"uid"}},
		{"PostgresE", `SELECT E'a\'@uid' WHERE a = @uid`, postgresDialect, `SELECT E'a\'@uid' WHERE a = $1`, []string{"uid"}},
		{"Comments", "SELECT 1 -- @phone\n/* @uid /* nested @uid */ still @uid */ WHERE a = @uid",
			postgresDialect, "SELECT 1 -- @phone\n/* @uid /* nested @uid */ still @uid */ WHERE a = $1", []string{"uid"}},
		{"MySQLHash", "SELECT 1 # @phone\nWHERE a = @uid", mysqlDialect, "SELECT 1 # @phone\nWHERE a = ?", []string{"uid"}},
		{"Dollar", "SELECT $f$ @uid $f$, $$@phone$$ WHERE a = @uid::bigint", postgresDialect,
			"SELECT $f$ @uid $f$, $$@phone$$ WHERE a = $1::bigint", []string{"uid"}},
		{"OtherAt", "SELECT @@session.time_zone, @myvar, @uidx, a@>b WHERE x = @uid", mysqlDialect,
			"SELECT @@session.time_zone, @myvar, @uidx, a@>b WHERE x = ?", []string{"uid"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := compile(tc.in, tc.d, all...)
			if err != nil {
				t.Fatal(err)
			}
			if got.sql != tc.sql || !reflect.DeepEqual(got.params, tc.params) {
				t.Errorf("compile(%q)\n got %q %v\nwant %q %v", tc.in, got.sql, got.params, tc.sql, tc.params)
			}
		})
	}
}

// @since is a point in time for either driver: a typed timestamp, never
// text the server reads in its own zone, and its query runs in UTC.
func TestCompileSince(t *testing.T) {
	t.Parallel()
	cases := []struct {
		d   dialect
		sql string
	}{
		{postgresDialect, "SELECT uid FROM l WHERE at > $1::timestamptz AND at < $2::timestamptz + interval '1 day'"},
		{mysqlDialect, "SELECT uid FROM l WHERE at > CAST(? AS DATETIME(6)) AND at < CAST(? AS DATETIME(6)) + interval '1 day'"},
	}
	for _, tc := range cases {
		got, err := compile("SELECT uid FROM l WHERE at > @since AND at < @since + interval '1 day'", tc.d, paramSince)
		if err != nil || got.sql != tc.sql || !reflect.DeepEqual(got.params, []string{"since", "since"}) || !got.utc {
			t.Errorf("dialect %d: got %q %v utc %t, %v\nwant %q [since since] utc true", tc.d, got.sql, got.params, got.utc, err, tc.sql)
		}
	}
	if got, _ := compile("SELECT uid FROM c WHERE uid = @uid", postgresDialect, paramUID); got.utc {
		t.Error("a query that takes no @since runs in UTC; want the billing's own session time zone")
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		d    dialect
		want string
	}{
		{"SELECT uid FROM u WHERE p = ?", mysqlDialect, "? placeholder"},
		{"SELECT uid FROM u WHERE p = $1", postgresDialect, "$1 placeholder"},
		{"SELECT uid FROM u WHERE id = @uid", postgresDialect, "@uid cannot be used here"},
	}
	for _, tc := range cases {
		_, err := compile(tc.in, tc.d, paramPhone, paramPhone10)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("compile(%q) err = %v, want %q", tc.in, err, tc.want)
		}
	}
	if _, err := compile("SELECT 1 WHERE a = '?' -- ?", mysqlDialect); err != nil {
		t.Errorf("? in a literal or comment: %v", err)
	}
}

func TestNarrowable(t *testing.T) {
	cases := []struct {
		name, query string
		d           dialect
		want        string // "" when the query can be narrowed
	}{
		{"Select", "SELECT id AS uid, flat, o AS cams_open, p AS cams_paid FROM c", postgresDialect, ""},
		{"WithAfterComments", "-- contracts\n/* all of them */ WITH x AS (SELECT 1 AS uid) SELECT * FROM x", postgresDialect, ""},
		{"Parenthesised", "(SELECT 1 AS uid) UNION (SELECT 2)", mysqlDialect, ""},
		{"QuotedLowerUID", `SELECT id AS "uid" FROM c`, postgresDialect, ""},
		{"UIDInLiteralOrComment", `SELECT id AS uid, '"UID" SQL_NO_CACHE' AS flat /* "UID" */ FROM c`, postgresDialect, ""},
		{"BacktickUpperUID", "SELECT id AS `UID` FROM c", mysqlDialect, ""},
		{"MySQLOptionInLiteral", "SELECT uid, 'SQL_NO_CACHE' AS flat FROM c # SQL_CACHE", mysqlDialect, ""},
		{"ErrQuotedUpperUID", `SELECT id AS "UID" FROM c`, postgresDialect, `column "UID"`},
		{"ErrNoCache", "SELECT sql_no_cache uid FROM c", mysqlDialect, "SQL_NO_CACHE is allowed only in the outermost SELECT"},
		{"ErrCalcFoundRows", "SELECT SQL_CALC_FOUND_ROWS uid FROM c", mysqlDialect, "SQL_CALC_FOUND_ROWS"},
		{"ErrTable", "TABLE contracts", postgresDialect, "does not start with SELECT or WITH"},
		{"ErrCall", "CALL snapshot()", mysqlDialect, "does not start with SELECT or WITH"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := narrowable(tc.query, tc.d)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("got %v, want narrowable", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
