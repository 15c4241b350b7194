package billing_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"yardsync/api"
	"yardsync/billing"
)

// BenchmarkUIDs measures POST /bill/api/uids/ through the API handler, on
// the PostgreSQL fixture billing and on the MariaDB one: warm = the phone's
// uids are in the cache, cold = every call reads the billing.
func BenchmarkUIDs(b *testing.B) {
	for _, src := range []struct{ name, driver, yaml string }{
		{"postgres", "postgres", "postgres.yaml"},
		{"mysql", "mysql", "mysql.yaml"},
	} {
		var dsn string
		if src.driver == "postgres" {
			dsn = postgresBilling(b)
		} else {
			dsn = mysqlBilling(b)
		}
		c := open(b, billing.Config{Driver: src.driver, DSN: dsn, Queries: fixtureQueries(b, src.yaml)})
		b.Run(src.name+"/warm", func(b *testing.B) { benchUIDs(b, billing.NewCached(c, 10000, time.Hour), false) })
		b.Run(src.name+"/cold", func(b *testing.B) { benchUIDs(b, billing.NewCached(c, 10000, time.Hour), true) })
	}
}

func benchUIDs(b *testing.B, cc *billing.Cached, cold bool) {
	h := api.NewHandler(api.Options{Billing: cc})
	call := func() {
		r := httptest.NewRequest(http.MethodPost, "/bill/api/uids/", strings.NewReader(`{"phone":"+7 (910) 123-45-67"}`))
		r.RemoteAddr = "127.0.0.1:40000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			body, _ := io.ReadAll(w.Body)
			b.Fatalf("status %d: %s", w.Code, body)
		}
	}
	call()
	b.ReportAllocs()
	for b.Loop() {
		if cold {
			cc.ForgetPhone("89101234567")
		}
		call()
	}
}
