package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/browsertest"
	"github.com/parleyhq/parley/internal/server"
)

// The web UI in headless Chromium, one test per feature: answers rendered as
// Markdown with an XSS attempt that must not run, answers shown whole, the council
// ranking and the vote tally, cancel, export, search. They run whenever a Chromium
// is installed (scripts/install-chromium.sh) and skip, saying so, when none is.

// uiProblems collects exceptions, console errors and dialogs (an alert() that ran).
type uiProblems struct {
	mu   sync.Mutex
	list []string
}

func (p *uiProblems) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		p.list = append(p.list, "exception: "+ev.ExceptionDetails.Text)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			p.list = append(p.list, "console.error")
		}
	case *page.EventJavascriptDialogOpening:
		p.list = append(p.list, "a dialog opened: "+ev.Message)
	}
}

func (p *uiProblems) get() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.list...)
}

// openUI starts Chromium on the env's server and returns the tab.
func openUI(t *testing.T, e *env, path ...string) (context.Context, *uiProblems) {
	t.Helper()
	bin := browsertest.Find(t)
	tab := browsertest.Tab(t, bin, 60*time.Second, 1280, 900)
	probs := &uiProblems{}
	if err := chromedp.Listen(tab, probs.listen); err != nil {
		t.Fatalf("starting Chromium (%s): %v", bin, err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(e.ts.URL+strings.Join(append(path, "/")[:1], ""))); err != nil {
		t.Fatal(err)
	}
	return tab, probs
}

func run(t *testing.T, tab context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab, actions...); err != nil {
		t.Fatal(err)
	}
}

// waitJS polls expr in the page until it is true.
func waitJS(t *testing.T, tab context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			html, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById('main').innerText.slice(0, 2000)`))
			t.Fatalf("timed out waiting for %s (%s); the page says:\n%s", what, expr, html)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func evalJS[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

const hostileMarkdown = "## Plan\n\nUse **select_related** and `prefetch_related`.\n\n" +
	"| approach | cost |\n|---|--:|\n| indexes | low |\n\n" +
	"<img src=x onerror=\"window.__xss=1;alert(1)\"> <script>window.__xss=2</script>\n\n" +
	"[click](javascript:window.__xss=3) and [docs](https://docs.djangoproject.com/)\n\n"

// TestUIMarkdownAndXSS: a finished turn shows its answer as rendered Markdown
// (heading, bold, code, table, a safe link), and the injected markup is text that
// never runs.
func TestUIMarkdownAndXSS(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.hostile = hostileMarkdown
	id := e.create("Speed up Django?", nil)
	e.waitFinished(id)
	tab, probs := openUI(t, e)
	run(t, tab, chromedp.Navigate(e.ts.URL+"/#/d/"+id))
	waitJS(t, tab, "rendered answers", `document.querySelectorAll('.answer.md').length === 4`)
	first := `document.querySelector('.seat[data-seat="A"] .answer.md')`
	for what, expr := range map[string]string{
		"a heading":   first + `.querySelector('h5').textContent === 'Plan'`,
		"bold":        first + `.querySelector('strong').textContent === 'select_related'`,
		"code":        first + `.querySelector('code').textContent === 'prefetch_related'`,
		"a table":     first + `.querySelectorAll('table td').length === 2 && ` + first + `.querySelector('td[align="right"]').textContent === 'low'`,
		"a safe link": first + `.querySelector('a[href="https://docs.djangoproject.com/"]').rel.includes('noopener')`,
		"the script as text": first + `.textContent.includes('<script>window.__xss=2</script>') && ` +
			first + `.textContent.includes('onerror=')`,
		"no img, script or javascript: link": `!document.querySelector('.answer img, .answer script, .answer a[href^="javascript"]')`,
		"the json block as code":             first + `.querySelector('pre code.language-json') !== null`,
	} {
		if !evalJS[bool](t, tab, expr) {
			t.Errorf("the rendered answer lacks %s (%s):\n%s", what, expr, evalJS[string](t, tab, first+`.innerHTML`))
		}
	}
	// Nothing in the page carries an inline handler (an onerror= that got through
	// as markup), so none can run later either.
	if on := evalJS[[]string](t, tab, `Array.from(document.querySelectorAll('*')).flatMap(el =>
		Array.from(el.attributes).filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name))`); len(on) > 0 {
		t.Errorf("elements with inline handlers: %v", on)
	}
	// An <img src=x> fails to load, and its onerror runs then: wait until every
	// image in the page has loaded or failed (listening, not replacing its
	// handlers), then let the tasks already queued (a pending error event) run,
	// and only then read the flag.
	xss, err := chromedp.Run(tab, chromedp.Evaluate[string](`(async () => {
		await Promise.all(Array.from(document.images).filter(i => !i.complete).map(i =>
			new Promise(r => { i.addEventListener('load', r, {once: true}); i.addEventListener('error', r, {once: true}); })));
		await new Promise(r => setTimeout(r, 0));
		return String(window.__xss);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("waiting for the page's images: %v", err)
	}
	if xss != "undefined" {
		t.Errorf("injected script ran: window.__xss = %s", xss)
	}
	if p := probs.get(); len(p) > 0 {
		t.Errorf("page problems: %v", p)
	}
}

