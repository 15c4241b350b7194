package ui

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"yardsync/reconcile"
)

// TestTimesInZone: the pages show times in Options.Location with the
// offset, never UTC with a Z.
func TestTimesInZone(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	zone, err := time.LoadLocation("Asia/Yekaterinburg") // +05:00, no summer time
	if err != nil {
		t.Fatal(err)
	}
	w.ui.opts.Location = zone
	if s := w.sync(); s.Status != reconcile.StatusOK {
		t.Fatalf("setup run: %+v", s)
	}
	runs, err := w.db.RecentRuns(bg, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin()
	started := runs[0].StartedAt.In(zone).Format("2006-01-02 15:04:05") + " +05:00"
	zulu := regexp.MustCompile(`\d\d:\d\dZ`)
	for _, path := range []string{"/ui/", "/ui/panels/" + itoa(w.panels[0]), "/ui/contracts?q=501"} {
		body := b.get(path).body
		if !strings.Contains(body, "+05:00") || zulu.MatchString(body) {
			t.Errorf("%s: times not in +05:00:\n%s", path, body)
		}
		if path == "/ui/" && !strings.Contains(body, started) {
			t.Errorf("overview lacks the run's start %q:\n%s", started, body)
		}
	}
}
