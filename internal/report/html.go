package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/parleyhq/parley/debate"
)

// The HTML report is one self-contained file to open or forward: inline CSS, inline
// SVG, no script, no fonts, no images, nothing fetched. Its Content-Security-Policy
// forbids scripts and every network load outright, so even a mistake in escaping
// could not run code or phone home. The content and its order are the Markdown
// report's: the verdict first, then the evidence, the positions, failures, notes,
// the ledger, why it stopped, and the transcript, folded per turn.
//
// Everything from the Record is untrusted (model output above all) and reaches the
// page through html/template's contextual escaping; answers are Markdown, rendered
// by the conservative renderer in markdown.go, which escapes all it does not know.

//go:embed html.tmpl
var htmlTemplate string

//go:embed style.css
var htmlStyle string

// htmlTmpl is parsed on first use, not at init: package init runs on every start
// of every command (parley version included), and parsing measured ~1 ms.
var htmlTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"md":     renderMarkdown,
		"inline": func(s string) template.HTML { return template.HTML(renderInline(oneLine(s))) },
		"conf":   confPct,
		"num":    num,
		"money":  money,
		"secs":   secs,
		"clamp":  clamp,
		"quote":  quoted,
	}).Parse(htmlTemplate))
})

func clamp(c int) int {
	if c < 0 {
		return 0
	}
	if c > 100 {
		return 100
	}
	return c
}

// HTML writes the report as one self-contained HTML page.
func HTML(w io.Writer, rec *debate.Record) error { return HTMLWith(w, rec, Options{}) }

