package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/provider"
)

// clock is a settable time source for the model.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func intp(n int) *int { return &n }

func standardMode(t *testing.T) *debate.Mode {
	t.Helper()
	m, ok := debate.BuiltinMode("standard")
	if !ok {
		t.Fatal("no standard mode")
	}
	return &m
}

// rec builds the events of a debate as the engine emits them, each at the clock's
// time plus an offset.
type rec struct {
	id string
}

func (r rec) ev(at time.Duration, kind debate.Kind, round int, seat string) debate.Event {
	return debate.Event{DebateID: r.id, At: t0.Add(at), Kind: kind, Round: round, Seat: seat}
}

func (r rec) started(t *testing.T) debate.Event {
	e := r.ev(0, debate.KindDebateStarted, 0, "")
	e.Started = &debate.Started{
		Spec: debate.Spec{Problem: "Where do we start?", Mode: "standard"},
		Panel: []debate.Seat{
			{Seat: "A", Model: "openai:gpt-5"},
			{Seat: "B", Model: "openai:claude-sonnet-4-5"},
			{Seat: "C", Model: "openai:gpt-5", Label: "openai:gpt-5#2"},
		},
		Mode: standardMode(t),
	}
	return e
}

func (r rec) roundStarted(at time.Duration, n int, kind string) debate.Event {
	e := r.ev(at, debate.KindRoundStarted, n, "")
	e.RoundKind = kind
	return e
}

func (r rec) delta(at time.Duration, n int, seat, text string) debate.Event {
	e := r.ev(at, debate.KindTurnDelta, n, seat)
	e.Text = text
	return e
}

func (r rec) completed(at time.Duration, n int, seat, text, position string, conf int, out int) debate.Event {
	e := r.ev(at, debate.KindTurnCompleted, n, seat)
	e.Turn = &debate.Turn{Text: text, Reply: debate.Reply{Position: position, Confidence: intp(conf)},
		Usage: provider.Usage{OutputTokens: out}, LatencyMS: 4200, Attempts: 1}
	return e
}

func (r rec) retrying(at time.Duration, n int, seat string, wait time.Duration) debate.Event {
	e := r.ev(at, debate.KindTurnRetrying, n, seat)
	e.Retry = &debate.Retry{Attempt: 1, Class: provider.ClassRateLimited, Error: "rate_limited (429): slow down", Wait: wait}
	return e
}

func (r rec) failed(at time.Duration, n int, seat string) debate.Event {
	e := r.ev(at, debate.KindTurnFailed, n, seat)
	e.Turn = &debate.Turn{ErrorClass: provider.ClassTimeout, Error: "timeout: no answer within 5m0s", Attempts: 4, LatencyMS: 300000}
	return e
}

// harness drives a model the way the program does, without a terminal.
type harness struct {
	t        *testing.T
	clock    *clock
	m        model
	canceled int
	r        rec
}

func newHarness(t *testing.T, width, height int) *harness {
	h := &harness{t: t, clock: &clock{t: t0}, r: rec{id: "k3m9x2ab"}}
	h.m = newModel(Options{Width: width, Height: height, NoColor: true, Cancel: func() { h.canceled++ }, now: h.clock.now})
	return h
}

func (h *harness) send(msgs ...tea.Msg) tea.Cmd {
	h.t.Helper()
	var cmd tea.Cmd
	for _, msg := range msgs {
		var next tea.Model
		next, cmd = h.m.Update(msg)
		h.m = next.(model)
	}
	return cmd
}

func (h *harness) events(es ...debate.Event) { h.send(batchMsg{events: es}) }

// at moves the clock to t0+d.
func (h *harness) at(d time.Duration) { h.clock.t = t0.Add(d) }

