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
