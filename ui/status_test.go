package ui

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestPanelStatusShowsWritesAndSkipped: the overview and the panel's page
// show a panel that reads but refuses writes as failing, with the write's
// error, also after a later run read it; and the lines a listing skipped.
func TestPanelStatusShowsWritesAndSkipped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if s := w.sync(); s.Status != reconcile.StatusOK {
		t.Fatalf("setup run: %+v", s)
	}
	w.fleet.Panel(0).SetFaults(panelsim.Faults{RefuseWrites: true})
	if err := w.db.AddKey(bg, 501, "A1B2C3D5", nil); err != nil {
		t.Fatal(err)
	}
	if s := w.sync(); s.FailedPanels != 1 {
		t.Fatalf("run with writes refused: %+v, want panel 1 failed", s)
	}
	if _, err := w.runner.Run(bg, reconcile.Request{Trigger: "cli", DryRun: true}); err != nil {
		t.Fatal(err) // a run that only reads the panels
	}
	if err := w.db.RecordPanelContacts(bg, []reconcile.PanelContact{{DeviceID: w.panels[1], At: time.Now(), OK: true, Keys: 2, Skipped: 3}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin()
	refused, good := itoa(w.panels[0]), itoa(w.panels[1])

	t.Run("Overview", func(t *testing.T) {
		body := b.get("/ui/").body
		ir, ig := strings.Index(body, `id="panel-`+refused+`"`), strings.Index(body, `id="panel-`+good+`"`)
		if ir < 0 || ig < 0 || ir > ig {
			t.Fatalf("panel %s that refuses writes is not listed first:\n%s", refused, body)
		}
		row, next := body[ir:ig], body[ig:]
		mustContain(t, "refusing panel's row", row, `class="badge bad"`, "401")
		mustContain(t, "other panel's row", next[:strings.Index(next, "</tr>")], `<td class="skipped">3</td>`)
	})
	t.Run("PanelPage", func(t *testing.T) {
		mustContain(t, "refusing panel's page", b.get("/ui/panels/"+refused).body, `class="badge bad" id="state"`, "401")
		mustContain(t, "other panel's page", b.get("/ui/panels/"+good).body, `id="skipped"`,
			"3 entries on the panel could not be parsed")
	})
	t.Run("Russian", func(t *testing.T) {
		b.lang = "ru"
		defer func() { b.lang = "" }()
		mustContain(t, "Russian overview", b.get("/ui/").body, "Пропущено строк")
		mustContain(t, "Russian panel page", b.get("/ui/panels/"+good).body, "которые не удалось разобрать: 3")
	})
}