// screen is the frame as the terminal shows it: styling removed.
func (h *harness) screen() string {
	h.t.Helper()
	v := h.m.View()
	for i, l := range strings.Split(v.Content, "\n") {
		if w := ansi.StringWidth(l); w > h.m.width {
			h.t.Fatalf("line %d is %d cells wide, the screen %d: %q", i, w, h.m.width, l)
		}
	}
	if n := strings.Count(v.Content, "\n") + 1; n > h.m.height {
		h.t.Fatalf("the frame has %d lines, the screen %d", n, h.m.height)
	}
	return ansi.Strip(v.Content)
}

// row is the screen line of a seat.
func (h *harness) row(seat string) string {
	h.t.Helper()
	for _, l := range strings.Split(h.screen(), "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, "› "), seat+" ") {
			return l
		}
	}
	h.t.Fatalf("no row for seat %s in\n%s", seat, h.screen())
	return ""
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

func key(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func TestKeyNames(t *testing.T) {
	for _, k := range []string{"enter", "esc", "up", "down", "ctrl+c", "q", "j", "k"} {
		if got := key(k).String(); got != k {
			t.Fatalf("key(%q).String()=%q", k, got)
		}
	}
}

func TestRowsForEverySeatAndTheRound(t *testing.T) {
	h := newHarness(t, 100, 20)
	h.events(h.r.started(t))
	s := h.screen()
	mustContain(t, "the first frame", s, "k3m9x2ab", "mode standard", "starting",
		"A openai:gpt-5 ", "B openai:claude-sonnet-4-5", "C openai:gpt-5#2", "q interrupt")
	if r := h.row("B"); !strings.Contains(r, "waiting") {
		t.Fatalf("row B before round 1 = %q, want waiting", r)
	}
	h.events(h.r.roundStarted(time.Second, 1, debate.RoundIndependent))
	mustContain(t, "round 1", h.screen(), "round 1/3 independent")
	h.events(h.r.roundStarted(20*time.Second, 2, debate.RoundCritique))
	mustContain(t, "round 2", h.screen(), "round 2/3 critique")
}

func TestSeatsArePanelFirst(t *testing.T) {
	// The CLI passes the panel so rows show before the first event.
	m := newModel(Options{Width: 80, Height: 10, Panel: []debate.Seat{{Seat: "A", Model: "openai:x"}, {Seat: "B", Model: "ollama:y"}}})
	got := ansi.Strip(m.View().Content)
	mustContain(t, "panel-only frame", got, "A openai:x", "B ollama:y", "waiting")
}

func TestStatusThinkingStreamingDone(t *testing.T) {
	h := newHarness(t, 110, 20)
	r := h.r
	h.events(r.started(t), r.roundStarted(0, 1, debate.RoundIndependent), r.ev(time.Second, debate.KindTurnStarted, 1, "A"))
	h.at(3500 * time.Millisecond)
	if row := h.row("A"); !strings.Contains(row, "thinking") || !strings.Contains(row, "2.5s") {
		t.Fatalf("after turn_started: %q, want thinking for 2.5s", row)
	}
	// 40 bytes streamed: an estimate of 10 tokens.
	h.events(r.delta(3*time.Second, 1, "A", strings.Repeat("x", 25)), r.delta(3*time.Second, 1, "A", strings.Repeat("y", 15)))
	if row := h.row("A"); !strings.Contains(row, "streaming") || !strings.Contains(row, "~10 tok") {
		t.Fatalf("while streaming: %q, want streaming ~10 tok", row)
	}
	h.events(r.completed(5*time.Second, 1, "A", "the whole answer", "Profile first, then index", 75, 321))
	h.at(time.Hour) // a finished turn's time no longer runs
	row := h.row("A")
	for _, want := range []string{"done", "321 tok", "4.2s", "75% Profile first, then index"} {
		if !strings.Contains(row, want) {
			t.Fatalf("done row %q lacks %q", row, want)
		}
	}
	if strings.Contains(row, "~") {
		t.Fatalf("done row %q still shows an estimate", row)
	}
	// The next round starts: the position stays until the seat takes a new one.
	h.events(r.roundStarted(time.Hour, 2, debate.RoundCritique))
	if row := h.row("A"); !strings.Contains(row, "waiting") || !strings.Contains(row, "Profile first") {
		t.Fatalf("next round: %q, want waiting with the last position", row)
	}
}

func TestRetryingCountsDown(t *testing.T) {
	h := newHarness(t, 120, 20)
	r := h.r
	h.events(r.started(t), r.roundStarted(0, 1, debate.RoundIndependent), r.ev(0, debate.KindTurnStarted, 1, "C"),
		r.delta(time.Second, 1, "C", "partial answer that will be lost"),
		r.retrying(2*time.Second, 1, "C", 5*time.Second))
	h.at(2*time.Second + 200*time.Millisecond)
	row := h.row("C")
	mustContain(t, "retrying row", row, "retrying in 5s", "attempt 1 failed: rate_limited (429): slow down")
	h.at(5*time.Second + 500*time.Millisecond)
	mustContain(t, "retrying row later", h.row("C"), "retrying in 2s")
	h.at(time.Minute) // past the wait: the next attempt is under way
	mustContain(t, "retrying row after the wait", h.row("C"), "thinking", "attempt 1 failed")
	// The next attempt streams from scratch: the estimate restarts.
	h.events(r.delta(time.Minute, 1, "C", "abcd"))
	if row := h.row("C"); !strings.Contains(row, "streaming") || !strings.Contains(row, "~1 tok") {
		t.Fatalf("second attempt: %q", row)
	}
	// The tick keeps the countdown moving.
	if cmd := h.send(tickMsg(t0)); cmd == nil {
		t.Fatal("a tick does not schedule the next")
	}
}

func TestFailedShowsTheErrorClass(t *testing.T) {
	h := newHarness(t, 120, 20)
	r := h.r
	h.events(r.started(t), r.roundStarted(0, 1, debate.RoundIndependent), r.ev(0, debate.KindTurnStarted, 1, "B"), r.failed(time.Minute, 1, "B"))
	row := h.row("B")
	mustContain(t, "failed row", row, "failed", "timeout: no answer within 5m0s", "5m00s")
}

func TestVerdictLands(t *testing.T) {
	h := newHarness(t, 90, 20)
	r := h.r
	h.events(r.started(t), r.roundStarted(0, 3, debate.RoundFinal),
		r.completed(time.Second, 3, "A", "final A", "Queries first", 80, 100),
		r.completed(time.Second, 3, "B", "final B", "Indexes alongside", 70, 100))
	// The verdict turn is round rounds+1.
	h.events(r.ev(2*time.Second, debate.KindTurnStarted, 4, "A"), r.delta(2*time.Second, 4, "A", "The panel"))
	s := h.screen()
	mustContain(t, "verdict phase", s, "verdict by chair A openai:gpt-5", "writing the verdict")
	vf := r.ev(3*time.Second, debate.KindVerdictFailed, 4, "A")
	vf.Turn = &debate.Turn{ErrorClass: provider.ClassServer, Error: "server_error (500): oops"}
	h.events(vf, r.ev(3*time.Second, debate.KindTurnStarted, 4, "B"))
	mustContain(t, "chair failover", h.screen(), "chair A openai:gpt-5 (server_error) failed; the next seat takes over", "verdict by chair B")

	vc := r.completed(4*time.Second, 4, "B", "verdict text", "", 0, 200)
	vc.Kind = debate.KindVerdictCompleted
	vc.Verdict = &debate.Verdict{Recommendation: "Measure, fix the N+1 queries, add the indexes the slow SQL needs, and only then consider Redis for the hot read-mostly endpoints that still miss the target after all that work is done", Confidence: 78, By: "openai:claude-sonnet-4-5"}
	fin := r.ev(5*time.Second, debate.KindDebateFinished, 0, "")
	fin.Finished = &debate.Finished{Status: debate.StatusCompleted, StoppedBecause: "max_rounds"}
	h.events(vc, fin)
	s = h.screen()
	mustContain(t, "verdict", s, "verdict · confidence 78% · by openai:claude-sonnet-4-5", "Measure, fix the N+1 queries", "completed (max rounds)")
	// The chair's row keeps its last position: the verdict is shown on its own.
	mustContain(t, "chair row", h.row("B"), "done", "Indexes alongside")
	mustContain(t, "failed chair's row", h.row("A"), "failed", "server_error")
	if strings.Contains(s, "q interrupt") {
		t.Fatalf("a finished debate still offers to interrupt:\n%s", s)
	}
}

func TestEnterShowsTheSelectedSeatsAnswer(t *testing.T) {
	h := newHarness(t, 60, 12)
	r := h.r
	h.events(r.started(t), r.roundStarted(0, 1, debate.RoundIndependent),
		r.ev(0, debate.KindTurnStarted, 1, "A"), r.ev(0, debate.KindTurnStarted, 1, "B"),
		r.delta(time.Second, 1, "A", "Seat A says: cache everything."),
		r.delta(time.Second, 1, "B", "Seat B says: profile first,"),
		r.delta(time.Second, 1, "B", " then fix the queries."))
	h.send(key("down"))
	if !strings.HasPrefix(h.row("B"), "›") {
		t.Fatalf("down did not select B:\n%s", h.screen())
	}
	h.send(key("j"), key("k")) // j/k move too; back on B
	h.send(key("enter"))
	if !h.m.View().AltScreen {
		t.Fatal("the pane does not take the alternate screen")
	}
	s := h.screen()
	mustContain(t, "pane", s, "B openai:claude-sonnet-4-5 · round 1 · streaming", "Seat B says: profile first, then fix the queries.", "esc back")
	if strings.Contains(s, "Seat A") {
		t.Fatalf("the pane shows another seat's text:\n%s", s)
	}
	// The pane follows the stream.
	h.events(r.delta(2*time.Second, 1, "B", " And measure."))
	mustContain(t, "pane after a delta", h.screen(), "measure.")
	// A long answer scrolls, and the keys scroll it rather than move the selection.
	long := strings.Repeat("line of the final answer\n", 40) + "THE END"
	h.events(r.completed(3*time.Second, 1, "B", long, "Profile first", 70, 400))
	h.send(key("esc"), key("enter")) // reopened on a finished answer: from the top
	if s := h.screen(); strings.Contains(s, "THE END") {
		t.Fatalf("a finished answer opens at its end:\n%s", s)
	}
	for range 60 {
		h.send(key("down"))
	}
	mustContain(t, "scrolled pane", h.screen(), "THE END")
	if h.m.selected != 1 {
		t.Fatalf("scrolling the pane moved the selection to %d", h.m.selected)
	}
	h.send(key("esc"))
	s = h.screen()
	mustContain(t, "back to the table", s, "round 1/3 independent", "enter show answer")
	if h.m.View().AltScreen {
		t.Fatal("esc left the alternate screen on")
	}
}

func TestQuitInterrupts(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			h := newHarness(t, 100, 12)
			r := h.r
			h.events(r.started(t), r.roundStarted(0, 1, debate.RoundIndependent), r.ev(0, debate.KindTurnStarted, 1, "A"))
			if cmd := h.send(key(k)); cmd != nil {
				t.Fatal("the first q quits the view; it must wait for the debate to stop")
			}
			if h.canceled != 1 {
				t.Fatalf("Cancel called %d times, want 1", h.canceled)
			}
			mustContain(t, "interrupting", h.screen(), "interrupting… state kept; resume with parley resume k3m9x2ab")
			fin := r.ev(time.Second, debate.KindDebateFinished, 0, "")
			fin.Finished = &debate.Finished{Status: debate.StatusInterrupted, StoppedBecause: "interrupted"}
			h.events(fin)
			s := h.screen()
			mustContain(t, "interrupted", s, "interrupted: state kept; resume with parley resume k3m9x2ab")
			mustContain(t, "the seat cut short", h.row("A"), "stopped")
			if cmd := h.send(batchMsg{close: true}); cmd == nil || cmd() != tea.Quit() {
				t.Fatal("close does not quit")
			}
			if !strings.HasSuffix(h.m.View().Content, "\n") {
				t.Fatal("the final frame does not end with an empty line for what follows")
			}
		})
	}
}

