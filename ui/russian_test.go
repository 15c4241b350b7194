package ui

import (
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// latinAllowed are the Latin words a Russian page may show outside names
// and codes: the program's own name.
var latinAllowed = []string{"yardsync"}

// visibleText gathers what a reader sees on the page: the text of every
// rendered element (and of every option of a list), placeholders and
// titles, leaving out names (class "name": panel titles, families, users,
// billing values) and codes (<code>: keys, raw errors, config keys and
// commands, which are the same in every language).
const visibleText = `(() => {
	const skip = el => el.closest('code, .name, script, style');
	const out = [];
	const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walk.nextNode(); n; n = walk.nextNode()) {
		const el = n.parentElement;
		if (!el || skip(el) || (!el.closest('select') && el.getClientRects().length === 0)) continue;
		out.push(n.data);
	}
	for (const el of document.querySelectorAll('[placeholder], [title]')) {
		if (!skip(el)) out.push(el.getAttribute('placeholder') || '', el.getAttribute('title') || '');
	}
	return out.join(' ');
})()`

var latinWord = regexp.MustCompile(`[A-Za-z]+`)

// TestBrowserRussian renders every page of the status page in Russian in
// headless Chromium, with a failing panel, a held run, runs of every
// trigger and contracts of several verdicts, and fails on any Latin word
// left in the visible text apart from names, codes and latinAllowed.
func TestBrowserRussian(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.russianStage()
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	ctx := newChromium(t, "ru-RU")
	bad := itoa(w.panels[1])
	latin := func(page string) {
		t.Helper()
		if lang := read(t, ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "ru" {
			t.Fatalf("%s: page language %q, want ru", page, lang)
		}
		var left []string
		for _, word := range latinWord.FindAllString(read(t, ctx, chromedp.Evaluate[string](visibleText)), -1) {
			if !slices.Contains(latinAllowed, word) && !slices.Contains(left, word) {
				left = append(left, word)
			}
		}
		if len(left) > 0 {
			t.Errorf("%s: Latin words in the Russian page's text: %s", page, strings.Join(left, ", "))
		}
	}

	step(t, ctx, "login form", chromedp.Navigate(srv.URL+"/ui/"), chromedp.WaitVisible(chromedp.ID("username")))
	latin("login form")
	step(t, ctx, "log in",
		chromedp.SendKeys(chromedp.ID("username"), testUser),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("panels")))
	step(t, ctx, "sync the failing panel",
		chromedp.Navigate(srv.URL+"/ui/panels/"+bad),
		chromedp.WaitVisible(chromedp.ID("sync")),
		chromedp.Click(chromedp.ID("sync")),
		chromedp.WaitVisible(chromedp.ID("sync-result")))
	latin("failing panel after its sync")
	mustUseWidth(t, ctx, "failing panel after its sync")
	w.startRun("cli") // a run still going, listed as such
	step(t, ctx, "overview", chromedp.Navigate(srv.URL+"/ui/"), chromedp.WaitVisible(chromedp.ID("held")))
	latin("overview")
	mustUseWidth(t, ctx, "overview")
	saveScreenshot(t, ctx, screenshotEnv+"_RU")
	for _, q := range []string{"", "501", "502", "999", "89001234567", "A1B2C3D4", "abc"} {
		step(t, ctx, "search "+q, chromedp.Navigate(srv.URL+"/ui/contracts?q="+q), chromedp.WaitVisible(chromedp.ID("find")))
		latin("search " + q)
	}
	step(t, ctx, "no such page", chromedp.Navigate(srv.URL+"/ui/nope"), chromedp.WaitVisible(chromedp.ID("error")))
	latin("no such page")
}

// russianStage fills the world with what the pages can say: panel 2
// refusing yardsync's login, a run the guard held, runs of every trigger and
// outcome, and contract 502, connected but unpaid, reaching panel 1
// through a door.
func (w *world) russianStage() {
	w.t.Helper()
	w.fleet.Panel(1).SetFaults(panelsim.Faults{Unauthorized: true})
	w.billingExec(`INSERT INTO contracts VALUES (502, '89001112233', '7', true, false)`)
	lock, err := w.db.AddDevice(bg, reconcile.Device{UUID: "00000000-0000-4000-8000-0000000005a1", Type: 3, IsActive: ptrTo(true), Title: ptrTo("Gate lock")})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, _, err := w.db.AddDoor(bg, reconcile.Door{DeviceID: lock, Cam: w.panels[0], Name: ptrTo("Gate"), Open: "http://127.0.0.1/open"}); err != nil {
		w.t.Fatal(err)
	}
	if err := w.db.AddRights(bg, 502, []int{lock}); err != nil {
		w.t.Fatal(err)
	}
	if err := w.db.AddKey(bg, 502, "B1B2C3D4", nil); err != nil {
		w.t.Fatal(err)
	}
	if s := w.sync(); s.Status != reconcile.StatusPartial {
		w.t.Fatalf("setup run: %+v, want partial", s)
	}
	w.finishRun("cron", reconcile.Summary{Status: reconcile.StatusOK, Panels: 2}, "")
	w.finishRun("cli", reconcile.Summary{Status: reconcile.StatusFailed}, "interrupted")
	g := reconcile.Guard{Revoking: 12, Before: 12, Limit: 10, Share: 0.2, Min: 10, Held: true, UIDs: []int64{501}}
	w.finishRun("watch", reconcile.Summary{Status: reconcile.StatusGuarded, Panels: 2, Guarded: true}, "", "guard", g)
}

// TestExplainInRussian: the contract page says the verdict, the way a
// panel is reached and the last change in Russian.
func TestExplainInRussian(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if s := w.sync(); s.Status != reconcile.StatusOK {
		t.Fatalf("setup run: %+v", s)
	}
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin()
	b.lang = "ru"
	a := b.get("/ui/contracts?q=501")
	mustContain(t, "Russian explain", a.body, "Договор 501 оплачен", "по праву на панель", "добавление")
	for _, en := range []string{"Contract 501", "has paid", "right", ">add"} {
		if strings.Contains(a.body, en) {
			t.Errorf("Russian explain shows %q:\n%s", en, a.body)
		}
	}
	mustContain(t, "no contract", b.get("/ui/contracts?q=999").body, "В биллинге нет договора 999")
}

func TestRuPlural(t *testing.T) {
	for n, want := range map[int]string{0: "ключей", 1: "ключ", 2: "ключа", 4: "ключа", 5: "ключей", 11: "ключей", 12: "ключей",
		14: "ключей", 21: "ключ", 22: "ключа", 25: "ключей", 101: "ключ", 111: "ключей"} {
		if got := ruPlural(n, "ключ", "ключа", "ключей"); got != want {
			t.Errorf("ruPlural(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestVerdictInRussian says every verdict of explain in Russian, with no
// Latin word outside codes and names, and English as explain wrote it.
func TestVerdictInRussian(t *testing.T) {
	g := &reconcile.Guard{Revoking: 37, Before: 120, Limit: 24, Share: 0.2, Min: 10, Held: true}
	codes := map[string]reconcile.ReasonArgs{
		reconcile.ReasonNoContract: {}, reconcile.ReasonConflict: {Rows: 2}, reconcile.ReasonNoService: {StillOn: 1},
		reconcile.ReasonNotPaid: {StillOn: 3, HeldRun: 19, Guard: g}, reconcile.ReasonBadFlat: {Flat: "7a"},
		reconcile.ReasonNoKeys: {}, reconcile.ReasonNoPanels: {}, reconcile.ReasonPaid: {Keys: 1, Panels: 2, Flat: "12"},
	}
	markup := regexp.MustCompile(`(?s)<code>.*?</code>|<span class="name">.*?</span>`)
	for code, args := range codes {
		ex := reconcile.Explanation{UID: 501, ReasonCode: code, ReasonArgs: args, Reason: "the English sentence"}
		if got := (page{Lang: "en"}).Verdict(ex); string(got) != ex.Reason {
			t.Errorf("%s in English: %q, want explain's sentence", code, got)
		}
		ru := string(page{Lang: "ru"}.Verdict(ex))
		text := markup.ReplaceAllString(ru, "")
		for _, w := range latinWord.FindAllString(text, -1) {
			if !slices.Contains(latinAllowed, w) {
				t.Errorf("%s in Russian has %q: %s", code, w, ru)
			}
		}
		if !strings.Contains(ru, "501") {
			t.Errorf("%s in Russian does not name the contract: %s", code, ru)
		}
		if args.Guard != nil && !strings.Contains(ru, "прогон 19 снял бы ключи у 37 из 120 договоров (предел 24") {
			t.Errorf("%s in Russian does not name the guard's numbers: %s", code, ru)
		}
	}
	unknown := reconcile.Explanation{UID: 501, ReasonCode: "newer_code", Reason: "Contract 501: a verdict this page does not know."}
	if got := (page{Lang: "ru"}).Verdict(unknown); string(got) != unknown.Reason {
		t.Errorf("an unknown code in Russian: %q, want explain's sentence", got)
	}
}

// TestEveryCodeSaidInRussian: each run status and trigger, change
// operation and result, and way to reach a panel has its Russian word.
func TestEveryCodeSaidInRussian(t *testing.T) {
	ru := page{Lang: "ru"}
	for _, s := range []string{reconcile.StatusOK, reconcile.StatusPartial, reconcile.StatusGuarded, reconcile.StatusFailed, reconcile.StatusRunning} {
		if ru.Status(s) == s {
			t.Errorf("status %q has no Russian word", s)
		}
	}
	for _, s := range []string{"cli", "cron", "api", "watch"} {
		if ru.Trigger(s) == s {
			t.Errorf("trigger %q has no Russian word", s)
		}
	}
	for _, s := range []string{reconcile.OpAdd, reconcile.OpDelete, reconcile.OpRebind} {
		if ru.Op(s) == s {
			t.Errorf("operation %q has no Russian word", s)
		}
	}
	for _, s := range []string{reconcile.ResultOK, reconcile.ResultFailed} {
		if ru.Result(s) == s {
			t.Errorf("result %q has no Russian word", s)
		}
	}
	for via, want := range map[string]string{"right": "по праву на панель", "door 3": "через дверь 3", "owned": "ключи остались от прежнего доступа", "door x": "door x"} {
		if got := ru.Via(via); got != want {
			t.Errorf("via %q: %q, want %q", via, got, want)
		}
	}
}
