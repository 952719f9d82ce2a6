package debate

import (
	"sort"
	"strings"
	"time"

	"github.com/parleyhq/parley/provider"
)

// Record is a debate as the CONTRACT's JSON result describes it, folded from the event
// log. Every report (md, json, html, the MCP and HTTP answers) is rendered from a
// Record, and the engine uses the same fold to resume, so the live run and `show`
// can never disagree.
type Record struct {
	ID             string        `json:"id"`
	Status         Status        `json:"status"`
	Problem        string        `json:"problem"`
	Mode           string        `json:"mode"`
	Panel          []Seat        `json:"panel"`
	Rounds         []RoundRecord `json:"rounds"`
	Verdict        *Verdict      `json:"verdict"`
	Baseline       *Baseline     `json:"baseline"`
	Flips          []Flip        `json:"flips"`
	StoppedBecause string        `json:"stopped_because,omitempty"`
	Usage          Usage         `json:"usage"`
	DurationMS     int64         `json:"duration_ms"`

	// Beyond the CONTRACT's stable keys.
	CreatedAt   time.Time    `json:"created_at"`
	Context     string       `json:"context,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// Files are the files an MCP caller named, with the text the panel read.
	Files         []File       `json:"files,omitempty"`
	Notes         []Note       `json:"notes,omitempty"`
	Warnings      []string     `json:"warnings,omitempty"`
	ChairFailures []TurnRecord `json:"chair_failures,omitempty"`
	VerdictTurn   *TurnRecord  `json:"verdict_turn,omitempty"`
	Ledger        []LedgerRow  `json:"ledger"`
	// Out lists the seats marked out of the debate, in the order they went out.
	Out     []SeatOut `json:"out,omitempty"`
	Error   string    `json:"error,omitempty"`
	Resumed int       `json:"resumed,omitempty"` // how many times a process took it up again
	// Ranking is the peer review's Borda count (modes with a review round).
	Ranking []RankEntry `json:"ranking,omitempty"`
	// Tally counts the short answers of a vote round.
	Tally *Tally `json:"tally,omitempty"`
	// Clarification is what the chair asked before round 1 and what the user said.
	Clarification *Clarification `json:"clarification,omitempty"`
	ClarifyTurn   *TurnRecord    `json:"clarify_turn,omitempty"`
	// Summaries are the summaries of rounds that the next round read instead of the
	// full answers, keyed by the round summarized.
	Summaries       map[int]TurnRecord `json:"summaries,omitempty"`
	SummaryFailures []TurnRecord       `json:"summary_failures,omitempty"`
	ModeDef         *Mode              `json:"-"`
	spec            Spec

	// FlipMatrix classifies every answer change (conformity or argued) and gives each
	// round's marginal cost and change; see AnalyseFlips.
	FlipMatrix *FlipMatrix `json:"flip_matrix,omitempty"`
}

// SeatOut is a seat marked out of the debate: after which round, when and why.
type SeatOut struct {
	Seat   string    `json:"seat"`
	Model  string    `json:"model"`
	Round  int       `json:"round"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// IsOut reports whether seat was marked out.
func (rec *Record) IsOut(seat string) bool {
	for _, o := range rec.Out {
		if o.Seat == seat {
			return true
		}
	}
	return false
}

// RoundRecord is one round and its turns, in seat order.
type RoundRecord struct {
	Number     int          `json:"number"`
	Kind       string       `json:"kind"`
	Turns      []TurnRecord `json:"turns"`
	Converged  bool         `json:"converged,omitempty"`
	Completed  bool         `json:"completed"`
	DurationMS int64        `json:"duration_ms"`
	started    time.Time
}

// TurnRecord is one seat's turn in a round.
type TurnRecord struct {
	Round      int            `json:"round,omitempty"` // set on summaries and their failures
	Seat       string         `json:"seat"`
	Model      string         `json:"model"`
	Status     string         `json:"status"` // ok | failed
	Text       string         `json:"text"`
	Position   string         `json:"position"`
	Confidence *int           `json:"confidence"`
	Changed    bool           `json:"changed"`
	Converged  bool           `json:"converged"`
	Reason     string         `json:"reason,omitempty"`
	Error      string         `json:"error,omitempty"`
	ErrorClass provider.Class `json:"error_class,omitempty"`
	Usage      provider.Usage `json:"usage"`
	CostUSD    float64        `json:"cost_usd"`
	LatencyMS  int64          `json:"latency_ms"`
	Attempts   int            `json:"attempts"`
	Truncated  bool           `json:"truncated,omitempty"`
	// Prompt and PromptPieces are the turn's prompt as the log stores it; PromptOf
	// puts it together, on demand: no report reads it.
	Prompt       string        `json:"-"`
	PromptPieces []PromptPiece `json:"-"`
	// Reply is the parsed reply, as the engine read it once; reports and eval read it
	// here rather than parse Text again. Not in the JSON result: its facts are
	// already there as position, confidence and the rest.
	Reply Reply `json:"-"`
}

// OK reports whether the turn produced an answer.
func (t TurnRecord) OK() bool { return t.Status == "ok" }

// Baseline is what a plain majority vote of the independent first answers said.
type Baseline struct {
	Position          string   `json:"position"`
	Seats             []string `json:"seats"` // who held it
	Of                int      `json:"of"`    // how many answered
	Majority          bool     `json:"majority"`
	AgreesWithVerdict bool     `json:"agrees_with_verdict"`
	Method            string   `json:"method"` // "answer" (exact short answers) or "similarity"
}

// Flip is a seat changing its position between rounds.
type Flip struct {
	Seat   string `json:"seat"`
	Round  int    `json:"round"`
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// Note is a user's note added between rounds.
type Note struct {
	AfterRound int    `json:"after_round"`
	Text       string `json:"text"`
}

// Usage totals a debate.
type Usage struct {
	InputTokens  int     `json:"input_tokens"`
	OutputTokens int     `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`
}

// LedgerRow is one participant's share of the cost.
type LedgerRow struct {
	Seat         string  `json:"seat"`
	Model        string  `json:"model"`
	Calls        int     `json:"calls"`
	Failed       int     `json:"failed"`
	InputTokens  int     `json:"input_tokens"`
	OutputTokens int     `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`
	LatencyMS    int64   `json:"latency_ms"`
}

// Replay folds an event log into a Record. It accepts any prefix of a log, so it
// describes running and crashed debates too.
func Replay(events []Event) *Record {
	f := newFolder()
	for _, e := range events {
		f.apply(e)
	}
	return f.snapshot(true)
}

// folder folds a log one event at a time, so that the engine, which needs the
// debate's state after every step, pays for each event once rather than replaying
// the whole log on every step (which made a long debate quadratic).
type folder struct {
	rec            *Record
	segStart, last time.Time
	active         time.Duration
}

func newFolder() *folder {
	return &folder{rec: &Record{Status: StatusRunning, Flips: []Flip{}, Rounds: []RoundRecord{}}}
}

func (f *folder) closeSegment() {
	if !f.segStart.IsZero() && f.last.After(f.segStart) {
		f.active += f.last.Sub(f.segStart)
	}
	f.segStart = time.Time{}
}

// apply folds one event into the record.
func (f *folder) apply(e Event) {
	if !e.Kind.Stored() {
		return
	}
	switch e.Kind {
	case KindDebateStarted:
		f.rec.ID = e.DebateID
		f.rec.CreatedAt = e.At
		f.segStart = e.At
		if s := e.Started; s != nil {
			f.rec.spec = s.Spec
			f.rec.Problem = s.Spec.Problem
			f.rec.Context = s.Spec.Context
			f.rec.Attachments = s.Spec.Attachments
			f.rec.Files = s.Spec.Files
			f.rec.Mode = s.Spec.Mode
			f.rec.Panel = append([]Seat(nil), s.Panel...)
			if s.Mode != nil {
				m := *s.Mode
				f.rec.ModeDef = &m
			}
		}
	case KindDebateResumed:
		f.closeSegment()
		f.segStart = e.At
		f.rec.Resumed++
		f.rec.Status = StatusRunning
		f.rec.StoppedBecause = ""
		f.rec.Error = ""
	case KindRoundStarted:
		r := f.rec.round(e.Round)
		r.Kind = e.RoundKind
		if r.started.IsZero() {
			r.started = e.At
		}
	case KindTurnCompleted, KindTurnFailed:
		f.rec.round(e.Round).setTurn(f.rec.turnFrom(e))
	case KindRoundCompleted:
		r := f.rec.round(e.Round)
		r.Completed = true
		if e.Agreement != nil {
			r.Converged = e.Agreement.Converged
		}
		if !r.started.IsZero() {
			r.DurationMS = e.At.Sub(r.started).Milliseconds()
		}
	case KindSeatOut:
		if !f.rec.IsOut(e.Seat) {
			f.rec.Out = append(f.rec.Out, SeatOut{Seat: e.Seat, Model: f.rec.modelOf(e.Seat), Round: e.Round, At: e.At, Reason: e.Text})
		}
	case KindUserNote:
		f.rec.Notes = append(f.rec.Notes, Note{AfterRound: e.Round, Text: e.Text})
	case KindVerdictFailed:
		f.rec.ChairFailures = append(f.rec.ChairFailures, f.rec.turnFrom(e))
	case KindClarified:
		f.rec.Clarification = e.Clarification
		if e.Turn != nil {
			t := f.rec.turnFrom(e)
			if e.Turn.Error != "" {
				t.Status = "failed"
			}
			f.rec.ClarifyTurn = &t
		}
	case KindSummaryCompleted:
		if f.rec.Summaries == nil {
			f.rec.Summaries = map[int]TurnRecord{}
		}
		t := f.rec.turnFrom(e)
		t.Round = e.Round
		f.rec.Summaries[e.Round] = t
	case KindSummaryFailed:
		t := f.rec.turnFrom(e)
		t.Round = e.Round
		f.rec.SummaryFailures = append(f.rec.SummaryFailures, t)
	case KindVerdictCompleted:
		if e.Verdict != nil {
			v := *e.Verdict
			f.rec.Verdict = &v
		}
		t := f.rec.turnFrom(e)
		f.rec.VerdictTurn = &t
	case KindDebateFinished:
		if fin := e.Finished; fin != nil {
			f.rec.Status = fin.Status
			f.rec.StoppedBecause = fin.StoppedBecause
			f.rec.Error = fin.Error
		}
	}
	f.last = e.At
}

// snapshot returns the record as folded so far, sharing nothing the folder will
// change later. full adds the analysis the engine's own decisions never read (flips,
// the baseline, the flip matrix, warnings): only reports need it, and it is most of
// the cost of a snapshot.
func (f *folder) snapshot(full bool) *Record {
	rec := *f.rec
	rec.Rounds = make([]RoundRecord, len(f.rec.Rounds))
	for i, r := range f.rec.Rounds {
		r.Turns = append([]TurnRecord(nil), r.Turns...)
		if r.Turns == nil {
			r.Turns = []TurnRecord{}
		}
		rec.Rounds[i] = r
	}
	// Append-only in the folder: capping them is enough to keep a caller's append
	// from writing into the folder's spare capacity.
	rec.Out = rec.Out[:len(rec.Out):len(rec.Out)]
	rec.Notes = rec.Notes[:len(rec.Notes):len(rec.Notes)]
	rec.ChairFailures = rec.ChairFailures[:len(rec.ChairFailures):len(rec.ChairFailures)]
	rec.SummaryFailures = rec.SummaryFailures[:len(rec.SummaryFailures):len(rec.SummaryFailures)]
	if f.rec.Summaries != nil {
		rec.Summaries = make(map[int]TurnRecord, len(f.rec.Summaries))
		for k, v := range f.rec.Summaries {
			rec.Summaries[k] = v
		}
	}
	active := f.active
	if !f.segStart.IsZero() && f.last.After(f.segStart) {
		active += f.last.Sub(f.segStart)
	}
	rec.DurationMS = active.Milliseconds()
	rec.Flips = []Flip{}
	rec.derive(full)
	return &rec
}

func (rec *Record) round(n int) *RoundRecord {
	for len(rec.Rounds) < n {
		rec.Rounds = append(rec.Rounds, RoundRecord{Number: len(rec.Rounds) + 1, Turns: []TurnRecord{}})
	}
	return &rec.Rounds[n-1]
}

func (r *RoundRecord) setTurn(t TurnRecord) {
	for i := range r.Turns {
		if r.Turns[i].Seat == t.Seat {
			r.Turns[i] = t // a later attempt (after a resume) replaces an earlier failure
			return
		}
	}
	r.Turns = append(r.Turns, t)
	sort.Slice(r.Turns, func(i, j int) bool { return r.Turns[i].Seat < r.Turns[j].Seat })
}

// Turn returns the seat's turn in round n, if any.
func (rec *Record) Turn(n int, seat string) (TurnRecord, bool) {
	if n < 1 || n > len(rec.Rounds) {
		return TurnRecord{}, false
	}
	for _, t := range rec.Rounds[n-1].Turns {
		if t.Seat == seat {
			return t, true
		}
	}
	return TurnRecord{}, false
}

// PromptOf is the prompt turn t was sent, whole.
func (rec *Record) PromptOf(t TurnRecord) string {
	return (&Turn{Prompt: t.Prompt, PromptPieces: t.PromptPieces}).PromptText(rec.Answer)
}

// Answer is the text of seat's answer in round n, for Turn.PromptText.
func (rec *Record) Answer(n int, seat string) (string, bool) {
	t, ok := rec.Turn(n, seat)
	return t.Text, ok && t.OK()
}

func (rec *Record) modelOf(seat string) string {
	for _, s := range rec.Panel {
		if s.Seat == seat {
			if s.Label != "" {
				return s.Label
			}
			return s.Model
		}
	}
	return ""
}

func (rec *Record) turnFrom(e Event) TurnRecord {
	t := TurnRecord{Seat: e.Seat, Model: rec.modelOf(e.Seat), Status: "ok"}
	if e.Kind == KindTurnFailed || e.Kind == KindVerdictFailed {
		t.Status = "failed"
	}
	if x := e.Turn; x != nil {
		t.Text = x.Text
		t.Reply = x.Reply
		t.Position = x.Reply.Position
		t.Confidence = x.Reply.Confidence
		t.Changed = x.Reply.Changed
		t.Converged = x.Reply.Converged
		t.Reason = x.Reply.Reason
		t.Error = x.Error
		t.ErrorClass = x.ErrorClass
		t.Usage = x.Usage
		t.CostUSD = x.CostUSD
		t.LatencyMS = x.LatencyMS
		t.Attempts = x.Attempts
		t.Truncated = x.Truncated
		t.Prompt, t.PromptPieces = x.Prompt, x.PromptPieces
	}
	return t
}

// derive computes what follows from the turns: totals, the ledger, the ranking and
// the tally, and with full also flips, the baseline, the flip matrix and warnings.
func (rec *Record) derive(full bool) {
	ledger := map[string]*LedgerRow{}
	for _, s := range rec.Panel {
		ledger[s.Seat] = &LedgerRow{Seat: s.Seat, Model: rec.modelOf(s.Seat)}
	}
	add := func(t TurnRecord) {
		row, ok := ledger[t.Seat]
		if !ok {
			return
		}
		row.Calls++
		if !t.OK() {
			row.Failed++
		}
		row.InputTokens += t.Usage.InputTokens
		row.OutputTokens += t.Usage.OutputTokens
		row.CostUSD += t.CostUSD
		row.LatencyMS += t.LatencyMS
	}
	for _, r := range rec.Rounds {
		for _, t := range r.Turns {
			add(t)
		}
	}
	for _, t := range rec.ChairFailures {
		add(t)
	}
	for _, t := range rec.SummaryFailures {
		add(t)
	}
	for _, t := range rec.Summaries {
		add(t)
	}
	if rec.ClarifyTurn != nil {
		add(*rec.ClarifyTurn)
	}
	if rec.VerdictTurn != nil {
		add(*rec.VerdictTurn)
	}
	rec.Ledger = rec.Ledger[:0]
	rec.Usage = Usage{}
	for _, s := range rec.Panel {
		row := ledger[s.Seat]
		rec.Ledger = append(rec.Ledger, *row)
		rec.Usage.InputTokens += row.InputTokens
		rec.Usage.OutputTokens += row.OutputTokens
		rec.Usage.CostUSD += row.CostUSD
	}

	rec.Ranking, rec.Tally = nil, nil
	for _, r := range rec.Rounds {
		switch r.Kind {
		case RoundReview:
			var cands []string
			ballots := map[string][]string{}
			for _, s := range rec.Panel {
				if t, ok := rec.Turn(r.Number-1, s.Seat); ok && t.OK() {
					cands = append(cands, s.Seat)
				}
			}
			for _, t := range r.Turns {
				if t.OK() && len(t.Reply.Ranking) > 0 {
					ballots[t.Seat] = t.Reply.Ranking
				}
			}
			rec.Ranking = Borda(cands, ballots)
			for i := range rec.Ranking {
				rec.Ranking[i].Model = rec.modelOf(rec.Ranking[i].Seat)
			}
		case RoundVote:
			var votes []Vote
			for _, t := range r.Turns {
				if t.OK() {
					votes = append(votes, Vote{Seat: t.Seat, Answer: t.Reply.Answer, Confidence: t.Confidence})
				}
			}
			tally := CountVotes(votes)
			rec.Tally = &tally
		}
	}

	if !full {
		return
	}
	// Flips: a seat that says its position changed since its previous answer.
	for i := 1; i < len(rec.Rounds); i++ {
		for _, t := range rec.Rounds[i].Turns {
			prev, ok := rec.Turn(i, t.Seat)
			if !t.OK() || !ok || !prev.OK() || !t.Changed {
				continue
			}
			rec.Flips = append(rec.Flips, Flip{Seat: t.Seat, Round: i + 1, From: prev.Position, To: t.Position, Reason: t.Reason})
		}
	}

	if len(rec.Rounds) > 0 {
		rec.Baseline = baseline(rec.Rounds[0].Turns, rec.Verdict)
		rec.FlipMatrix = AnalyseFlips(rec)
	}
	rec.Warnings = nil
	models := map[string][]string{}
	for _, s := range rec.Panel {
		models[s.Model] = append(models[s.Model], s.Seat)
	}
	for _, s := range rec.Panel {
		if seats := models[s.Model]; len(seats) > 1 && seats[0] == s.Seat {
			rec.Warnings = append(rec.Warnings, "one model fills several seats ("+s.Model+" in seats "+strings.Join(seats, ", ")+"): the panel is not diverse, and agreement among copies of one model is weak evidence")
		}
	}
	var refs []string
	for _, s := range rec.Panel {
		refs = append(refs, s.Model)
	}
	if w := OneFamilyWarning(refs); w != "" {
		rec.Warnings = append(rec.Warnings, w)
	}
	if n := len(rec.Rounds); n > 0 {
		var dropped []string
		for _, s := range rec.Panel {
			if t, ok := rec.Turn(n, s.Seat); ok && !t.OK() {
				dropped = append(dropped, s.Seat+" ("+rec.modelOf(s.Seat)+")")
			}
		}
		if len(dropped) > 0 {
			rec.Warnings = append(rec.Warnings, "not every seat answered the last round: "+strings.Join(dropped, ", ")+"; the verdict rests on fewer voices")
		}
	}
}