func TestSecondQuitGivesTheTerminalBack(t *testing.T) {
	h := newHarness(t, 100, 12)
	h.events(h.r.started(t))
	h.send(key("q"))
	cmd := h.send(key("q"))
	if cmd == nil || cmd() != tea.Quit() {
		t.Fatal("a second q does not quit the view")
	}
	if h.canceled != 1 {
		t.Fatalf("Cancel called %d times, want 1", h.canceled)
	}
}

func TestWidthIsRespected(t *testing.T) {
	long := "Profile first " + strings.Repeat("and then some more words ", 20) + "日本語の説明も長く続きます"
	for _, w := range []int{8, 20, 40, 80, 120, 200} {
		h := newHarness(t, w, 10)
		r := h.r
		h.events(r.started(t), r.roundStarted(0, 1, debate.RoundIndependent),
			r.ev(0, debate.KindTurnStarted, 1, "A"), r.delta(0, 1, "A", long+"\n"+long),
			r.completed(time.Second, 1, "B", long, long, 55, 10),
			r.retrying(time.Second, 1, "C", 90*time.Second))
		vc := r.completed(2*time.Second, 4, "B", long, "", 0, 10)
		vc.Kind, vc.Verdict = debate.KindVerdictCompleted, &debate.Verdict{Recommendation: long, Confidence: 70, By: "openai:claude-sonnet-4-5"}
		h.events(vc)
		h.screen() // checks every line against the width and the height
		h.send(key("enter"))
		h.screen()
		h.send(key("esc"))
		// A resize rewraps.
		h.send(tea.WindowSizeMsg{Width: w/2 + 5, Height: 6})
		h.screen()
		h.send(key("enter"))
		h.screen()
	}
}

