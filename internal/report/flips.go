package report

import (
	"fmt"
	"strings"

	"github.com/parleyhq/parley/debate"
)

// The "Flips" section shows the engine's flip matrix (debate.AnalyseFlips): every
// change of answer, labelled conformity (moved to the majority with no argument new
// to the seat) or argued, and what each round cost and moved. It is the evidence on
// whether the rounds after the first earned their cost, which "Did the debate change
// anything?" only summarises. A debate without flips has no section, as the other
// optional sections do: the summary's "none; every seat kept its position" says it.

// maxReasonRunes bounds a reason in the table: the full text is in the transcript,
// and a paragraph would make the table unreadable.
const maxReasonRunes = 160

// flipsView is the section's content, shared by the Markdown and HTML renderers so
// that both count and label alike.
type flipsView struct {
	Rows       []flipRow
	Conformity int
	Argued     int
	Unargued   int
	// Known: the caller could score answers (Options.Correct), so the directions are
	// shown.
	Known        bool
	WrongToRight int
	RightToWrong int
	Rounds       []flipRound
}

type flipRow struct {
	Seat, Model string
	Round       int
	From, To    string // raw answers; each renderer quotes and escapes them
	Label       string // debate.FlipConformity, FlipArgued or FlipUnargued, for CSS
	Kind        string // the label in the report's language
	Direction   string // "wrong → right" etc., translated; "" when not Known
	Reason      string // an excerpt of the argument the seat gave, or that it gave none
}

type flipRound struct {
	Round, Answered, Changed, Tokens int
	Majority                         string
	Moved                            bool
	CostUSD                          float64
}

// newFlipsView is nil when the record has no flip matrix or no flips.
func newFlipsView(rec *debate.Record, opt Options) *flipsView {
	fm := rec.FlipMatrix
	if fm == nil || len(fm.Flips) == 0 {
		return nil
	}
	v := &flipsView{Conformity: fm.Conformity, Argued: fm.Argued, Unargued: fm.Unargued, Known: opt.Correct != nil}
	for _, f := range fm.Flips {
		reason := excerpt(f.Argument, maxReasonRunes)
		if reason == "" {
			reason = l(rec, "flips.no_reason")
		}
		row := flipRow{Seat: f.Seat, Model: modelOf(rec, f.Seat), Round: f.Round, From: f.From, To: f.To, Label: f.Label, Kind: l(rec, "flips.kind."+f.Label), Reason: reason}
		if v.Known {
			from, to := opt.Correct(f.From), opt.Correct(f.To)
			row.Direction = l(rec, "flips.direction."+rightWrong(from)+"-"+rightWrong(to))
			switch {
			case !from && to:
				v.WrongToRight++
			case from && !to:
				v.RightToWrong++
			}
		}
		v.Rows = append(v.Rows, row)
	}
	for _, r := range fm.Rounds {
		v.Rounds = append(v.Rounds, flipRound{Round: r.Round, Answered: r.Answered, Changed: r.Changed, Tokens: r.Tokens, Majority: r.Majority, Moved: r.MajorityMove, CostUSD: r.CostUSD})
	}
	return v
}

func rightWrong(ok bool) string {
	if ok {
		return "right"
	}
	return "wrong"
}

// excerpt is s on one line, cut to max runes with an ellipsis.
func excerpt(s string, max int) string {
	s = oneLine(s)
	if r := []rune(s); len(r) > max {
		s = strings.TrimSpace(string(r[:max])) + "…"
	}
	return s
}

func writeFlips(b *strings.Builder, rec *debate.Record, opt Options) {
	v := newFlipsView(rec, opt)
	if v == nil {
		return
	}
	b.WriteString(l(rec, "flips.heading"))
	if v.Known {
		b.WriteString(l(rec, "flips.table.direction"))
	} else {
		b.WriteString(l(rec, "flips.table"))
	}
	for _, f := range v.Rows {
		dir := ""
		if v.Known {
			dir = " " + f.Direction + " |"
		}
		fmt.Fprintf(b, "| %s | %d | %s → %s | %s |%s %s |\n", f.Seat, f.Round, cell(quoteText(f.From)), cell(quoteText(f.To)), f.Kind, dir, cell(f.Reason))
	}
	// The sentences are the HTML page's too, hence keys without the line breaks.
	b.WriteString("\n")
	fmt.Fprintf(b, l(rec, "flips.counts"), v.Conformity, v.Argued, v.Unargued)
	b.WriteString("\n")
	if v.Known {
		fmt.Fprintf(b, l(rec, "flips.directions"), v.WrongToRight, v.RightToWrong)
		b.WriteString("\n")
	}
	b.WriteString(l(rec, "flips.rounds.table"))
	for _, r := range v.Rounds {
		maj := "—"
		if r.Majority != "" {
			maj = cell(quoteText(r.Majority))
		}
		if r.Moved {
			maj += l(rec, "flips.moved")
		}
		fmt.Fprintf(b, "| %d | %d | %d | %s | %s | %s |\n", r.Round, r.Answered, r.Changed, maj, num(r.Tokens), money(r.CostUSD))
	}
	b.WriteString("\n")
}
