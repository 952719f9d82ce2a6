// Package report renders a debate's Record — itself a pure fold of the event log — as
// Markdown, the CONTRACT's JSON, a self-contained HTML page (html.go, with its SVG
// chart in chart.go) or a folder of Markdown files (dir.go). Renderers are pure
// functions: the live run and `parley show` print the same report for the same log.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/parleyhq/parley/debate"
)

// Options tune the Markdown report.
type Options struct {
	// Transcript appends every turn's full answer.
	Transcript bool
	// Calibration, when set, is what a stored eval of the same panel says the
	// verdict's confidence is worth; the reports show it beside the stated one.
	Calibration *Calibration
	// Correct, when set, says whether an answer is right: the caller knows the
	// reference answer (an eval does; a debate alone does not). The flips then show
	// wrong → right and right → wrong; nil leaves the directions out.
	Correct func(answer string) bool
}

// JSON writes the CONTRACT's result object.
func JSON(w io.Writer, rec *debate.Record) error { return JSONWith(w, rec, Options{}) }

// JSONWith writes the CONTRACT's result object, with a top-level "calibration"
// object when opt.Calibration is set (an extension: the CONTRACT's keys are unchanged).
func JSONWith(w io.Writer, rec *debate.Record, opt Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if opt.Calibration == nil {
		return enc.Encode(rec)
	}
	// Record has no MarshalJSON of its own, so embedding it flattens its fields.
	return enc.Encode(struct {
		*debate.Record
		Calibration *Calibration `json:"calibration"`
	}{rec, opt.Calibration})
}

