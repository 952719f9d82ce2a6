package debate

import (
	"fmt"
	"slices"
	"strings"
)

// PromptPiece is one piece of a prompt as the log stores it: literal text, or the
// whole answer of an earlier turn (Round and Seat), which the log already holds.
//
// Why: from round 2 on, most of a prompt is the other seats' answers, word for word.
// Storing them again in every prompt made a turn's event ~3× its answer, and the
// append path's cost is mostly the database pages it writes (docs/BENCHMARKS.md).
// The pieces keep the prompt exact: Turn.PromptText puts it back together.
type PromptPiece struct {
	Text  string `json:"text,omitempty"`
	Round int    `json:"round,omitempty"`
	Seat  string `json:"seat,omitempty"`
}

// quoted is an answer a prompt quotes whole: the text of turn (round, seat) exactly
// as the record holds it.
type quoted struct {
	round int
	seat  string
	text  string
}

// minQuoted: a shorter answer stays in the prompt's text; a reference would save
// next to nothing.
const minQuoted = 128

// promptPieces splits prompt at the answers in qs that it contains whole. It returns
// nil when it found none to take out: the prompt is then stored as it is.
//
// An answer is looked for as a whole, at its first occurrence; one that overlaps an
// answer already taken out (two seats that wrote the same text, or an answer that
// quotes another's) stays in the text. Either way the pieces put back together give
// the prompt byte for byte.
func promptPieces(prompt string, qs []quoted) []PromptPiece {
	type span struct {
		at int
		q  quoted
	}
	var spans []span
	for _, q := range qs {
		if len(q.text) < minQuoted || q.round < 1 || q.seat == "" {
			continue
		}
		if i := strings.Index(prompt, q.text); i >= 0 {
			spans = append(spans, span{i, q})
		}
	}
	if len(spans) == 0 {
		return nil
	}
	slices.SortStableFunc(spans, func(a, b span) int { return a.at - b.at })
	out := make([]PromptPiece, 0, 2*len(spans)+1)
	pos := 0
	for _, s := range spans {
		if s.at < pos {
			continue
		}
		if s.at > pos {
			out = append(out, PromptPiece{Text: prompt[pos:s.at]})
		}
		out = append(out, PromptPiece{Round: s.q.round, Seat: s.q.seat})
		pos = s.at + len(s.q.text)
	}
	if pos < len(prompt) {
		out = append(out, PromptPiece{Text: prompt[pos:]})
	}
	return out
}

// setPrompt stores the prompt on the turn: as pieces when it quotes answers the log
// holds, else whole.
func (t *Turn) setPrompt(prompt string, qs []quoted) {
	if ps := promptPieces(prompt, qs); ps != nil {
		t.PromptPieces = ps
		return
	}
	t.Prompt = prompt
}

// PromptText is the prompt the turn was sent, whole. answer gives the text of an
// earlier turn (as Record.Turn does); an answer it does not know is marked in its
// place, which only a log cut short or edited can cause.
func (t *Turn) PromptText(answer func(round int, seat string) (string, bool)) string {
	if len(t.PromptPieces) == 0 {
		return t.Prompt
	}
	var b strings.Builder
	for _, p := range t.PromptPieces {
		if p.Round == 0 {
			b.WriteString(p.Text)
			continue
		}
		text, ok := "", false
		if answer != nil {
			text, ok = answer(p.Round, p.Seat)
		}
		if !ok {
			text = fmt.Sprintf("[the answer of seat %s in round %d, not in this log]", p.Seat, p.Round)
		}
		b.WriteString(text)
	}
	return b.String()
}