func TestTallPanelScrollsWithTheSelection(t *testing.T) {
	h := newHarness(t, 80, 8)
	var seats []debate.Seat
	for i := range 20 {
		seats = append(seats, debate.Seat{Seat: string(rune('A' + i)), Model: "openai:m" + string(rune('a'+i))})
	}
	e := h.r.started(t)
	e.Started.Panel = seats
	h.events(e)
	for range 15 {
		h.send(key("down"))
	}
	if row := h.row("P"); !strings.HasPrefix(row, "›") {
		t.Fatalf("the selected seat P is not in sight:\n%s", h.screen())
	}
}

func TestNoColorDrawsNoColour(t *testing.T) {
	h := newHarness(t, 100, 12)
	r := h.r
	h.events(r.started(t), r.roundStarted(0, 1, debate.RoundIndependent),
		r.ev(0, debate.KindTurnStarted, 1, "A"), r.completed(time.Second, 1, "B", "x", "y", 1, 1), r.failed(time.Second, 1, "C"))
	if sgrColour(h.m.View().Content) {
		t.Fatalf("NoColor frame has colour: %q", h.m.View().Content)
	}
	coloured := newModel(Options{Width: 100, Height: 12, now: h.clock.now})
	coloured.apply(r.started(t))
	coloured.apply(r.failed(time.Second, 1, "C"))
	if !sgrColour(coloured.View().Content) {
		t.Fatalf("the coloured frame has no colour, so this test proves nothing: %q", coloured.View().Content)
	}
}

