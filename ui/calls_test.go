package ui

import (
	"net/http/httptest"
	"strconv"
	"testing"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestContractCalls: with reconcile.block_calls, a debtor's contract page
// says its flat's calls are off on each panel and what yardsync found
// there, in English and in Russian.
func TestContractCalls(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.runner.Opts.BlockCalls = true
	w.runner.Opts.GuardMin = 10
	w.fleet.Panel(0).SetFlatCalls(12, panelsim.FlatCalls{Handset: true, SIP: false})
	if s := w.sync(); s.Status != reconcile.StatusOK {
		t.Fatalf("setup run: %+v", s)
	}
	w.billingExec(`UPDATE contracts SET cams_paid = false WHERE uid = 501`)
	if s := w.sync(); s.Status != reconcile.StatusOK {
		t.Fatalf("run after the debt: %+v", s)
	}
	if c, _ := w.fleet.Panel(0).FlatCalls(12); c.Handset || c.SIP {
		t.Fatalf("flat 12 must be off on panel 1: %+v", c)
	}
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin()
	a := b.get("/ui/contracts?by=uid&q=501")
	mustContain(t, "calls on the contract page", a.body, `id="calls-`, `data-state="off"`, "Calls of flat 12",
		"off: no contract of the flat here has paid", "as yardsync found them: handset on, SIP off")
	panel := b.get("/ui/panels/" + strconv.Itoa(w.panels[0]))
	mustContain(t, "calls on the panel page", panel.body, `id="calls-off"`, "Flats whose calls yardsync turned off",
		"<td>12</td><td>handset on, SIP off</td>", "q=501")
	b.lang = "ru"
	a = b.get("/ui/contracts?by=uid&q=501")
	mustContain(t, "calls on the Russian contract page", a.body, "Звонки в квартиру 12", "отключены: никто по квартире не оплатил",
		"как было до отключения: трубка вкл., вызовы в приложение выкл.")
}