// HTMLWith is HTML with the options the Markdown report takes (the transcript is
// always in the page, folded, so opt.Transcript changes nothing).
func HTMLWith(w io.Writer, rec *debate.Record, opt Options) error {
	var b strings.Builder
	if err := htmlTmpl().Execute(&b, newHTMLView(rec, opt)); err != nil {
		return fmt.Errorf("rendering the HTML report: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// T translates one of the page's fixed labels into the report's language (see
// lang.go); the template calls it as {{$.T "Label"}}.
func (v htmlView) T(label string) string { return l(v.Rec, label) }

// Lang is the page's language attribute.
func (v htmlView) Lang() string { return Language(v.Rec) }

// htmlView is what the template reads: the Record plus what is derived from it, so
// the template holds layout and no logic beyond loops and conditions.
type htmlView struct {
	Rec         *debate.Record
	Style       template.CSS
	Title       string
	FullProblem string // set when the title does not show the whole problem
	Panel       []seatView
	Status      string
	Created     string
	NoVerdict   string
	Lists       []verdictList
	Baseline    *baselineView
	Flips       []flipView
	Debating    string // the cost of debating, in words
	Ranking     []rankView
	Tally       *debate.Tally
	Questions   []qaView // the chair's clarifying questions and the user's answers
	Summaries   []summaryView
	Chart       template.HTML
	Rounds      []roundView
	Positions   []positionRow
	Failures    []failureView
	Ledger      []debate.LedgerRow
	RoundLedger []roundLedger
	Stopped     string
	Transcript  []transcriptRound
	Verdict     *turnView
	// FlipMatrix is the "Flips" section; nil when no seat changed its answer.
	FlipMatrix *flipsView
	// Calibration is the stored eval's word on the verdict's confidence, in words;
	// "" when there is none.
	Calibration string
}

type seatView struct {
	Seat, Model, Persona, Role, Class string
}

type rankView struct {
	debate.RankEntry
	Model string
}

type summaryView struct {
	Round, Next int
	Seat, Model string
}

type verdictList struct {
	Title, Class string
	Items        []string
}

type baselineView struct {
	Position  string
	Seats     string
	Count     int
	Of        int
	Majority  bool
	Agrees    string // "agrees", "differs", or "" when there is no verdict to compare with
	Heuristic bool
}

type qaView struct {
	Question, Answer string
}

type flipView struct {
	Seat, Model, From, To, Reason string
	Round                         int
}

type roundView struct {
	Number int
	Kind   string
}

type positionRow struct {
	Seat, Model, Class string
	Cells              []positionCell
}

type positionCell struct {
	Missing   bool
	Failed    bool
	Class     string // error class, for failed turns
	Position  string
	Conf      string
	Changed   bool
	Truncated bool
	Anchor    string
}

type failureView struct {
	Where, Seat, Model, Error, Class string
	Attempts                         int
	Chair                            bool
}

// ShowClass: the class is worth showing apart only when the message does not begin
// with it already.
func (f failureView) ShowClass() bool {
	return f.Class != "" && !strings.HasPrefix(f.Error, f.Class)
}

type roundLedger struct {
	Number       int
	Kind         string
	Answered, Of int
	In, Out      int
	DurationMS   int64
	Verdict      bool
	ChairSeat    string
}

type transcriptRound struct {
	Number int
	Kind   string
	Turns  []turnView
}

type turnView struct {
	Anchor string
	Round  int
	debate.TurnRecord
}

func newHTMLView(rec *debate.Record, opt Options) htmlView {
	v := htmlView{
		Rec:     rec,
		Style:   template.CSS(htmlStyle),
		Title:   firstLine(rec.Problem, 100),
		Status:  statusLine(rec),
		Chart:   Chart(rec),
		Stopped: stopText(rec.StoppedBecause),
	}
	v.FlipMatrix = newFlipsView(rec, opt)
	if c := opt.Calibration; c != nil && rec.Verdict != nil {
		v.Calibration = calibrationLine(rec, c, c.EvalID)
	}
	if p := strings.TrimSpace(rec.Problem); p != v.Title {
		v.FullProblem = p
	}
	if !rec.CreatedAt.IsZero() {
		v.Created = rec.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	classOf := map[string]string{}
	for i, s := range rec.Panel {
		c := fmt.Sprintf("s%d", i%len(seriesColors))
		classOf[s.Seat] = c
		v.Panel = append(v.Panel, seatView{Seat: s.Seat, Model: label(s), Persona: s.Persona, Role: s.Role, Class: c})
	}

	if vd := rec.Verdict; vd != nil {
		for _, l := range []verdictList{
			{"Where the panel agreed", "consensus", vd.Consensus},
			{"Where it did not", "disagreements", vd.Disagreements},
			{"Dissent", "dissent", vd.Dissent},
			{"Risks", "risks", vd.Risks},
			{"Next steps", "next", vd.NextSteps},
		} {
			if len(l.Items) > 0 {
				v.Lists = append(v.Lists, l)
			}
		}
	} else {
		switch {
		case rec.Status == debate.StatusRunning || rec.Status == debate.StatusInterrupted:
			v.NoVerdict = "The debate has not finished. Continue it with `parley resume " + rec.ID + "`."
		case rec.Error != "":
			v.NoVerdict = rec.Error + "."
		}
	}

	for _, e := range rec.Ranking {
		model := e.Model
		if model == "" {
			model = modelOf(rec, e.Seat)
		}
		v.Ranking = append(v.Ranking, rankView{RankEntry: e, Model: model})
	}
	v.Tally = rec.Tally
	if c := rec.Clarification; c != nil {
		for i, q := range c.Questions {
			a := ""
			if i < len(c.Answers) {
				a = c.Answers[i]
			}
			v.Questions = append(v.Questions, qaView{Question: q, Answer: a})
		}
	}
	rounds := make([]int, 0, len(rec.Summaries))
	for n := range rec.Summaries {
		rounds = append(rounds, n)
	}
	sort.Ints(rounds)
	for _, n := range rounds {
		sm := rec.Summaries[n]
		v.Summaries = append(v.Summaries, summaryView{Round: n, Next: n + 1, Seat: sm.Seat, Model: sm.Model})
	}

	if bl := rec.Baseline; bl != nil {
		bv := &baselineView{Position: quoted(bl.Position), Seats: strings.Join(bl.Seats, ", "), Count: len(bl.Seats), Of: bl.Of, Majority: bl.Majority, Heuristic: bl.Method == "similarity"}
		if rec.Verdict != nil {
			bv.Agrees = "differs"
			if bl.AgreesWithVerdict {
				bv.Agrees = "agrees"
			}
		}
		v.Baseline = bv
	}
	for _, f := range rec.Flips {
		reason := f.Reason
		if reason == "" {
			reason = "no reason given"
		}
		v.Flips = append(v.Flips, flipView{Seat: f.Seat, Model: modelOf(rec, f.Seat), Round: f.Round, From: quoted(f.From), To: quoted(f.To), Reason: reason})
	}
	if len(rec.Rounds) > 1 {
		first, rest := roundTokens(rec.Rounds[:1]), roundTokens(rec.Rounds[1:])
		if first > 0 {
			v.Debating = fmt.Sprintf("The rounds after the first used %s tokens, %.1f× the independent round's %s.", num(rest), float64(rest)/float64(first), num(first))
		}
	}

	for _, r := range rec.Rounds {
		v.Rounds = append(v.Rounds, roundView{Number: r.Number, Kind: r.Kind})
	}
	for _, s := range rec.Panel {
		row := positionRow{Seat: s.Seat, Model: label(s), Class: classOf[s.Seat]}
		for _, r := range rec.Rounds {
			t, ok := rec.Turn(r.Number, s.Seat)
			switch {
			case !ok:
				row.Cells = append(row.Cells, positionCell{Missing: true})
			case !t.OK():
				row.Cells = append(row.Cells, positionCell{Failed: true, Class: string(t.ErrorClass), Anchor: turnAnchor(r.Number, s.Seat)})
			default:
				row.Cells = append(row.Cells, positionCell{Position: oneLine(t.Position), Conf: confPct(t.Confidence), Changed: t.Changed, Truncated: t.Truncated, Anchor: turnAnchor(r.Number, s.Seat)})
			}
		}
		v.Positions = append(v.Positions, row)
	}

	for _, r := range rec.Rounds {
		for _, t := range r.Turns {
			if !t.OK() {
				v.Failures = append(v.Failures, failureView{Where: fmt.Sprintf("Round %d", r.Number), Seat: t.Seat, Model: t.Model, Error: oneLine(t.Error), Class: string(t.ErrorClass), Attempts: t.Attempts})
			}
		}
	}
	for _, t := range rec.ChairFailures {
		v.Failures = append(v.Failures, failureView{Where: "Verdict", Seat: t.Seat, Model: t.Model, Error: oneLine(t.Error), Class: string(t.ErrorClass), Attempts: t.Attempts, Chair: true})
	}

	v.Ledger = rec.Ledger
	for _, r := range rec.Rounds {
		rl := roundLedger{Number: r.Number, Kind: r.Kind, Of: len(rec.Panel), DurationMS: r.DurationMS}
		for _, t := range r.Turns {
			rl.In += t.Usage.InputTokens
			rl.Out += t.Usage.OutputTokens
			if t.OK() {
				rl.Answered++
			}
		}
		v.RoundLedger = append(v.RoundLedger, rl)
	}
	if vt := rec.VerdictTurn; vt != nil {
		v.RoundLedger = append(v.RoundLedger, roundLedger{Verdict: true, ChairSeat: vt.Seat, Answered: 1, Of: 1, In: vt.Usage.InputTokens, Out: vt.Usage.OutputTokens, DurationMS: vt.LatencyMS})
	}

	for _, r := range rec.Rounds {
		tr := transcriptRound{Number: r.Number, Kind: r.Kind}
		for _, t := range r.Turns {
			tr.Turns = append(tr.Turns, turnView{Anchor: turnAnchor(r.Number, t.Seat), Round: r.Number, TurnRecord: t})
		}
		v.Transcript = append(v.Transcript, tr)
	}
	if vt := rec.VerdictTurn; vt != nil {
		v.Verdict = &turnView{Anchor: "verdict-turn", TurnRecord: *vt}
	}
	return v
}

// turnAnchor is the id of a turn's folded answer in the transcript, so a cell of the
// positions table links to it.
func turnAnchor(round int, seat string) string {
	var b strings.Builder
	for _, c := range seat {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return fmt.Sprintf("r%d-%s", round, b.String())
}

// quoted puts a position in quotation marks, or says it was unclear.
func quoted(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(unclear)"
	}
	return "“" + oneLine(s) + "”"
}

func confPct(c *int) string {
	if c == nil {
		return "?"
	}
	return fmt.Sprintf("%d%%", *c)
}