// sgrColour reports whether s sets a foreground or background colour.
func sgrColour(s string) bool {
	for _, seq := range strings.Split(s, "\x1b[")[1:] {
		end := strings.IndexByte(seq, 'm')
		if end < 0 {
			continue
		}
		for _, p := range strings.Split(seq[:end], ";") {
			if len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p != "39" && p != "49" {
				return true
			}
		}
	}
	return false
}

// hostile is model output that tries to drive the terminal.
const hostile = "ok\x1b[2J\x1b[31mred\x1b]0;pwned\x07\x1b]52;c;Y2xpcGJvYXJk\x07\x9b1;1H\x1bP+q\x1b\\\rover\x08\x00end\x7f\xff"

func TestModelTextCannotDriveTheTerminal(t *testing.T) {
	h := newHarness(t, 200, 30)
	h.m.styles = bareStyles() // every escape left in the frame would then be the model's
	r := h.r
	e := r.started(t)
	e.Started.Panel[1].Model = "openai:" + hostile
	e.Started.Spec.Mode = "standard" + hostile
	h.events(e, r.roundStarted(0, 1, debate.RoundIndependent+hostile),
		r.ev(0, debate.KindTurnStarted, 1, "A"), r.delta(0, 1, "A", hostile+"\n"+hostile),
		r.completed(time.Second, 1, "B", hostile, hostile, 50, 5))
	f := r.failed(time.Second, 1, "C")
	f.Turn.Error, f.Turn.ErrorClass = hostile, provider.Class(hostile)
	h.events(f)
	vc := r.completed(time.Second, 4, "B", hostile, "", 0, 5)
	vc.Kind, vc.Verdict = debate.KindVerdictCompleted, &debate.Verdict{Recommendation: hostile, Confidence: 60, By: hostile}
	h.events(vc)
	check := func(where string) {
		t.Helper()
		c := h.m.View().Content
		for i, r := range c {
			if r == '\n' {
				continue
			}
			if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f {
				t.Fatalf("%s: control %U at %d in %q", where, r, i, c)
			}
		}
		mustContain(t, where, c, "ok", "red", "end")
	}
	check("table")
	h.send(key("enter")) // seat A's streamed text
	check("pane of a streaming seat")
	h.send(key("esc"), key("down"), key("enter"))
	check("pane of a finished seat")
	h.send(key("esc"))
	h.retry(t)
}

