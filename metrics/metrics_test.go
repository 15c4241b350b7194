package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDuplicatesGauge(t *testing.T) {
	m := New()
	m.Duplicates(3)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if want := "yardsync_billing_duplicate_contracts 3"; !strings.Contains(string(body), want) {
		t.Fatalf("metrics lack %q", want)
	}
}

func TestFlatCallsCounter(t *testing.T) {
	m := New()
	m.CallsDone(2, 0)
	m.CallsDone(1, 3)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{`yardsync_flat_calls_total{op="calls_off"} 3`, `yardsync_flat_calls_total{op="calls_on"} 3`} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
}
