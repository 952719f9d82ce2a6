package cli_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/browsertest"
	"github.com/parleyhq/parley/internal/fakellm"
)

// browserLog collects what a page did wrong: console errors and warnings, log
// entries at those levels, uncaught exceptions and dialogs (an alert is how an XSS
// would show itself). Dialogs are dismissed so that the page goes on.
type browserLog struct {
	mu       sync.Mutex
	problems []string
	dialogs  chan struct{}
}

func (l *browserLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			l.problems = append(l.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		l.problems = append(l.problems, "exception: "+ev.ExceptionDetails.Text+" "+fmt.Sprint(ev.ExceptionDetails.Exception))
	case *cdplog.EventEntryAdded:
		if e := ev.Entry; e != nil && (e.Level == cdplog.EntryLevelError || e.Level == cdplog.EntryLevelWarning) {
			l.problems = append(l.problems, fmt.Sprintf("log %s (%s): %s %s", e.Level, e.Source, e.Text, e.URL))
		}
	case *page.EventJavascriptDialogOpening:
		l.problems = append(l.problems, "a dialog opened: "+ev.Message)
		select {
		case l.dialogs <- struct{}{}:
		default:
		}
	}
}

func (l *browserLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.problems...)
}

const hostile = "Beware: <script>alert(1)</script> and <img src=x onerror=alert(2)> are text here.\n\n"

