package report_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/browsertest"
	"github.com/parleyhq/parley/internal/report"
)

// The HTML report in a real browser: headless Chromium opens the golden debate's
// page from a file and the test checks what only a browser can tell. No console
// errors (a CSP violation, a bad attribute, a script error would show there), no
// network request but the file itself, the hostile answer's <script> readable as
// text in its folded turn, no horizontal overflow on a phone, a dark stylesheet for
// dark mode.
//
// It runs whenever a Chromium is installed (scripts/install-chromium.sh; CI runs
// it first) and skips, saying so, when none is. PARLEY_CHROMIUM names a binary
// explicitly. With PARLEY_UPDATE_SCREENSHOT=1 it also saves docs/report-screenshot.png
// and docs/report-screenshot-mobile.png.

// pageLog collects what the page did: console messages, log entries, exceptions,
// network requests and dialogs. Listen's callback runs on chromedp's event loop, so
// it only appends under the lock.
type pageLog struct {
	mu       sync.Mutex
	requests []string
	problems []string
}

func (l *pageLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.requests = append(l.requests, ev.Request.URL)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			l.problems = append(l.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		l.problems = append(l.problems, "exception: "+ev.ExceptionDetails.Text)
	case *cdplog.EventEntryAdded:
		if e := ev.Entry; e != nil && (e.Level == cdplog.EntryLevelError || e.Level == cdplog.EntryLevelWarning) {
			l.problems = append(l.problems, fmt.Sprintf("log %s (%s): %s %s", e.Level, e.Source, e.Text, e.URL))
		}
	case *page.EventJavascriptDialogOpening:
		l.problems = append(l.problems, "a dialog opened: "+ev.Message)
	}
}

func (l *pageLog) snapshot() (requests, problems []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.requests...), append([]string(nil), l.problems...)
}

func TestHTMLInChromium(t *testing.T) {
	bin := browsertest.Find(t)
	start := time.Now()

	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := report.HTML(&b, goldenRecord(t)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fileURL := "file://" + filepath.ToSlash(file)

	tab := browsertest.Tab(t, bin, 90*time.Second, 1100, 900, chromedp.Flag("hide-scrollbars", true))

	var events pageLog
	if err := chromedp.Listen(tab, events.listen); err != nil {
		t.Fatalf("starting Chromium (%s): %v", bin, err)
	}

	// Desktop.
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(1100, 900),
		chromedp.Navigate(fileURL),
		chromedp.WaitVisible(chromedp.CSS("#verdict")),
	); err != nil {
		t.Fatalf("opening %s: %v", fileURL, err)
	}
	checkLayout(t, tab, "desktop")

	// The hostile answer sits folded in seat C's first turn. Opening it is a click on
	// its summary (no script needed); its <script> is then visible, as text.
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS("#r1-C > summary")),
		chromedp.WaitVisible(chromedp.CSS("#r1-C .md")),
	); err != nil {
		t.Fatalf("opening seat C's first answer: %v", err)
	}
	answer, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#r1-C .md")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<script>alert(1)</script>", "<img src=x onerror=alert(1)>"} {
		if !strings.Contains(answer, want) {
			t.Errorf("seat C's answer does not show %q as text; it shows:\n%s", want, answer)
		}
	}
	counts, err := chromedp.Run(tab, chromedp.Evaluate[map[string]int](`({
		scripts: document.scripts.length,
		images: document.images.length,
		jsLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
		handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
		details: document.querySelectorAll('details.turn').length,
		open: document.querySelectorAll('details.turn[open]').length,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"scripts", "images", "jsLinks", "handlers"} {
		if counts[k] != 0 {
			t.Errorf("the page has %d %s", counts[k], k)
		}
	}
	if counts["details"] != 10 || counts["open"] != 1 {
		t.Errorf("%d folded turns, %d open; want 10, 1", counts["details"], counts["open"])
	}
	if os.Getenv("PARLEY_UPDATE_SCREENSHOT") == "1" {
		saveScreenshot(t, tab, "report-screenshot.png", chromedp.FullScreenshot(100))
	}

	// Dark mode: the stylesheet must follow prefers-color-scheme.
	if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
	bg, err := chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	if bg != "rgb(16, 19, 23)" {
		t.Errorf("dark mode background %s, want rgb(16, 19, 23)", bg)
	}
	if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}},
	}); err != nil {
		t.Fatal(err)
	}

	// A phone: 390 CSS pixels wide. Nothing may make the page scroll sideways (wide
	// tables and code scroll inside their own boxes).
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.Navigate(fileURL),
		chromedp.WaitVisible(chromedp.CSS("#verdict")),
	); err != nil {
		t.Fatal(err)
	}
	width := checkLayout(t, tab, "mobile")
	if width != 390 {
		t.Errorf("the mobile viewport is %d px wide, want 390: is the viewport meta tag honoured?", width)
	}
	if os.Getenv("PARLEY_UPDATE_SCREENSHOT") == "1" {
		// The phone's first screen: the page top to bottom would be a strip ten
		// screens tall.
		saveScreenshot(t, tab, "report-screenshot-mobile.png", chromedp.CaptureScreenshot())
	}

	requests, problems := events.snapshot()
	if len(requests) == 0 {
		t.Error("saw no request at all: the network log is not being read")
	}
	for _, u := range requests {
		if u != fileURL {
			t.Errorf("the page requested %s", u)
		}
	}
	for _, p := range problems {
		t.Errorf("%s", p)
	}
	t.Logf("the browser check took %s", time.Since(start).Round(time.Millisecond))
}

// checkLayout fails if the page is wider than the viewport, and returns the
// viewport's width.
func checkLayout(t *testing.T, tab context.Context, name string) int {
	t.Helper()
	m, err := chromedp.Run(tab, chromedp.Evaluate[map[string]int](`({
		inner: window.innerWidth,
		doc: document.documentElement.scrollWidth,
		body: document.body.scrollWidth,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if m["doc"] > m["inner"] || m["body"] > m["inner"] {
		offenders, _ := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('body *')]
			.filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('.scroll, pre'))
			.slice(0, 5).map(e => e.tagName + '.' + e.className)`))
		t.Errorf("%s: the page is %d (body %d) px wide in a %d px viewport; overflowing: %v", name, m["doc"], m["body"], m["inner"], offenders)
	}
	return m["inner"]
}

func saveScreenshot(t *testing.T, tab context.Context, name string, shot chromedp.Action[[]byte]) {
	t.Helper()
	png, err := chromedp.Run(tab, shot)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d KB)", path, len(png)/1024)
}
