package ui

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"yardsync/panels/panelsim"
)

// screenshotEnv names the PNG file the browser test writes the status page
// to (docs/ui-status.png for the README), and with _RU appended the one the
// Russian test writes its overview to; unset, they write nothing.
const screenshotEnv = "YARDSYNC_UI_SCREENSHOT"

// TestBrowser drives the status page in headless Chromium: log in, see the
// failing panel first, let it recover, press "sync this panel", see it OK.
// It fails, never skips, when Chromium is missing (.ci/run installs it).
func TestBrowser(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.fleet.Panel(1).SetFaults(panelsim.Faults{ErrorRate: 1})
	if s := w.sync(); s.FailedPanels != 1 {
		t.Fatalf("setup run: %+v, want panel 2 failed", s)
	}
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	ctx := newChromium(t, "en-US")
	bad := chromedp.CSS("#panel-" + itoa(w.panels[1]))

	step(t, ctx, "log in",
		chromedp.Navigate(srv.URL+"/ui/"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), testUser),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("panels")))
	first := read(t, ctx, chromedp.AttributeValue(chromedp.CSS("#panels tr.bad"), "id")).Value
	if row := read(t, ctx, chromedp.Text(bad)); "#"+first != string(bad) || !strings.Contains(row, "failing") {
		t.Fatalf("first failing row %q, panel row %q: want %s first and failing", first, row, bad)
	}
	mustUseWidth(t, ctx, "overview")
	saveScreenshot(t, ctx, screenshotEnv)

	w.fleet.Panel(1).SetFaults(panelsim.Faults{})
	step(t, ctx, "sync the recovered panel",
		chromedp.Click(bad+" a"),
		chromedp.WaitVisible(chromedp.ID("sync")),
		chromedp.Click(chromedp.ID("sync")),
		chromedp.WaitVisible(chromedp.ID("sync-result")))
	result, state := read(t, ctx, chromedp.Text(chromedp.ID("sync-result"))), read(t, ctx, chromedp.Text(chromedp.ID("state")))
	if state != "OK" || !strings.Contains(result, "finished: ok") {
		t.Fatalf("after sync: state %q, result %q; want OK and a run finished ok", state, result)
	}
	step(t, ctx, "back to the overview", chromedp.Navigate(srv.URL+"/ui/"), chromedp.WaitVisible(chromedp.ID("panels")))
	if row := read(t, ctx, chromedp.Text(bad)); !strings.Contains(row, "OK") || strings.Contains(row, "failing") {
		t.Fatalf("overview row after sync %q, want OK", row)
	}
}

// layout measures the page: the share of the window's width its main part
// takes, and the times (dates with a clock) the layout breaks over lines.
const layout = `(() => {
	const lines = el => {
		const r = document.createRange();
		r.selectNodeContents(el);
		return new Set([...r.getClientRects()].filter(c => c.width > 0).map(c => Math.round(c.top))).size;
	};
	const broken = [];
	for (const el of document.querySelectorAll('main td, main p')) {
		if (el.children.length === 0 && /\d{4}-\d\d-\d\d \d\d:\d\d/.test(el.textContent) && lines(el) > 1) broken.push(el.textContent.trim());
	}
	for (const el of document.querySelectorAll('main time')) {
		if (lines(el) > 1) broken.push(el.textContent.trim());
	}
	const cut = [...document.querySelectorAll('main table')].filter(t => t.parentElement.scrollWidth > t.parentElement.clientWidth + 1).map(t => t.id || 'table');
	return {share: document.querySelector('main').getBoundingClientRect().width / document.documentElement.clientWidth, broken, cut};
})()`

// mustUseWidth fails when the page's main part leaves a tenth of a wide
// window unused, a time is broken over lines, or a table does not fit.
func mustUseWidth(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	got := read(t, ctx, chromedp.Evaluate[struct {
		Share  float64  `json:"share"`
		Broken []string `json:"broken"`
		Cut    []string `json:"cut"`
	}](layout))
	if got.Share < 0.9 || len(got.Broken) > 0 || len(got.Cut) > 0 {
		t.Errorf("%s: main part takes %.0f %% of the window's width, want at least 90 %%; times broken over lines: %q; tables wider than the window: %q",
			page, got.Share*100, got.Broken, got.Cut)
	}
}

// newChromium starts headless Chromium with a fresh profile, asking for
// pages in lang, and nothing that reaches for the network on its own.
func newChromium(t *testing.T, lang string) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not found (apt-get install -y chromium; .ci/run does it): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 720),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", lang), chromedp.Flag("accept-lang", lang),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser, on a context without a deadline:
	// chromedp ties the browser's life to it. Each step gets its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// stepTimeout bounds one browser step; generous, for a loaded machine.
const stepTimeout = 60 * time.Second

func step(t *testing.T, ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func read[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func saveScreenshot(t *testing.T, ctx context.Context, env string) {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		return
	}
	png := read(t, ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
