package ui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

func itoa(n int) string { return strconv.Itoa(n) }

func TestPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.fleet.Panel(1).SetFaults(panelsim.Faults{ErrorRate: 1})
	if s := w.sync(); s.FailedPanels != 1 {
		t.Fatalf("setup run: %+v, want panel 2 failed", s)
	}
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin()
	good, bad := itoa(w.panels[0]), itoa(w.panels[1])

	t.Run("HomeFailingFirst", func(t *testing.T) {
		a := b.get("/ui/")
		if a.StatusCode != http.StatusOK {
			t.Fatalf("GET /ui/: %d", a.StatusCode)
		}
		mustContain(t, "home", a.body, `id="runs"`, "Entrance 1", "Entrance 2", "partial", testUser)
		ib, ig := strings.Index(a.body, `id="panel-`+bad+`"`), strings.Index(a.body, `id="panel-`+good+`"`)
		if ib < 0 || ig < 0 || ib > ig {
			t.Errorf("failing panel %s not listed before panel %s:\n%s", bad, good, a.body)
		}
		if !strings.Contains(a.body[ib:ig], "failing") {
			t.Errorf("panel %s not shown failing:\n%s", bad, a.body[ib:ig])
		}
	})
	t.Run("PanelPage", func(t *testing.T) {
		// Runs do not write the change log yet; the page shows what it holds.
		logged := reconcile.Change{At: time.Now(), RunID: 1, DeviceID: w.panels[0], Op: reconcile.OpAdd, Code: "000000A1B2C3D4",
			Flat: 12, UID: 501, Result: reconcile.ResultOK}
		other := logged
		other.DeviceID, other.Code = w.panels[1], "00000000000099"
		if err := w.db.RecordChanges(bg, []reconcile.Change{logged, other}); err != nil {
			t.Fatal(err)
		}
		a := b.get("/ui/panels/" + good)
		if a.StatusCode != http.StatusOK {
			t.Fatalf("GET panel: %d", a.StatusCode)
		}
		mustContain(t, "panel page", a.body, "Entrance 1", `id="keys"`, "000000A1B2C3D4", `id="changes"`, ">add<", `id="sync"`, ">501<")
		on := a.body[strings.Index(a.body, `id="keys"`):]
		mustContain(t, "keys table", on[:strings.Index(on, "</table>")], "<td>yes</td><td>yes</td>")
		if strings.Contains(a.body, "00000000000099") {
			t.Errorf("panel %s's page shows another panel's change", good)
		}
	})
	t.Run("UnreachablePanelSaysSo", func(t *testing.T) {
		a := b.get("/ui/panels/" + bad)
		mustContain(t, "failing panel page", a.body, "could not be read now", `class="badge bad" id="state"`)
	})
	t.Run("BadPanelIDs", func(t *testing.T) {
		for path, want := range map[string]int{"/ui/panels/x": 400, "/ui/panels/0": 400, "/ui/panels/99999": 404, "/ui/nope": 404} {
			if a := b.get(path); a.StatusCode != want {
				t.Errorf("GET %s: %d, want %d", path, a.StatusCode, want)
			}
		}
	})
	t.Run("SyncTurnsGreen", func(t *testing.T) {
		w.fleet.Panel(1).SetFaults(panelsim.Faults{})
		a := b.post("/ui/panels/"+bad+"/sync", url.Values{"csrf": {b.csrf("/ui/panels/" + bad)}})
		loc := a.Header.Get("Location")
		if a.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/ui/panels/"+bad+"?run=") {
			t.Fatalf("sync: %d to %q, want 303 to the panel with its run", a.StatusCode, loc)
		}
		page := b.get(loc)
		mustContain(t, "panel after sync", page.body, `class="badge ok" id="state"`, `id="sync-result"`, "finished: ok")
		if len(w.fleet.Panel(1).Keys()) != 1 {
			t.Errorf("panel 2 holds %v after the sync, want the contract's key", w.fleet.Panel(1).Keys())
		}
	})
	t.Run("SyncStillRunning", func(t *testing.T) {
		// A sync answered at api.sync_wait, before its run ended.
		id, err := w.db.StartRun(bg, 0, "api", nil)
		if err != nil {
			t.Fatal(err)
		}
		page := b.get("/ui/panels/" + good + "?run=" + strconv.FormatInt(id, 10))
		mustContain(t, "panel after an early sync answer", page.body, `id="sync-result"`, "Run "+strconv.FormatInt(id, 10)+" is still going")
		if strings.Contains(page.body, "finished: running") {
			t.Error("a run still going is called finished")
		}
	})
	t.Run("ContractByUID", func(t *testing.T) {
		a := b.get("/ui/contracts?by=uid&q=501")
		mustContain(t, "explain by uid", a.body, `id="contract-501"`, "Contract 501 has paid", "000000A1B2C3D4", "Entrance 1", "right")
		if a := b.get("/ui/contracts?by=uid&q=abc"); a.StatusCode != http.StatusBadRequest || !strings.Contains(a.body, "positive number") {
			t.Errorf("uid abc: %d %s", a.StatusCode, a.body)
		}
	})
	t.Run("ContractByPhone", func(t *testing.T) {
		a := b.get("/ui/contracts?by=phone&q=%2B79001234567")
		mustContain(t, "explain by phone", a.body, `id="contract-501"`, "Contract 501 has paid")
		a = b.get("/ui/contracts?by=phone&q=89990000000")
		mustContain(t, "unknown phone", a.body, "No contract has this phone.")
	})
	t.Run("Russian", func(t *testing.T) {
		b.lang = "ru-RU,ru;q=0.9,en;q=0.5"
		defer func() { b.lang = "" }()
		a := b.get("/ui/")
		if a.Header.Get("Content-Language") != "ru" {
			t.Errorf("Content-Language %q, want ru", a.Header.Get("Content-Language"))
		}
		mustContain(t, "Russian home", a.body, `lang="ru"`, "Последние прогоны", "Панели, сначала неисправные")
	})
}

