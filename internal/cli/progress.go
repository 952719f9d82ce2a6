package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/parleyhq/parley/debate"
)

// progress prints plain lines on stderr, one per event that matters: it suits a pipe,
// a log file and a terminal alike, and never writes escape codes.
type progress struct {
	w      io.Writer
	models map[string]string
	rounds int
	start  time.Time
}

func newProgress(w io.Writer, d debate.Debate) *progress {
	p := &progress{w: w, models: map[string]string{}, start: time.Now()}
	for _, s := range d.Panel {
		p.models[s.Seat.Seat] = seatName(s.Seat)
	}
	return p
}

func seatName(s debate.Seat) string {
	if s.Label != "" {
		return s.Label
	}
	return s.Model
}

func (p *progress) print(e debate.Event) {
	switch e.Kind {
	case debate.KindDebateStarted:
		s := e.Started
		var seats []string
		for _, seat := range s.Panel {
			p.models[seat.Seat] = seatName(seat)
			seats = append(seats, seat.Seat+" "+seatName(seat))
		}
		p.rounds = len(s.Mode.Rounds)
		if s.Spec.Rounds > 0 {
			p.rounds = s.Spec.Rounds
		}
		fmt.Fprintf(p.w, "parley: debate %s · mode %s · %s\n", e.DebateID, s.Spec.Mode, strings.Join(seats, ", "))
	case debate.KindDebateResumed:
		fmt.Fprintf(p.w, "parley: resuming debate %s; finished turns are not called again\n", e.DebateID)
	case debate.KindRoundStarted:
		fmt.Fprintf(p.w, "round %d (%s): asking every seat in parallel\n", e.Round, e.RoundKind)
	case debate.KindTurnRetrying:
		fmt.Fprintf(p.w, "  %s %s: attempt %d failed (%s); retrying in %s\n", e.Seat, p.models[e.Seat], e.Retry.Attempt, e.Retry.Error, e.Retry.Wait.Round(100*time.Millisecond))
	case debate.KindTurnCompleted:
		t := e.Turn
		fmt.Fprintf(p.w, "  %s %s: answered in %.1fs · %d tokens out · %s\n", e.Seat, p.models[e.Seat], float64(t.LatencyMS)/1000, t.Usage.OutputTokens, positionText(t.Reply))
	case debate.KindTurnFailed:
		fmt.Fprintf(p.w, "  %s %s: FAILED after %d attempt(s): %s\n", e.Seat, p.models[e.Seat], e.Turn.Attempts, e.Turn.Error)
	case debate.KindSeatOut:
		fmt.Fprintf(p.w, "  %s %s: OUT of the debate, not asked again: %s\n", e.Seat, p.models[e.Seat], e.Text)
	case debate.KindRoundCompleted:
		a := e.Agreement
		line := fmt.Sprintf("round %d done: %d answered, %d failed", e.Round, a.Live, a.Failed)
		if a.Converged {
			line += "; every seat says the panel has converged"
		}
		fmt.Fprintln(p.w, line)
	case debate.KindUserNote:
		fmt.Fprintf(p.w, "note for the next round: %s\n", e.Text)
	case debate.KindVerdictFailed:
		fmt.Fprintf(p.w, "verdict: chair %s %s failed (%s); the next seat takes over\n", e.Seat, p.models[e.Seat], e.Turn.Error)
	case debate.KindVerdictCompleted:
		fmt.Fprintf(p.w, "verdict by %s %s: confidence %d\n", e.Seat, p.models[e.Seat], e.Verdict.Confidence)
	case debate.KindDebateFinished:
		f := e.Finished
		fmt.Fprintf(p.w, "parley: %s (%s) after %.1fs\n", f.Status, f.StoppedBecause, time.Since(p.start).Seconds())
	}
}

func positionText(r debate.Reply) string {
	pos := r.Position
	if pos == "" {
		pos = "(position unclear)"
	}
	if rs := []rune(pos); len(rs) > 80 {
		pos = string(rs[:80]) + "…"
	}
	c := "?"
	if r.Confidence != nil {
		c = fmt.Sprint(*r.Confidence)
	}
	return fmt.Sprintf("%q, confidence %s", pos, c)
}
