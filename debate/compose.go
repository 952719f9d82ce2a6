package debate

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// prompt composes seat p's prompt for round n from the log: the complete previous
// answers of the others (never a pointer, never the first lines), labelled by seat
// only, shuffled for this recipient, inside delimiters that mark them as quoted. A
// round may instead show the chair's summary, or the answers cut to a budget; a cut
// is marked in the prompt, and reported.
func (r *run) prompt(st *Record, n int, def RoundDef, p Participant) (composed, error) {
	seat := p.Seat.Seat
	nc := nonce(r.spec.Seed, n, seat)
	data := promptData{
		Problem:   r.problem(st),
		Context:   defang(r.spec.Context, nc),
		Files:     r.files(nc),
		Seat:      seat,
		Persona:   p.Seat.Persona,
		PanelSize: len(r.panel),
		Round:     n,
		Rounds:    r.rounds(),
		Nonce:     nc,
		Notes:     notesBefore(st, n),
	}
	data.Contested = r.contestedBefore(st, n, nc)
	truncated := false
	if n > 1 {
		prev := n - 1
		data.OthersRound = prev
		var others []quote
		for _, o := range r.panel {
			t, ok := st.Turn(prev, o.Seat.Seat)
			switch {
			case o.Seat.Seat == seat:
				// A reviewer never sees its own answer: it could not judge it blind.
				if ok && t.OK() && def.Kind != RoundReview {
					q := answerQuote(prev, seat, t.Text, nc)
					data.Own = &q
				}
			case ok && t.OK():
				others = append(others, answerQuote(prev, o.Seat.Seat, t.Text, nc))
			default:
				data.Missing = append(data.Missing, o.Seat.Seat)
			}
		}
		switch sum, ok := st.Summaries[prev]; {
		case def.Sees == SeesSummary && ok:
			data.Summary = &quote{Seat: sum.Seat, Round: prev, Text: defang(sum.Text, nc)}
		case def.Sees == SeesBudget:
			limit := budgetChars(p.Seat.ContextWindow, def.Budget, len(others))
			for i := range others {
				var cut bool
				others[i].Text, cut = cutToBudget(others[i].Text, limit)
				others[i].Truncated = cut
				truncated = truncated || cut
			}
			data.Others = others
		default:
			data.Others = others
		}
		if data.Summary == nil {
			data.Others = shuffled(r.spec.Seed, n, seat, others)
		}
	}
	text, err := render(def.Prompt, data)
	return composed{text: text, truncated: truncated, quotes: data.quoted()}, err
}

// composed is a prompt as the engine sends it, and what the log needs to store it.
type composed struct {
	text      string
	truncated bool
	quotes    []quoted // answers it may quote whole (promptlog.go)
}

// defaultContextWindow is assumed for a model whose context parley does not know.
const defaultContextWindow = 32_000

// budgetChars is how many characters of each other answer fit a reader's budget:
// a share of its context window split between the answers, at ~4 bytes a token.
func budgetChars(window int, share float64, answers int) int {
	if window <= 0 {
		window = defaultContextWindow
	}
	if share <= 0 {
		share = 0.5
	}
	return int(float64(window)*share) * 4 / max(1, answers)
}

// cutToBudget keeps the head and the tail of a long answer (the tail holds its
// conclusion and reply block) and marks the cut where it was made.
func cutToBudget(text string, limit int) (string, bool) {
	if len(text) <= limit {
		return text, false
	}
	head, tail := limit*7/10, limit*3/10
	for head > 0 && !utf8.RuneStart(text[head]) {
		head--
	}
	from := len(text) - tail
	for from < len(text) && !utf8.RuneStart(text[from]) {
		from++
	}
	marker := fmt.Sprintf("\n\n[… parley cut %d of %d characters here to fit this reader's context budget …]\n\n", from-head, len(text))
	return text[:head] + marker + text[from:], true
}

func notesBefore(st *Record, n int) []string {
	var out []string
	for _, note := range st.Notes {
		if note.AfterRound == n-1 {
			out = append(out, note.Text)
		}
	}
	return out
}