// TestUILongAnswerNotClipped: a long answer is shown whole, in a card as tall as
// its text, never in a box of its own that hides the rest behind a scrollbar.
func TestUILongAnswerNotClipped(t *testing.T) {
	e := newEnv(t, server.Options{})
	var b strings.Builder
	for i := 1; i <= 150; i++ {
		fmt.Fprintf(&b, "Line %d of a long answer.\n\n", i)
	}
	b.WriteString("THE-LAST-LINE\n\n")
	e.hostile = b.String()
	id := e.create("A long one", nil)
	e.waitFinished(id)
	tab, _ := openUI(t, e)
	run(t, tab, chromedp.Navigate(e.ts.URL+"/#/d/"+id))
	waitJS(t, tab, "rendered answers", `document.querySelectorAll('.answer.md').length === 4`)
	box := `document.querySelector('.seat[data-seat="B"] .answer.md')`
	if h := evalJS[float64](t, tab, box+`.scrollHeight - `+box+`.clientHeight`); h > 1 {
		t.Errorf("the answer scrolls inside its box by %vpx: clipped", h)
	}
	if h := evalJS[float64](t, tab, box+`.getBoundingClientRect().height`); h < 3000 {
		t.Errorf("the answer box is only %vpx tall for 150 paragraphs", h)
	}
	// The last line is on the page, reachable by scrolling the page itself.
	run(t, tab, chromedp.ScrollIntoView(chromedp.CSS(`.seat[data-seat="B"] .answer.md p:nth-last-of-type(2)`)))
	if !evalJS[bool](t, tab, `(() => { const ps = document.querySelectorAll('.seat[data-seat="B"] .answer.md p');
		for (const p of ps) if (p.textContent === 'THE-LAST-LINE') { const r = p.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }
		return false; })()`) {
		t.Error("the last line of the long answer is not visible once scrolled to")
	}
}

// TestUIRankingAndTally: a council debate shows its ranking, a vote debate its tally.
func TestUIRankingAndTally(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.mode = "council"
	council := e.create("Council: where to start?", nil)
	e.waitFinished(council)
	e.mode = "vote"
	vote := e.create("Vote: 18 or 20?", nil)
	e.waitFinished(vote)
	tab, probs := openUI(t, e)

	run(t, tab, chromedp.Navigate(e.ts.URL+"/#/d/"+council))
	waitJS(t, tab, "the ranking", `document.querySelectorAll('#ranking tbody tr').length === 3`)
	// Each reviewer ranks the seats in the order shown; whatever the order, every
	// rank row names a seat and its points, and ranks start at 1.
	rows := evalJS[[]string](t, tab, `Array.from(document.querySelectorAll('#ranking tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent).join('|'))`)
	if !strings.HasPrefix(rows[0], "1") {
		t.Errorf("ranking rows %v", rows)
	}
	for _, r := range rows {
		if f := strings.Split(r, "|"); len(f) != 5 || !strings.HasPrefix(f[2], "fake:") {
			t.Errorf("ranking row %q", r)
		}
	}

	run(t, tab, chromedp.Navigate(e.ts.URL+"/#/d/"+vote))
	waitJS(t, tab, "the tally", `document.querySelectorAll('#tally tbody tr').length === 2`)
	rows = evalJS[[]string](t, tab, `Array.from(document.querySelectorAll('#tally tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent).join('|'))`)
	if len(rows) != 2 || rows[0] != "18|2|160|A, B" || rows[1] != "20|1|80|C" {
		t.Errorf("tally rows %q", rows)
	}
	if s := evalJS[string](t, tab, `document.getElementById('tally-summary').textContent`); !strings.Contains(s, "3 voters") || !strings.Contains(s, "majority: 18") {
		t.Errorf("tally summary %q", s)
	}
	if p := probs.get(); len(p) > 0 {
		t.Errorf("page problems: %v", p)
	}
}

