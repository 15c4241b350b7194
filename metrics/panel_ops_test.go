package metrics

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"yardsync/reconcile"
)

func TestPanelOpFamilyLabel(t *testing.T) {
	m := New()
	m.PanelOp(reconcile.PanelBeward, "list", nil)
	m.PanelOp(reconcile.PanelSokol, "add", reconcile.ErrTransient)
	m.PanelOp(9, "list", fmt.Errorf("refused: %w", reconcile.ErrPermanent))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`yardsync_panel_operations_total{family="beward",op="list",result="ok"} 1`,
		`yardsync_panel_operations_total{family="sokol",op="add",result="transient"} 1`,
		`yardsync_panel_operations_total{family="family-9",op="list",result="permanent"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
