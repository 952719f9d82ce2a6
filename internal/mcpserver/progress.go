package mcpserver

import (
	"encoding/json"
	"fmt"

	"github.com/parleyhq/parley/debate"
)

// progress turns a debate's events into MCP progress notifications: one per
// finished model call (each participant's turn, and the chair's verdict), so an
// agent's user sees the debate move while the tool call is open.
//
// The messages are built from parley's own fields only (seat, model ref,
// confidence, error class), never from a model's text: an answer is untrusted, and
// a progress line lands in the calling agent's view unquoted.
type progress struct {
	notify func(progress, total float64, message string)
	models map[string]string
	total  float64 // model calls the debate makes at most; 0 while unknown
	done   float64
}

func newProgress(notify func(progress, total float64, message string)) *progress {
	return &progress{notify: notify, models: map[string]string{}}
}

func (p *progress) event(e debate.Event) {
	switch e.Kind {
	case debate.KindDebateStarted:
		s := e.Started
		for _, seat := range s.Panel {
			name := seat.Model
			if seat.Label != "" {
				name = seat.Label
			}
			p.models[seat.Seat] = name
		}
		rounds := s.Spec.Rounds
		if rounds == 0 && s.Mode != nil {
			rounds = len(s.Mode.Rounds)
		}
		if rounds > 0 {
			p.total = float64(rounds*len(s.Panel) + 1) // every seat each round, then the verdict
		}
	case debate.KindTurnCompleted:
		p.step(fmt.Sprintf("round %d: seat %s (%s) answered (confidence %s)", e.Round, e.Seat, p.models[e.Seat], confidence(e.Turn.Reply.Confidence)))
	case debate.KindTurnFailed:
		p.step(fmt.Sprintf("round %d: seat %s (%s) failed after %d attempt(s) (%s); the debate goes on without it", e.Round, e.Seat, p.models[e.Seat], e.Turn.Attempts, className(e.Turn)))
	case debate.KindVerdictFailed:
		p.step(fmt.Sprintf("verdict: chair seat %s (%s) failed (%s); the next seat takes over", e.Seat, p.models[e.Seat], className(e.Turn)))
	case debate.KindVerdictCompleted:
		p.step(fmt.Sprintf("verdict: written by seat %s (%s) (confidence %d)", e.Seat, p.models[e.Seat], e.Verdict.Confidence))
	}
}

func (p *progress) step(msg string) {
	p.done++
	total := p.total
	if p.done > total {
		total = 0 // a chair failover made more calls than planned: say "unknown" rather than lie
	}
	p.notify(p.done, total, msg)
}

func confidence(c *int) string {
	if c == nil {
		return "unknown"
	}
	return fmt.Sprint(*c)
}

func className(t *debate.Turn) string {
	if t == nil || t.ErrorClass == "" {
		return "error"
	}
	return string(t.ErrorClass)
}

func marshalIndent(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}
