package panels_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestRubetekPacks: 1,000 keys go in packs of at most 400, after one
// listing: ceil(1000/400) = 3 writes.
func TestRubetekPacks(t *testing.T) {
	p, c := startPanel(t, panelsim.Rubetek, reconcile.PanelRubetek, panelsim.Options{}, 2*time.Second)
	if err := c.AddKeys(context.Background(), makeKeys(1000, 0)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	want := "GET /api/v1/rfids,POST /api/v1/rfids_pack,POST /api/v1/rfids_pack,POST /api/v1/rfids_pack"
	if strings.Join(got, ",") != want {
		t.Errorf("requests %v, want %s", got, want)
	}
	if n := len(p.Keys()); n != 1000 {
		t.Errorf("panel holds %d keys, want 1000", n)
	}
}
