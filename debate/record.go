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
	CreatedAt     time.Time    `json:"created_at"`
	Context       string       `json:"context,omitempty"`
	Attachments   []Attachment `json:"attachments,omitempty"`
	Notes         []Note       `json:"notes,omitempty"`
	Warnings      []string     `json:"warnings,omitempty"`
	ChairFailures []TurnRecord `json:"chair_failures,omitempty"`
	VerdictTurn   *TurnRecord  `json:"verdict_turn,omitempty"`
	Ledger        []LedgerRow  `json:"ledger"`
	Error         string       `json:"error,omitempty"`
	Resumed       int          `json:"resumed,omitempty"` // how many times a process took it up again
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
	Prompt     string         `json:"-"`
	reply      Reply
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
	rec := &Record{Status: StatusRunning, Flips: []Flip{}, Rounds: []RoundRecord{}}
	var segStart, last time.Time
	var active time.Duration
	closeSegment := func() {
		if !segStart.IsZero() && last.After(segStart) {
			active += last.Sub(segStart)
		}
		segStart = time.Time{}
	}
	for _, e := range events {
		if !e.Kind.Stored() {
			continue
		}
		switch e.Kind {
		case KindDebateStarted:
			rec.ID = e.DebateID
			rec.CreatedAt = e.At
			segStart = e.At
			if s := e.Started; s != nil {
				rec.spec = s.Spec
				rec.Problem = s.Spec.Problem
				rec.Context = s.Spec.Context
				rec.Attachments = s.Spec.Attachments
				rec.Mode = s.Spec.Mode
				rec.Panel = append([]Seat(nil), s.Panel...)
				if s.Mode != nil {
					m := *s.Mode
					rec.ModeDef = &m
				}
			}
		case KindDebateResumed:
			closeSegment()
			segStart = e.At
			rec.Resumed++
			rec.Status = StatusRunning
			rec.StoppedBecause = ""
			rec.Error = ""
		case KindRoundStarted:
			r := rec.round(e.Round)
			r.Kind = e.RoundKind
			if r.started.IsZero() {
				r.started = e.At
			}
		case KindTurnCompleted, KindTurnFailed:
			rec.round(e.Round).setTurn(rec.turnFrom(e))
		case KindRoundCompleted:
			r := rec.round(e.Round)
			r.Completed = true
			if e.Agreement != nil {
				r.Converged = e.Agreement.Converged
			}
			if !r.started.IsZero() {
				r.DurationMS = e.At.Sub(r.started).Milliseconds()
			}
		case KindUserNote:
			rec.Notes = append(rec.Notes, Note{AfterRound: e.Round, Text: e.Text})
		case KindVerdictFailed:
			rec.ChairFailures = append(rec.ChairFailures, rec.turnFrom(e))
		case KindClarified:
			rec.Clarification = e.Clarification
			if e.Turn != nil {
				t := rec.turnFrom(e)
				if e.Turn.Error != "" {
					t.Status = "failed"
				}
				rec.ClarifyTurn = &t
			}
		case KindSummaryCompleted:
			if rec.Summaries == nil {
				rec.Summaries = map[int]TurnRecord{}
			}
			t := rec.turnFrom(e)
			t.Round = e.Round
			rec.Summaries[e.Round] = t
		case KindSummaryFailed:
			t := rec.turnFrom(e)
			t.Round = e.Round
			rec.SummaryFailures = append(rec.SummaryFailures, t)
		case KindVerdictCompleted:
			if e.Verdict != nil {
				v := *e.Verdict
				rec.Verdict = &v
			}
			t := rec.turnFrom(e)
			rec.VerdictTurn = &t
		case KindDebateFinished:
			if f := e.Finished; f != nil {
				rec.Status = f.Status
				rec.StoppedBecause = f.StoppedBecause
				rec.Error = f.Error
			}
		}
		last = e.At
	}
	closeSegment()
	rec.DurationMS = active.Milliseconds()
	rec.derive()
	return rec
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
		t.reply = x.Reply
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
		t.Prompt = x.Prompt
	}
	return t
}

// derive computes what follows from the turns: totals, the ledger, flips, the
// baseline and warnings.
func (rec *Record) derive() {
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
				if t.OK() && len(t.reply.Ranking) > 0 {
					ballots[t.Seat] = t.reply.Ranking
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
					votes = append(votes, Vote{Seat: t.Seat, Answer: t.reply.Answer, Confidence: t.Confidence})
				}
			}
			tally := CountVotes(votes)
			rec.Tally = &tally
		}
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
