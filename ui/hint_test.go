package ui

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestErrorHints: every known class of panel error has a line saying what
// to do under it, in the overview and on the panel's page, in English and
// Russian: a refused login, nothing listening, a timeout, a full key table,
// writes not kept, and the guard holding a run.
func TestErrorHints(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	off := w.addPanelAt(w.unusedAddr(), "Nobody home")
	w.fleet.Panel(0).SetFaults(panelsim.Faults{Unauthorized: true})
	w.fleet.Panel(1).SetCapacity(1)
	w.fleet.Panel(1).SetKeys([]reconcile.PanelKey{{Code: "00000000000099", Flat: 3}})
	if s := w.sync(); s.FailedPanels != 3 {
		t.Fatalf("first run: %+v, want 3 failed panels", s)
	}
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin()
	auth, full := w.panels[0], w.panels[1]
	hints := func(class string, id int, en, ru string) {
		t.Helper()
		for lang, want := range map[string]string{"": en, "ru": ru} {
			b.lang = lang
			home := b.get("/ui/").body
			row := home[strings.Index(home, `id="panel-`+itoa(id)+`"`):]
			row = row[:strings.Index(row, "</tr>")]
			mustContain(t, class+" panel's row ("+lang+")", row, `data-hint="`+class+`"`, want)
			mustContain(t, class+" panel's page ("+lang+")", b.get("/ui/panels/"+itoa(id)).body, `data-hint="`+class+`"`, want)
		}
		b.lang = ""
	}
	hints("auth", auth, "check <code>panellogin</code> and <code>panelpasswd</code> of device "+itoa(auth), "проверьте <code>panellogin</code> и <code>panelpasswd</code> устройства "+itoa(auth))
	hints("refused", off, "the address is wrong (<code>panelip</code> of device "+itoa(off), "адрес неверен (<code>panelip</code> устройства "+itoa(off))
	hints("full", full, "key table is full", "Таблица ключей панели заполнена")

	w.fleet.Panel(0).SetFaults(panelsim.Faults{Hang: true})
	w.fleet.Panel(1).SetCapacity(0)
	w.fleet.Panel(1).SetFaults(panelsim.Faults{DropAdds: true})
	if s := w.sync(); s.FailedPanels != 3 {
		t.Fatalf("second run: %+v, want 3 failed panels", s)
	}
	hints("timeout", auth, "did not answer within <code>reconcile.panel_timeout</code>", "не ответила за <code>reconcile.panel_timeout</code>")
	hints("unkept", full, "acknowledged writes it did not keep", "подтвердила записи, но не сохранила их")

	g := reconcile.Guard{Revoking: 12, Before: 12, Limit: 10, Share: 0.2, Min: 10, Held: true, UIDs: []int64{501}}
	w.finishRun("watch", reconcile.Summary{Status: reconcile.StatusGuarded, Panels: 3, Guarded: true}, "", "guard", g)
	for lang, want := range map[string]string{"": "yardsync reconcile --dry-run", "ru": "Проверьте биллинг"} {
		b.lang = lang
		mustContain(t, "held run on the overview ("+lang+")", b.get("/ui/").body, `data-hint="guard"`, want)
		mustContain(t, "held run on a panel's page ("+lang+")", b.get("/ui/panels/"+itoa(off)).body, `data-hint="guard"`, want)
	}
}

// TestSyncResultSaysWhy: a sync from a panel's page that failed says why,
// with what to do, in both languages, and so does the run's row.
func TestSyncResultSaysWhy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.fleet.Panel(1).SetFaults(panelsim.Faults{Unauthorized: true})
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin()
	bad := itoa(w.panels[1])
	a := b.post("/ui/panels/"+bad+"/sync", url.Values{"csrf": {b.csrf("/ui/panels/" + bad)}})
	loc := a.Header.Get("Location")
	if a.StatusCode != http.StatusSeeOther {
		t.Fatalf("sync: %d", a.StatusCode)
	}
	result := func(body string) string {
		i := strings.Index(body, `id="sync-result"`)
		if i < 0 {
			t.Fatalf("no sync result:\n%s", body)
		}
		return body[i : i+strings.Index(body[i:], "<h2")] // up to the keys' heading
	}
	mustContain(t, "sync result", result(b.get(loc).body), "failed", "status 401", `data-hint="auth"`)
	b.lang = "ru"
	ru := result(b.get(loc).body)
	mustContain(t, "Russian sync result", ru, "завершён с ошибкой", "status 401", `data-hint="auth"`)
	if text := tags.ReplaceAllString(codes.ReplaceAllString(ru, ""), ""); strings.Contains(text, "failed") {
		t.Errorf("Russian sync result names the status in English: %s", text)
	}
	b.lang = ""
	home := b.get("/ui/").body
	runs := home[strings.Index(home, `id="runs"`):]
	mustContain(t, "the runs", runs[:strings.Index(runs, "</table>")], "status 401", `data-hint="auth"`)
}