// TestUICancel: the Cancel button of a running debate stops it through the API.
func TestUICancel(t *testing.T) {
	var e *env
	e = newEnv(t, server.Options{Cancel: func(ctx context.Context, id string) error { return e.cancelDebate(ctx, id) }})
	e.delay = 30 * time.Second
	id := e.create("A slow one", nil)
	tab, probs := openUI(t, e)
	run(t, tab, chromedp.Navigate(e.ts.URL+"/#/d/"+id))
	waitJS(t, tab, "the cancel button", `document.getElementById('cancel').checkVisibility()`)
	run(t, tab, chromedp.Click(chromedp.CSS("#cancel")))
	waitJS(t, tab, "the interrupted status", `document.getElementById('status').textContent === 'interrupted'`)
	if sum := e.waitFinished(id); sum.Status != "interrupted" {
		t.Errorf("stored status %s", sum.Status)
	}
	if evalJS[bool](t, tab, `document.getElementById('cancel').checkVisibility()`) {
		t.Error("the cancel button still shows on a stopped debate")
	}
	if p := probs.get(); len(p) > 0 {
		t.Errorf("page problems: %v", p)
	}
}

// TestUIExport: the export buttons download the report, with the token, as files.
func TestUIExport(t *testing.T) {
	const token = "export-token-0123456789abcdef"
	e := newEnv(t, server.Options{Token: token})
	id := e.create("Export me", map[string]string{"Authorization": "Bearer " + token})
	e.waitFinished(id)
	dir := t.TempDir()
	tab, probs := openUI(t, e, "/#token="+token)
	run(t, tab,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			// A browser-wide setting: sent to the browser, not the tab.
			return chromedp.FromContext(ctx).Browser.Call(ctx, browser.CommandSetDownloadBehavior,
				browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}, nil)
		}),
		chromedp.Navigate(e.ts.URL+"/#/d/"+id))
	waitJS(t, tab, "the report", `!document.getElementById('report').hidden && document.querySelector('.recommendation.big') !== null`)
	for _, f := range []string{"html", "md"} {
		run(t, tab, chromedp.Click(chromedp.CSS("#export-"+f)))
		path := filepath.Join(dir, "parley-"+id+"."+f)
		deadline := time.Now().Add(15 * time.Second)
		var data []byte
		for {
			var err error
			if data, err = os.ReadFile(path); err == nil && len(data) > 0 {
				break
			}
			if time.Now().After(deadline) {
				entries, _ := os.ReadDir(dir)
				t.Fatalf("no download %s (the directory holds %v)", path, entries)
			}
			time.Sleep(100 * time.Millisecond)
		}
		want := map[string]string{"html": "<!doctype html>", "md": "Profile, then fix N+1 queries"}[f]
		if !strings.Contains(strings.ToLower(string(data)), strings.ToLower(want)) {
			t.Errorf("the %s export lacks %q:\n%.300s", f, want, data)
		}
	}
	if p := probs.get(); len(p) > 0 {
		t.Errorf("page problems: %v", p)
	}
}

// TestUISearch: typing in the search box filters the list on the server.
func TestUISearch(t *testing.T) {
	e := newEnv(t, server.Options{})
	k := e.create("Should we adopt Kubernetes?", nil)
	tabs := e.create("Tabs or spaces?", nil)
	e.waitFinished(k)
	e.waitFinished(tabs)
	tab, probs := openUI(t, e)
	waitJS(t, tab, "both debates", `document.querySelectorAll('#debates tbody tr').length === 2`)
	run(t, tab, chromedp.SendKeys(chromedp.CSS("#search"), "kubernetes"))
	waitJS(t, tab, "one debate", `document.querySelectorAll('#debates tbody tr').length === 1`)
	if got := evalJS[string](t, tab, `document.querySelector('#debates tbody tr').dataset.id`); got != k {
		t.Errorf("search kept %s, want %s", got, k)
	}
	search := func(q string) {
		evalJS[bool](t, tab, `(() => { const s = document.getElementById('search'); s.value = `+strconv.Quote(q)+`; s.dispatchEvent(new Event('input')); return true; })()`)
	}
	search("zzz-nothing")
	waitJS(t, tab, "no match", `document.getElementById('no-match') !== null`)
	// The verdict is searched too: every fake verdict says "N+1 queries".
	search("n+1")
	waitJS(t, tab, "both by their verdicts", `document.querySelectorAll('#debates tbody tr').length === 2`)
	if p := probs.get(); len(p) > 0 {
		t.Errorf("page problems: %v", p)
	}
}