// retry checks the same for a retrying seat's error.
func (h *harness) retry(t *testing.T) {
	e := h.r.retrying(0, 1, "A", time.Second)
	e.Retry.Error = hostile
	h.events(e)
	if c := h.m.View().Content; strings.ContainsAny(c, "\x1b\x07\r\x00") {
		t.Fatalf("retrying row carries controls: %q", c)
	}
}

func bareStyles() styles {
	s := newStyles(true)
	p := lipgloss.NewStyle()
	s.header, s.seat, s.selected, s.faint, s.verdict = p, p, p, p, p
	for k := range s.status {
		s.status[k] = p
	}
	return s
}

func TestResumeReplaysTheLog(t *testing.T) {
	r := rec{id: "k3m9x2ab"}
	log := []debate.Event{
		r.started(t), r.roundStarted(0, 1, debate.RoundIndependent),
		r.ev(0, debate.KindTurnStarted, 1, "A"), r.ev(0, debate.KindTurnStarted, 1, "B"),
		r.completed(time.Second, 1, "A", "a", "Index first", 70, 10),
	}
	fin := r.ev(2*time.Second, debate.KindDebateFinished, 0, "")
	fin.Finished = &debate.Finished{Status: debate.StatusInterrupted, StoppedBecause: "interrupted"}
	log = append(log, fin)
	c := &clock{t: t0.Add(time.Hour)}
	m := newModel(Options{Width: 100, Height: 12, Log: log, now: c.now})
	m.apply(debate.Event{DebateID: r.id, At: c.t, Kind: debate.KindDebateResumed})
	got := ansi.Strip(m.View().Content)
	mustContain(t, "resumed", got, "round 1/3 independent", "70% Index first", "mode standard", "0.0s")
	if strings.Contains(got, "interrupted") || strings.Contains(got, "stopped") {
		t.Fatalf("a resumed debate still shows the interruption:\n%s", got)
	}
}

