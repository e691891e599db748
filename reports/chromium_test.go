package reports_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ssoharness/ssoharness/reports"
)

// findChromium returns the browser to test with: $CHROMIUM, else chromium, chromium-browser
// or google-chrome on the PATH. The test is skipped when there is none.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found: set CHROMIUM or install chromium (make test installs it)")
	return ""
}

// browserProblems collects what the page reports as going wrong: uncaught exceptions,
// console.error and console.warn calls, and error log entries (CSP violations, failed
// loads, ...).
type browserProblems struct {
	mu   sync.Mutex
	list []string
}

func (b *browserProblems) add(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.list = append(b.list, fmt.Sprintf(format, args...))
}

func (b *browserProblems) snapshot() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.list...)
}

func (b *browserProblems) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.add("exception at %s:%d: %s", d.URL, d.LineNumber, msg)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeWarning {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		b.add("console.%s: %s", ev.Type, strings.Join(parts, " "))
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			b.add("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	}
}

// reportCSPViolations is evaluated in every new document before its own scripts: it turns
// each Content-Security-Policy violation into a console.error.
const reportCSPViolations = `document.addEventListener("securitypolicyviolation", function (e) {
	console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI);
});`

// TestHTMLInChromium opens the written index.html in headless Chromium, exercises its
// JavaScript (status chips, text and protocol filters, expanding rows, the screenshot
// lightbox) and checks that the page reports no error.
func TestHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	browser := findChromium(t)
	began := time.Now()

	run, dir := fixture(t)
	paths, err := reports.WriteAll(dir, run)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(paths.HTML)
	if err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	var problems browserProblems
	// WithListener sees the events from the start of the tab, before the first command.
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithListener(problems.listen))
	defer cancelBrowser()

	if _, err := chromedp.Call(bctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	if _, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: reportCSPViolations}); err != nil {
		t.Fatal(err)
	}

	type step = chromedp.Action[chromedp.Void]
	const visibleJS = `document.querySelectorAll("tbody.check:not([hidden])").length`
	visible := func(what string, want int) step {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			n, err := chromedp.Evaluate[int](visibleJS)(ctx, tg)
			if err != nil {
				return chromedp.Void{}, fmt.Errorf("%s: %w", what, err)
			}
			if n != want {
				t.Errorf("%s: %d visible checks, want %d", what, n, want)
			}
			return chromedp.Void{}, nil
		}
	}
	expect := func(what, js string, want any) step {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			got, err := chromedp.Evaluate[any](js)(ctx, tg)
			if err != nil {
				return chromedp.Void{}, fmt.Errorf("%s: %w", what, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %s = %v, want %v", what, js, got, want)
			}
			return chromedp.Void{}, nil
		}
	}
	setAndFire := func(id, value, event string) step {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`(function () { var e = document.getElementById(%q); e.value = %q; e.dispatchEvent(new Event(%q)); })()`,
			id, value, event))
	}
	n := len(run.Checks)
	// The page's script must run before the rest makes sense (the controls are hidden
	// without it, and clicking them would wait until the timeout).
	if err := chromedp.Do(bctx,
		chromedp.Navigate(pageURL),
		chromedp.WaitReady(chromedp.CSS("tbody.check")),
	); err != nil {
		t.Fatal(err)
	}
	if ran, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.documentElement.classList.contains("js")`)); err != nil || !ran {
		t.Fatalf("the page's script did not run (err %v); the page reported:\n  %s", err, strings.Join(problems.snapshot(), "\n  "))
	}
	if err := chromedp.Do(bctx,
		visible("initially", n),
		expect("fail row open", `document.getElementById("details-1").hidden`, false),
		expect("pass row closed", `document.getElementById("details-0").hidden`, true),

		// Status chips filter, and combine.
		chromedp.Click(chromedp.CSS(`button.chip[data-status="fail"]`)),
		visible("fail chip", fixtureCounts[reports.StatusFail]),
		expect("fail chip pressed", `document.querySelector('button.chip[data-status="fail"]').getAttribute("aria-pressed")`, "true"),
		chromedp.Click(chromedp.CSS(`button.chip[data-status="error"]`)),
		visible("fail+error chips", fixtureCounts[reports.StatusFail]+fixtureCounts[reports.StatusError]),
		expect("counter", `document.getElementById("shown").textContent`, fmt.Sprintf("showing 3 of %d", n)),
		chromedp.Click(chromedp.CSS(`button.chip[data-all]`)),
		visible("all chip", n),

		// The text filter (typed), then the protocol filter.
		chromedp.SendKeys(chromedp.ID("q"), "audience"),
		visible(`text "audience"`, 2),
		setAndFire("proto", "OIDC", "change"),
		visible(`text "audience" + OIDC`, 1),
		expect("the OIDC one", `document.querySelector("tbody.check:not([hidden])").dataset.id`, "oidc.audience.wrong"),
		setAndFire("q", "no such check", "input"),
		visible("no match", 0),
		expect("empty message shown", `document.getElementById("empty").hidden`, false),
		setAndFire("q", "", "input"),
		setAndFire("proto", "", "change"),
		visible("filters cleared", n),

		// Rows expand and collapse on click.
		chromedp.Click(chromedp.CSS(`#check-0 > tr.summary`)),
		expect("pass row expanded", `document.getElementById("details-0").hidden`, false),
		expect("aria-expanded", `document.querySelector("#check-0 > tr.summary").getAttribute("aria-expanded")`, "true"),
		chromedp.Click(chromedp.CSS(`#check-1 > tr.summary`)),
		expect("fail row collapsed", `document.getElementById("details-1").hidden`, true),

		// The inlined screenshot decodes, and enlarges on click.
		expect("thumbnail decoded", `document.querySelector("#details-0 button.shot img").naturalWidth`, 64),
		chromedp.Click(chromedp.CSS(`#details-0 button.shot`)),
		expect("lightbox open", `document.getElementById("lightbox").open`, true),
		expect("lightbox image", `document.querySelector("#lightbox img").naturalWidth`, 64),
		chromedp.Click(chromedp.CSS(`#lightbox`)),
		expect("lightbox closed", `document.getElementById("lightbox").open`, false),

		// Nothing the payloads carry became markup.
		expect("no injected script", `Array.from(document.scripts).some(function (s) { return s.text.indexOf("pwned") >= 0; })`, false),
		expect("marks", `document.querySelectorAll("mark").length`, 2),
	); err != nil {
		t.Fatal(err)
	}

	if p := problems.snapshot(); len(p) > 0 {
		t.Errorf("the page reported %d problems:\n  %s", len(p), strings.Join(p, "\n  "))
	}

	// The listeners do see a CSP violation: load an external image on purpose.
	if err := chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](
		`(function () { var i = new Image(); i.src = "https://example.invalid/x.png"; document.body.append(i); })()`),
	); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(problems.snapshot()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if p := problems.snapshot(); len(p) == 0 || !strings.Contains(strings.Join(p, "\n"), "img-src") {
		t.Errorf("a deliberate CSP violation was not reported: %q", p)
	}
	t.Logf("Chromium test took %v", time.Since(began).Round(time.Millisecond))
}