// Markdown writes the human report: the verdict first, then the evidence.
func Markdown(w io.Writer, rec *debate.Record, opt Options) error {
	var b strings.Builder
	title := firstLine(rec.Problem, 100)
	fmt.Fprintf(&b, "# %s\n\n", title)
	fmt.Fprintf(&b, l(rec, "header.meta"), rec.ID, rec.Mode, panelLine(rec), statusLine(rec))

	for _, w := range rec.Warnings {
		fmt.Fprintf(&b, l(rec, "header.warning"), w)
	}

	writeVerdict(&b, rec, opt)
	writeRanking(&b, rec)
	writeTally(&b, rec)
	writeEvidence(&b, rec)
	writeFlips(&b, rec, opt)
	writePositions(&b, rec)
	writeFailures(&b, rec)
	writeNotes(&b, rec)
	writeMaterial(&b, rec)
	writeLedger(&b, rec)
	if opt.Transcript {
		writeTranscript(&b, rec)
	} else {
		fmt.Fprintf(&b, l(rec, "footer.full_answers"), rec.ID)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func panelLine(rec *debate.Record) string {
	var parts []string
	for _, s := range rec.Panel {
		p := s.Seat + " " + label(s)
		if s.Role != "" {
			p += " as " + s.Role
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("%d seats (%s)", len(rec.Panel), strings.Join(parts, ", "))
}

func label(s debate.Seat) string {
	if s.Label != "" {
		return s.Label
	}
	return s.Model
}

func statusLine(rec *debate.Record) string {
	s := string(rec.Status)
	if rec.StoppedBecause != "" {
		s += ", stopped: " + stopText(rec.StoppedBecause)
	}
	return s
}

func stopText(reason string) string {
	switch reason {
	case debate.StopConverged:
		return "the panel converged"
	case debate.StopMaxRounds:
		return "all rounds run"
	case debate.StopBudget:
		return "the next round would pass --max-cost"
	case debate.StopQuorumLost:
		return "fewer than 2 participants left"
	case debate.StopInterrupted:
		return "interrupted (resumable)"
	case debate.StopNoVerdict:
		return "no chair could write a verdict"
	case debate.StopDeadline:
		return "the debate's --deadline passed; the verdict is from what was answered"
	}
	return reason
}

func writeVerdict(b *strings.Builder, rec *debate.Record, opt Options) {
	v := rec.Verdict
	if v == nil {
		b.WriteString(l(rec, "verdict.none.heading"))
		switch {
		case rec.Status == debate.StatusRunning || rec.Status == debate.StatusInterrupted:
			fmt.Fprintf(b, l(rec, "verdict.none.unfinished"), rec.ID)
		case rec.Error != "":
			fmt.Fprintf(b, "%s.\n\n", rec.Error)
		}
		return
	}
	fmt.Fprintf(b, l(rec, "verdict.confidence"), v.Confidence)
	if c := opt.Calibration; c != nil {
		b.WriteString(calibrationLine(rec, c, "`"+c.EvalID+"`"))
		b.WriteString("\n\n")
	}
	fmt.Fprintf(b, "%s\n\n", strings.TrimSpace(v.Recommendation))
	fmt.Fprintf(b, l(rec, "verdict.by"), v.By)
	if v.Degraded != "" {
		fmt.Fprintf(b, l(rec, "verdict.degraded"), v.Degraded)
	}
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(b, "**%s**\n\n", title)
		for _, it := range items {
			fmt.Fprintf(b, "- %s\n", oneLine(it))
		}
		b.WriteString("\n")
	}
	list(l(rec, "verdict.agreed"), v.Consensus)
	list(l(rec, "verdict.disagreed"), v.Disagreements)
	list(l(rec, "verdict.dissent"), v.Dissent)
	list(l(rec, "verdict.risks"), v.Risks)
	list(l(rec, "verdict.next_steps"), v.NextSteps)
}

func writeEvidence(b *strings.Builder, rec *debate.Record) {
	b.WriteString(l(rec, "evidence.heading"))
	if bl := rec.Baseline; bl != nil {
		agree := ""
		if rec.Verdict != nil {
			agree = " The verdict **agrees** with it."
			if !bl.AgreesWithVerdict {
				agree = " The verdict **differs** from it: the debate changed the answer."
			}
		}
		if bl.Majority {
			fmt.Fprintf(b, l(rec, "evidence.baseline.majority"),
				len(bl.Seats), bl.Of, strings.Join(bl.Seats, ", "), quoteText(bl.Position), agree)
		} else {
			fmt.Fprintf(b, l(rec, "evidence.baseline.split"),
				bl.Of, len(bl.Seats), strings.Join(bl.Seats, ", "), quoteText(bl.Position), agree)
		}
		if bl.Method == "similarity" {
			b.WriteString(l(rec, "evidence.baseline.heuristic"))
		}
	}
	if len(rec.Flips) == 0 {
		b.WriteString(l(rec, "evidence.changes.none"))
	} else {
		b.WriteString(l(rec, "evidence.changes.heading"))
		for _, f := range rec.Flips {
			reason := f.Reason
			if reason == "" {
				reason = "no reason given"
			}
			fmt.Fprintf(b, l(rec, "evidence.changes.item"), f.Seat, modelOf(rec, f.Seat), f.Round, quoteText(f.From), quoteText(f.To), oneLine(reason))
		}
	}
	if len(rec.Rounds) > 1 {
		first, rest := roundTokens(rec.Rounds[:1]), roundTokens(rec.Rounds[1:])
		if first > 0 {
			fmt.Fprintf(b, l(rec, "evidence.cost"), num(rest), float64(rest)/float64(first), num(first))
		}
	}
	b.WriteString("\n")
}

func roundTokens(rs []debate.RoundRecord) int {
	n := 0
	for _, r := range rs {
		for _, t := range r.Turns {
			n += t.Usage.InputTokens + t.Usage.OutputTokens
		}
	}
	return n
}

func writePositions(b *strings.Builder, rec *debate.Record) {
	if len(rec.Rounds) == 0 {
		return
	}
	b.WriteString(l(rec, "positions.heading"))
	for _, r := range rec.Rounds {
		fmt.Fprintf(b, l(rec, "positions.round"), r.Number, r.Kind)
	}
	b.WriteString("\n|---|---|")
	for range rec.Rounds {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, s := range rec.Panel {
		fmt.Fprintf(b, "| %s | %s |", s.Seat, cell(label(s)))
		for _, r := range rec.Rounds {
			t, ok := rec.Turn(r.Number, s.Seat)
			switch {
			case !ok:
				b.WriteString(" — |")
			case !t.OK():
				fmt.Fprintf(b, " *failed: %s* |", t.ErrorClass)
			default:
				pos := t.Position
				if pos == "" {
					pos = "*(position unclear)*"
				}
				mark := ""
				if t.Changed {
					mark = " ↺"
				}
				if t.Truncated {
					mark += " ✂"
				}
				fmt.Fprintf(b, " %s (%s)%s |", cell(pos), conf(t.Confidence), mark)
			}
		}
		b.WriteString("\n")
	}
	b.WriteString(l(rec, "positions.legend"))
}

func writeRanking(b *strings.Builder, rec *debate.Record) {
	if len(rec.Ranking) == 0 {
		return
	}
	b.WriteString("## Peer review\n\nEach seat ranked the others' anonymous answers (never its own); Borda count:\n\n| Rank | Seat | Model | Points | Ranked by |\n|--:|---|---|--:|--:|\n")
	for _, e := range rec.Ranking {
		tie := ""
		if e.Tied {
			tie = " (tie)"
		}
		fmt.Fprintf(b, "| %d%s | %s | %s | %d | %d |\n", e.Rank, tie, e.Seat, cell(e.Model), e.Points, e.Votes)
	}
	b.WriteString("\n")
}

func writeTally(b *strings.Builder, rec *debate.Record) {
	t := rec.Tally
	if t == nil {
		return
	}
	b.WriteString("## Vote\n\n| Answer | Votes | Confidence-weighted | Seats |\n|---|--:|--:|---|\n")
	for _, e := range t.Answers {
		fmt.Fprintf(b, "| %s | %d | %d | %s |\n", cell(e.Answer), e.Votes, e.Weight, strings.Join(e.Seats, ", "))
	}
	majority, weighted := t.Majority, t.Weighted
	if majority == "" {
		majority = "tied"
	}
	if weighted == "" {
		weighted = "tied"
	}
	fmt.Fprintf(b, "\nMajority: **%s**. Confidence-weighted: **%s**. %d seats voted.\n\n", cell(majority), cell(weighted), t.Voters)
}

func writeMaterial(b *strings.Builder, rec *debate.Record) {
	c := rec.Clarification
	hasQ := c != nil && len(c.Questions) > 0
	if !hasQ && len(rec.Attachments) == 0 && len(rec.Summaries) == 0 {
		return
	}
	b.WriteString(l(rec, "material.heading"))
	if hasQ {
		b.WriteString(l(rec, "material.questions"))
		for i, q := range c.Questions {
			a := ""
			if i < len(c.Answers) {
				a = c.Answers[i]
			}
			if strings.TrimSpace(a) == "" {
				a = "*(no answer)*"
			}
			fmt.Fprintf(b, "- %s — %s\n", oneLine(q), oneLine(a))
		}
		b.WriteString("\n")
	}
	if len(rec.Attachments) > 0 {
		b.WriteString("| Attached file | Size | Read by the panel |\n|---|--:|---|\n")
		for _, a := range rec.Attachments {
			read := "all of it"
			if a.Truncated {
				read = fmt.Sprintf("first %s bytes (cut to fit the attachment budget)", num(a.Included))
			}
			fmt.Fprintf(b, "| %s | %s bytes | %s |\n", cell(a.Path), num(a.Bytes), read)
		}
		b.WriteString("\n")
	}
	var rounds []int
	for n := range rec.Summaries {
		rounds = append(rounds, n)
	}
	sort.Ints(rounds)
	for _, n := range rounds {
		s := rec.Summaries[n]
		fmt.Fprintf(b, "Round %d after round %d read a summary by seat %s (%s) instead of the full answers.\n", n+1, n, s.Seat, s.Model)
	}
	if len(rounds) > 0 {
		b.WriteString("\n")
	}
}

func writeFailures(b *strings.Builder, rec *debate.Record) {
	var lines []string
	for _, r := range rec.Rounds {
		for _, t := range r.Turns {
			if !t.OK() {
				lines = append(lines, fmt.Sprintf("- Round %d, seat %s (%s): %s after %d attempt(s)", r.Number, t.Seat, t.Model, oneLine(t.Error), t.Attempts))
			}
		}
	}
	for _, t := range rec.ChairFailures {
		lines = append(lines, fmt.Sprintf("- Verdict, seat %s (%s) as chair: %s after %d attempt(s); the next seat took over", t.Seat, t.Model, oneLine(t.Error), t.Attempts))
	}
	if len(lines) == 0 && len(rec.Out) == 0 {
		return
	}
	b.WriteString(l(rec, "failures.heading"))
	if len(lines) > 0 {
		b.WriteString(strings.Join(lines, "\n"))
		b.WriteString("\n\n")
	}
	if len(rec.Out) > 0 {
		b.WriteString(l(rec, "failures.out.heading"))
		for _, o := range rec.Out {
			fmt.Fprintf(b, l(rec, "failures.out.item"), o.Seat, o.Model, o.Round, o.At.UTC().Format("15:04:05 UTC"), oneLine(o.Reason))
		}
		b.WriteString("\n")
	}
}

func writeNotes(b *strings.Builder, rec *debate.Record) {
	if len(rec.Notes) == 0 {
		return
	}
	b.WriteString(l(rec, "notes.heading"))
	for _, n := range rec.Notes {
		fmt.Fprintf(b, l(rec, "notes.item"), n.AfterRound, oneLine(n.Text))
	}
	b.WriteString("\n")
}

func writeLedger(b *strings.Builder, rec *debate.Record) {
	b.WriteString(l(rec, "ledger.heading"))
	for _, row := range rec.Ledger {
		fmt.Fprintf(b, "| %s | %s | %d | %d | %s | %s | %s | %s |\n", row.Seat, cell(row.Model), row.Calls, row.Failed, num(row.InputTokens), num(row.OutputTokens), money(row.CostUSD), secs(row.LatencyMS))
	}
	fmt.Fprintf(b, l(rec, "ledger.total"), num(rec.Usage.InputTokens), num(rec.Usage.OutputTokens), money(rec.Usage.CostUSD))

	b.WriteString(l(rec, "ledger.rounds.heading"))
	for _, r := range rec.Rounds {
		in, out, okN := 0, 0, 0
		for _, t := range r.Turns {
			in += t.Usage.InputTokens
			out += t.Usage.OutputTokens
			if t.OK() {
				okN++
			}
		}
		fmt.Fprintf(b, "| %d | %s | %d/%d | %s | %s | %s |\n", r.Number, r.Kind, okN, len(rec.Panel), num(in), num(out), secs(r.DurationMS))
	}
	if vt := rec.VerdictTurn; vt != nil {
		fmt.Fprintf(b, "| verdict | chair %s | 1/1 | %s | %s | %s |\n", vt.Seat, num(vt.Usage.InputTokens), num(vt.Usage.OutputTokens), secs(vt.LatencyMS))
	}
	fmt.Fprintf(b, l(rec, "ledger.stopped"), secs(rec.DurationMS), stopText(rec.StoppedBecause))
	if rec.Usage.CostUSD == 0 {
		b.WriteString(l(rec, "ledger.unknown_price"))
	}
}

func writeTranscript(b *strings.Builder, rec *debate.Record) {
	b.WriteString(l(rec, "transcript.heading"))
	for _, r := range rec.Rounds {
		fmt.Fprintf(b, l(rec, "transcript.round"), r.Number, r.Kind)
		for _, t := range r.Turns {
			fmt.Fprintf(b, l(rec, "transcript.seat"), t.Seat, t.Model)
			if !t.OK() {
				fmt.Fprintf(b, "*Failed: %s*\n", oneLine(t.Error))
				continue
			}
			b.WriteString(strings.TrimSpace(t.Text))
			b.WriteString("\n")
		}
	}
	if vt := rec.VerdictTurn; vt != nil {
		fmt.Fprintf(b, l(rec, "transcript.verdict"), vt.Seat, vt.Model, strings.TrimSpace(vt.Text))
	}
}

func modelOf(rec *debate.Record, seat string) string {
	for _, s := range rec.Panel {
		if s.Seat == seat {
			return label(s)
		}
	}
	return "?"
}

func conf(c *int) string {
	if c == nil {
		return "?"
	}
	return fmt.Sprintf("%d", *c)
}

func cell(s string) string {
	s = oneLine(s)
	return strings.ReplaceAll(s, "|", "\\|")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func quoteText(s string) string {
	if s == "" {
		return "*(unclear)*"
	}
	return "“" + oneLine(s) + "”"
}

func firstLine(s string, max int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}

func num(n int) string {
	s := fmt.Sprint(n)
	if n < 1000 {
		return s
	}
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	return string(out)
}

func money(v float64) string {
	if v == 0 {
		return "$0"
	}
	if v < 0.01 {
		return fmt.Sprintf("$%.4f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

func secs(ms int64) string {
	return fmt.Sprintf("%.1fs", float64(ms)/1000)
}