// TestVerdictAfterEarlyConvergence: the verdict's round is one past the last round
// run, which is not rounds+1 when the panel converged early.
func TestVerdictAfterEarlyConvergence(t *testing.T) {
	h := newHarness(t, 100, 12)
	r := h.r
	rc := r.ev(time.Second, debate.KindRoundCompleted, 2, "")
	rc.Agreement = &debate.Agreement{Live: 3, Converged: true}
	h.events(r.started(t), r.roundStarted(0, 2, debate.RoundCritique), rc)
	mustContain(t, "converged round", h.screen(), "round 2/3 critique done: 3 answered, 0 failed, converged")
	h.events(r.ev(2*time.Second, debate.KindTurnStarted, 3, "A"))
	mustContain(t, "verdict phase", h.screen(), "verdict by chair A", "writing the verdict")
}

// TestEventsTheRowsDoNotShow: a tallied vote's verdict has no chair, and the
// chair's retries while summarising a round are not a turn of its own.
func TestEventsTheRowsDoNotShow(t *testing.T) {
	h := newHarness(t, 100, 12)
	r := h.r
	h.events(r.started(t), r.roundStarted(0, 1, debate.RoundVote),
		r.completed(time.Second, 1, "A", "a", "42", 90, 5))
	h.events(r.retrying(2*time.Second, 1, "A", time.Second)) // the summary call's retry
	mustContain(t, "row after a summary retry", h.row("A"), "done", "42")
	sc := r.ev(3*time.Second, debate.KindSummaryCompleted, 1, "A")
	sc.Turn = &debate.Turn{Text: "summary"}
	vc := r.ev(4*time.Second, debate.KindVerdictCompleted, 2, "")
	vc.Verdict = &debate.Verdict{Recommendation: "42", Confidence: 90, By: "tally"}
	h.events(sc, vc)
	s := h.screen()
	mustContain(t, "tallied verdict", s, "verdict · confidence 90% · by tally")
	if n := len(h.m.seats); n != 3 {
		t.Fatalf("%d rows, want 3: an event without a seat made a row", n)
	}
}

func TestNoVerdictSaysWhy(t *testing.T) {
	h := newHarness(t, 100, 12)
	fin := h.r.ev(time.Second, debate.KindDebateFinished, 0, "")
	fin.Finished = &debate.Finished{Status: debate.StatusFailed, StoppedBecause: "quorum_lost", Error: "only 1 of 3 seats answered round 2"}
	h.events(h.r.started(t), fin)
	mustContain(t, "failed debate", h.screen(), "failed (quorum lost)", "no verdict: only 1 of 3 seats answered round 2")
}

func TestSeatOutRow(t *testing.T) {
	m := newModel(Options{Width: 160, Height: 12, NoColor: true})
	for _, e := range []debate.Event{
		{Kind: debate.KindDebateStarted, DebateID: "d1", Started: &debate.Started{Spec: debate.Spec{Mode: "standard"}, Panel: []debate.Seat{{Seat: "A", Model: "openai:a"}, {Seat: "B", Model: "openai:b"}, {Seat: "C", Model: "openai:hang"}}}},
		{Kind: debate.KindRoundStarted, Round: 1},
		{Kind: debate.KindTurnFailed, Round: 1, Seat: "C", Turn: &debate.Turn{ErrorClass: "timeout", Error: "no answer within 2s", Attempts: 2}},
		{Kind: debate.KindSeatOut, Round: 1, Seat: "C", Text: "round 1 failed after 2 attempts: no answer within 2s"},
		{Kind: debate.KindDebateResumed},
	} {
		m.apply(e)
	}
	view := ansi.Strip(m.View().Content)
	if !strings.Contains(view, "out after round 1: round 1 failed after 2 attempts") {
		t.Errorf("the out seat's row does not say so:\n%s", view)
	}
}
