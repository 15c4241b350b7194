package billing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"yardsync/billing"
	"yardsync/reconcile"
)

// errorCase is a broken configuration and what a call must say about it;
// the same cases run on PostgreSQL and MariaDB.
type errorCase struct {
	name    string
	queries billing.Queries
	check   func(t *testing.T, c *billing.Client)
}

// deadline is the case's billing.timeout: short only where the deadline is
// the point, so a loaded machine does not turn another error into a timeout.
func (tc errorCase) deadline() time.Duration {
	if tc.name == "Timeout" {
		return 300 * time.Millisecond
	}
	return 10 * time.Second
}

func errorCases(sleepCams string) []errorCase {
	ctx := context.Background()
	uids := func(q, words string) func(t *testing.T, c *billing.Client) {
		return func(t *testing.T, c *billing.Client) {
			if _, err := c.UIDs(ctx, "89101234567"); !isUnavailable(err, "uids", words) {
				t.Errorf("UIDs err = %v; want ErrUnavailable naming query uids and %q", err, words)
			}
		}
	}
	return []errorCase{
		{"NotConfigured", billing.Queries{}, func(t *testing.T, c *billing.Client) {
			_, err := c.Cams(ctx, 1)
			if !errors.Is(err, reconcile.ErrUnavailable) || err.Error() != "billing: query cams is not configured" {
				t.Errorf("err = %v", err)
			}
			if _, err := c.Snapshot(ctx); !isUnavailable(err, "snapshot is not configured", "") {
				t.Errorf("err = %v", err)
			}
		}},
		{"Syntax", billing.Queries{UIDs: "SELEC uid FROM nowhere WHERE x = @phone"}, uids("", "SELEC")},
		{"UnknownTable", billing.Queries{UIDs: "SELECT uid FROM no_such_table WHERE x = @phone"}, uids("", "no_such_table")},
		{"MissingColumn", billing.Queries{Cams: "SELECT 1 AS cams_open WHERE @uid > 0"}, func(t *testing.T, c *billing.Client) {
			if _, err := c.Cams(ctx, 1); !isUnavailable(err, "cams", "missing column cams_paid") {
				t.Errorf("err = %v", err)
			}
		}},
		{"ExtraColumn", billing.Queries{UIDs: "SELECT 1 AS uid, 2 AS login WHERE @phone <> ''"}, uids("", "unexpected column login")},
		{"WrongName", billing.Queries{UIDs: "SELECT 1 AS id WHERE @phone <> ''"}, uids("", "missing column uid")},
		{"BadValue", billing.Queries{UIDs: "SELECT 'abc' AS uid WHERE @phone <> ''"}, uids("", `"abc" is not a uid`)},
		{"WrongParam", billing.Queries{UIDs: "SELECT 1 AS uid WHERE @uid > 0"}, uids("", "@uid cannot be used here")},
		{"TwoRows", billing.Queries{Cams: "SELECT 1 AS cams_open, 1 AS cams_paid WHERE @uid > 0 UNION ALL SELECT 0, 0"}, func(t *testing.T, c *billing.Client) {
			if _, err := c.Cams(ctx, 1); !isUnavailable(err, "cams", "returned 2 rows") {
				t.Errorf("err = %v", err)
			}
		}},
		{"Timeout", billing.Queries{Cams: sleepCams}, func(t *testing.T, c *billing.Client) {
			start := time.Now()
			_, err := c.Cams(ctx, 1)
			if !isUnavailable(err, "cams", "no answer within 300ms") || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Cams took %s past a 300ms deadline", d)
			}
		}},
		{"BadInput", billing.Queries{}, func(t *testing.T, c *billing.Client) {
			for _, p := range []string{"", "abc", "12345", "8910123456789012", "+7 910 123 45 67 доб. 12"} {
				if _, err := c.UIDs(ctx, p); !errors.Is(err, reconcile.ErrInvalid) {
					t.Errorf("UIDs(%q) err = %v; want ErrInvalid", p, err)
				}
			}
			if _, err := c.Cams(ctx, 0); !errors.Is(err, reconcile.ErrInvalid) || !strings.Contains(err.Error(), "uid") {
				t.Errorf("Cams(0) err = %v; want ErrInvalid", err)
			}
		}},
	}
}