// TestWebUIInChromium drives the web UI in headless Chromium against fakellm: it
// opens the page with a token in its fragment, starts a debate from the form with
// three models ticked, watches the live view stream the answers into one column
// per seat with positions and confidences per round, and waits for the finished
// report and its chart. One model's answer carries <script> and an onerror image:
// it must show as text, create no element and open no dialog; and the console must
// stay free of errors throughout.
func TestWebUIInChromium(t *testing.T) {
	bin := browsertest.Find(t)
	h := newHarness(t)
	h.env["PARLEY_TOKEN"] = "ui-test-token-0123456789abcdef"
	models := []string{"gpt-5", "gpt-5-mini", "gpt-4.1"}
	for _, m := range models {
		base := answers(m, 0)
		h.srv.Script(m, fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
			r := base.Func(c)
			if m == "gpt-5" && roundOf(c.Prompt) > 0 {
				r.Text = hostile + r.Text
			}
			// Slow streaming, so that the live view is seen filling in.
			r.ChunkSize, r.ChunkDelay = 12, 15*time.Millisecond
			return r
		}})
	}
	s := h.serve()

	tab := browsertest.Tab(t, bin, 120*time.Second, 1280, 900)
	plog := &browserLog{dialogs: make(chan struct{}, 1)}
	if err := chromedp.Listen(tab, plog.listen); err != nil {
		t.Fatalf("starting Chromium (%s): %v", bin, err)
	}
	go func() {
		for range plog.dialogs {
			chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	defer close(plog.dialogs)

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, actions...); err != nil {
			t.Fatalf("%s: %v\nproblems: %v\nserver log:\n%s", what, err, plog.snapshot(), s.log.String())
		}
	}
	poll := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(tab, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v\nproblems: %v\nserver log:\n%s", what, err, plog.snapshot(), s.log.String())
		}
	}

	// The token arrives in the fragment and leaves the address bar at once.
	step("opening the UI", chromedp.Navigate(s.base+"/#token="+s.token), chromedp.WaitVisible(chromedp.CSS("#debates")))
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(loc, s.token) {
		t.Errorf("the token stayed in the address: %s", loc)
	}

	// The form: the models the server detected, the built-in modes.
	step("opening the form", chromedp.Click(chromedp.CSS(`a[href="#/new"].button`)), chromedp.WaitVisible(chromedp.CSS("#new-form")))
	poll("the model list", `document.querySelectorAll('#f-models-list input').length >= 3`)
	poll("the mode list", `document.querySelectorAll('#f-mode option').length >= 6`)
	for _, m := range models {
		sel := fmt.Sprintf(`#f-models-list input[value="openai:%s"]`, m)
		checked, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector('`+sel+`').checked`))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		if !checked {
			step("ticking "+m, chromedp.Click(chromedp.CSS(sel)))
		}
	}
	step("filling the form",
		chromedp.SendKeys(chromedp.CSS("#f-problem"), "Our Django API is slow: Redis, indexes or query work?"),
		chromedp.SetValue(chromedp.CSS("#f-mode"), "standard"),
		chromedp.Click(chromedp.CSS("#f-submit")),
	)

	// The live view: one column per seat, answers streaming in.
	poll("the live view", `location.hash.startsWith('#/d/') && document.querySelectorAll('#seats .seat').length === 3`)
	poll("an answer streaming", `[...document.querySelectorAll('#seats .turn.live .answer')].some(e => e.textContent.length > 20)`)
	poll("round 1 answered with positions and confidences", `document.querySelectorAll('#seats .turn.done[data-round="1"] meter').length === 3`)
	poll("round 2 under way", `document.querySelectorAll('#seats .turn[data-round="2"]').length === 3`)
	poll("the finished report", `document.querySelector('#report h2') !== null && document.querySelector('#chart svg') !== null`)

	facts, err := chromedp.Run(tab, chromedp.Evaluate[map[string]any](`({
		status: document.getElementById('status').textContent,
		cards: document.querySelectorAll('#seats .turn.done').length,
		positions: [...document.querySelectorAll('#seats .position')].map(e => e.textContent),
		hostile: [...document.querySelectorAll('#seats .answer')].filter(e => e.textContent.includes('<script>alert(1)</script>') && e.textContent.includes('<img src=x onerror=alert(2)>')).length,
		scripts: document.querySelectorAll('main script, main img').length,
		handlers: [...document.querySelectorAll('main *')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
		verdict: document.querySelector('#report .recommendation').textContent,
		chartSeries: document.querySelectorAll('#chart svg g.series').length,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if facts["status"] != "completed" {
		t.Errorf("status %v", facts["status"])
	}
	if facts["cards"] != float64(9) {
		t.Errorf("%v finished turn cards, want 9 (3 seats × 3 rounds)", facts["cards"])
	}
	if facts["hostile"] != float64(3) {
		t.Errorf("the hostile answer shows as text in %v cards, want 3", facts["hostile"])
	}
	if facts["scripts"] != float64(0) || facts["handlers"] != float64(0) {
		t.Errorf("model text became markup: %v script/img elements, %v elements with handlers", facts["scripts"], facts["handlers"])
	}
	if !strings.Contains(fmt.Sprint(facts["verdict"]), "Profile with django-silk") {
		t.Errorf("report verdict %v", facts["verdict"])
	}
	if facts["chartSeries"] != float64(3) {
		t.Errorf("the chart has %v series, want 3", facts["chartSeries"])
	}
	if p, ok := facts["positions"].([]any); !ok || len(p) != 9 || !strings.Contains(fmt.Sprint(p[0]), "profile first") {
		t.Errorf("positions %v", facts["positions"])
	}
	if problems := plog.snapshot(); len(problems) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(problems, "\n"))
	}

	// The list shows the debate; its link leads back to the finished report.
	step("the list", chromedp.Navigate(s.base+"/#/"), chromedp.WaitVisible(chromedp.CSS("#debates table")))
	poll("the debate in the list", `document.querySelector('#debates tbody tr .status').textContent === 'completed'`)
	step("reopening", chromedp.Click(chromedp.CSS("#debates tbody tr a")))
	poll("the replayed report", `document.querySelector('#chart svg') !== null && document.querySelectorAll('#seats .turn.done').length === 9`)
	if path := os.Getenv("PARLEY_UI_SCREENSHOT"); path != "" {
		// A look at the finished view, for a human: PARLEY_UI_SCREENSHOT=/tmp/ui.png.
		shot, err := chromedp.Run(tab, chromedp.FullScreenshot(80))
		if err == nil {
			err = os.WriteFile(path, shot, 0o644)
		}
		if err != nil {
			t.Errorf("screenshot: %v", err)
		}
	}
	if problems := plog.snapshot(); len(problems) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(problems, "\n"))
	}
}