// verdict asks the chair, then each next live seat in turn, for the verdict.
func (r *run) verdict(ctx context.Context, st *Record) error {
	// The latest round that has answers: a deadline may have cut the last one
	// before any seat answered it.
	last := lastAnswered(st).Number
	if last == 0 {
		last = len(st.Rounds)
	}
	for _, p := range r.chairOrder(st, last) {
		seat := p.Seat.Seat
		nc := nonce(r.spec.Seed, last+1, seat)
		data := promptData{
			Problem:     r.problem(st),
			Context:     defang(r.spec.Context, nc),
			Files:       r.files(nc),
			Seat:        seat,
			PanelSize:   len(r.panel),
			Round:       last + 1,
			Rounds:      r.rounds(),
			Nonce:       nc,
			OthersRound: last,
			Ranking:     st.Ranking,
		}
		var answers []quote
		for _, o := range r.panel {
			if t, ok := st.Turn(last, o.Seat.Seat); ok && t.OK() {
				answers = append(answers, answerQuote(last, o.Seat.Seat, t.Text, nc))
			} else {
				data.Missing = append(data.Missing, o.Seat.Seat)
			}
			h := seatHistory{Seat: o.Seat.Seat}
			for i := 1; i <= last; i++ {
				t, ok := st.Turn(i, o.Seat.Seat)
				switch {
				case !ok || !t.OK():
					h.Positions = append(h.Positions, "(no answer)")
				case t.Position == "":
					h.Positions = append(h.Positions, "(position unclear)")
				default:
					h.Positions = append(h.Positions, fmt.Sprintf("%q (%s)", t.Position, confText(t.Confidence)))
				}
			}
			data.History = append(data.History, h)
		}
		// The chair reads the answers in seat order: it is one reader, and the
		// history above is in seat order too.
		data.Others = answers
		prompt, err := render(r.mode.Verdict.Prompt, data)
		if err != nil {
			return err
		}
		_, ok := r.turn(ctx, last+1, p, composed{text: prompt, quotes: data.quoted()}, KindVerdictCompleted, KindVerdictFailed)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := r.emitFailed(); err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return nil
}

func confText(c *int) string {
	if c == nil {
		return "confidence not given"
	}
	return fmt.Sprintf("confidence %d", *c)
}

// chairOrder is the chair, then every other seat after it in seat order; seats that
// answered the last round come before those that did not.
func (r *run) chairOrder(st *Record, last int) []Participant {
	start := 0
	if c := strings.TrimSpace(r.spec.Chair); c != "" {
		for i, p := range r.panel {
			if p.Seat.Seat == c || p.Seat.Model == c || p.Seat.Label == c {
				start = i
				break
			}
		}
	}
	var liveSeats, rest, out []Participant
	for k := range r.panel {
		p := r.panel[(start+k)%len(r.panel)]
		switch t, ok := st.Turn(last, p.Seat.Seat); {
		case ok && t.OK():
			liveSeats = append(liveSeats, p)
		case st.IsOut(p.Seat.Seat):
			out = append(out, p) // it failed a round: the last to be asked
		default:
			rest = append(rest, p)
		}
	}
	rest = append(rest, out...)
	// Seats already tried as chair on an earlier run are not asked again.
	tried := map[string]bool{}
	for _, f := range st.ChairFailures {
		tried[f.Seat] = true
	}
	var order []Participant
	for _, p := range append(liveSeats, rest...) {
		if !tried[p.Seat.Seat] {
			order = append(order, p)
		}
	}
	return order
}

// readVerdict reads the chair's reply. A reply without a readable block still gives a
// verdict: its first paragraph, with the panel's mean final confidence. When seats
// dropped out, the confidence is scaled by the share that answered, and the absence
// is named, because a verdict from fewer voices is weaker evidence.
func (r *run) readVerdict(text string, chair Seat) *Verdict {
	v, ok := ParseVerdict(text)
	st := r.state()
	last := len(st.Rounds)
	if !ok {
		v.Text = text
		v.Recommendation = firstParagraph(text)
		sum, k := 0, 0
		for _, t := range st.Rounds[last-1].Turns {
			if t.OK() && t.Confidence != nil {
				sum += *t.Confidence
				k++
			}
		}
		if k > 0 {
			v.Confidence = sum / k
		}
	}
	v.By = chair.Model
	if chair.Label != "" {
		v.By = chair.Label
	}
	var missing []string
	for _, p := range r.panel {
		if t, ok := st.Turn(last, p.Seat.Seat); !ok || !t.OK() {
			missing = append(missing, p.Seat.Seat+" ("+st.modelOf(p.Seat.Seat)+")")
		}
	}
	if len(missing) > 0 {
		answered := len(r.panel) - len(missing)
		v.Confidence = v.Confidence * answered / len(r.panel)
		v.Disagreements = append(v.Disagreements, fmt.Sprintf("Not heard in the final round: %s; confidence lowered to %d/%d of the chair's", strings.Join(missing, ", "), answered, len(r.panel)))
	}
	return &v
}

func firstParagraph(text string) string {
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		para = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(para), "#*> "))
		if para != "" {
			if r := []rune(para); len(r) > 400 {
				para = string(r[:400]) + "…"
			}
			return para
		}
	}
	return ""
}