func TestLanguage(t *testing.T) {
	cases := map[string]string{
		"":                         "en",
		"ru":                       "ru",
		"ru-RU,ru;q=0.9,en;q=0.8":  "ru",
		"en-US,en;q=0.9,ru;q=0.8":  "en",
		"de-DE,ru;q=0.5,en;q=0.7":  "en",
		"de-DE, ru;q=0.5":          "ru",
		"fr":                       "en",
		"RU-ru;q=0.2, en-GB;q=0.1": "ru",
	}
	for header, want := range cases {
		r := httptest.NewRequest(http.MethodGet, "/ui/", nil)
		r.Header.Set("Accept-Language", header)
		if got := language(r); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", header, got, want)
		}
	}
}

func TestEveryTextInBothLanguages(t *testing.T) {
	for lang, m := range texts {
		for other, o := range texts {
			for key := range m {
				if _, ok := o[key]; !ok {
					t.Errorf("%q is in %s but not in %s", key, lang, other)
				}
			}
		}
	}
}

func TestUIDList(t *testing.T) {
	cases := map[string][]int64{
		"":                 nil,
		"7":                {7},
		"1, 2, 3, 4, 5":    {1, 2, 3, 4, 5},
		"1, 2, 3, 4, 5 +2": {1, 2, 3, 4, 5, 6, 7},
	}
	for want, uids := range cases {
		if got := uidList(uids); got != want {
			t.Errorf("uidList(%v) = %q, want %q", uids, got, want)
		}
	}
}

// A run the guard held is said on the home page with its numbers, until a
// full run goes through.
func TestHomeSaysTheGuardHeld(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id, err := w.db.StartRun(bg, 0, "watch", nil)
	if err != nil {
		t.Fatal(err)
	}
	g := reconcile.Guard{Revoking: 12, Before: 12, Limit: 10, Share: 0.2, Min: 10, Held: true, UIDs: []int64{501}}
	if err := w.db.FinishRun(bg, reconcile.Summary{RunID: id, Status: reconcile.StatusGuarded, Guarded: true}, "", map[string]any{"guard": g}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin()
	mustContain(t, "home", b.get("/ui/").body, `id="held"`, "would revoke 12 of 12 (limit 10")
	if s := w.sync(); s.Status != reconcile.StatusOK {
		t.Fatalf("full run: %+v", s)
	}
	if body := b.get("/ui/").body; strings.Contains(body, `id="held"`) {
		t.Errorf("the held banner stays after a full run went through:\n%s", body)
	}
}