// codes and tags find a page's codes and markup, to read its text.
var (
	codes = regexp.MustCompile(`(?s)<code[^>]*>.*?</code>`)
	tags  = regexp.MustCompile(`<[^>]*>`)
)

// TestErrorClass classifies the errors runs record, as panelsim made them.
func TestErrorClass(t *testing.T) {
	cases := map[string]string{
		"panels: beward 127.244.0.1:38433: GET /cgi-bin/extrfid_cgi: status 401: bad credentials: permanent":                                                                                                                                 hintAuth,
		"1 of the session's writes not seen on the panel after it: add 000000A1B2C3D4 flat 12\npanels: beward 127.0.0.2:80: GET /cgi-bin/rfid_cgi?action=add&Key=000000A1B2C3D4&Apartment=12: status 401: bad credentials: permanent":        hintAuth,
		"panels: beward 127.244.0.1:38433: GET /cgi-bin/extrfid_cgi: transient: connection refused":                                                                                                                                          hintRefused,
		"panels: beward 127.244.0.1:38433: GET /cgi-bin/extrfid_cgi: transient: timeout":                                                                                                                                                     hintTimeout,
		"1 of the session's writes not seen on the panel after it: add 000000A1B2C3D4 flat 12\npanels: beward 127.244.0.2:38433: GET /cgi-bin/rfid_cgi?action=add&Key=000000A1B2C3D4&Apartment=12: panel says \"Request failed\": permanent": hintFull,
		"panels: sokol 127.0.0.3:80: PUT /key/store/merge: status 422: key store is full: permanent":                                                                                                                                         hintFull,
		"1 of the session's writes not seen on the panel after it: add 000000A1B2C3D4 flat 12":                                                                                                                                               hintUnkept,
		"2 desired keys the panel held are missing after the session (did it reboot or lose its table?); the next run puts them back: 00000000000001 flat 1":                                                                                 hintLost,
		"panel 7 is busy: its lease is held by run 12 on host-a":                                                                                                                                                                             hintBusy,
		"panels: beward 127.244.0.2:38433: GET /cgi-bin/rfid_cgi?action=list: status 500: transient":                                                                                                                                         hintServer,
		"interrupted": hintInterrupted,
		"billing snapshot, nothing changed: billing: snapshot: connect: connection refused":                                 hintBilling,
		"panels: beward 127.0.0.1:80: GET /cgi-bin/rfid_cgi?action=delete&Key=00: panel says \"Request failed\": permanent": "",
		"device 99 is not an active panel (type 1 or 2 with a paneltype and an address)":                                    "",
	}
	for msg, want := range cases {
		if got := errorClass(msg); got != want {
			t.Errorf("errorClass(%q) = %q, want %q", msg, got, want)
		}
	}
}

func TestHintsInBothLanguages(t *testing.T) {
	for _, c := range append(slices.Collect(func(yield func(string) bool) {
		for _, ec := range errorClasses {
			if !yield(ec.class) {
				return
			}
		}
	}), hintGuard) {
		for lang := range texts {
			if hintTexts[lang][c] == "" {
				t.Errorf("no %s hint for %q", lang, c)
			}
		}
	}
}

// addPanelAt adds an active Beward panel at addr (host only).
func (w *world) addPanelAt(host, title string) int {
	w.t.Helper()
	id, err := w.db.AddDevice(bg, reconcile.Device{UUID: "00000000-0000-4000-8000-0000000000fe", Type: 1, IsActive: ptrTo(true),
		Title: ptrTo(title), PanelType: ptrTo(reconcile.PanelBeward), PanelIP: ptrTo(host), PanelLogin: ptrTo("admin"), PanelPasswd: ptrTo("secret")})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.db.AddRights(bg, 501, []int{id}); err != nil {
		w.t.Fatal(err)
	}
	return id
}

// unusedAddr is an address of the fleet's network where nothing listens:
// a connection there is refused at once.
func (w *world) unusedAddr() string {
	host, _, _ := net.SplitHostPort(w.fleet.Addrs()[0])
	return host[:strings.LastIndex(host, ".")] + ".250"
}
