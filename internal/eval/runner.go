package eval

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/provider"
)

// Instruction is appended to every question, for every strategy alike. The vote
// prompt already asks for an "answer" key; the debate prompts ask for a position and,
// of the chair, a recommendation. This asks every turn and the verdict to carry the
// bare answer as well, so that a debate's first round can be counted like a vote and
// its verdict scored like one, without changing any mode's prompts.
const Instruction = "\n\n(This question has one short, exact answer. Whatever else you write, put the final answer alone in an \"answer\" key of the JSON block you end your reply with — for a number, digits only, without units or thousands separators: \"answer\": \"42\". If you are writing the verdict, make the recommendation that answer and add the same \"answer\" key.)"

// ErrInterrupted is returned by Run when its context was canceled: the checkpoint
// holds everything finished, and the eval can be resumed.
var ErrInterrupted = errors.New("eval interrupted")

// Member is a model the runner can seat: its seat template (the ref in Model, and the
// configured persona, temperature and context window), the provider, and its price.
type Member struct {
	Seat  debate.Seat
	Model provider.Model
	// Price prices a call's usage; nil when the price is unknown (cost 0).
	Price func(provider.Usage) float64
}

// Progress reports one finished (question, strategy) pair.
type Progress struct {
	Done, Total int
	Item        Item
	Strategy    Strategy
	Result      Result
	Correct     bool
}

// Runner runs an eval's pending pairs and records each as it finishes.
type Runner struct {
	Checkpoint *Checkpoint
	// Members holds every model the strategies call, by ref (see Models).
	Members map[string]Member
	// Concurrency is how many pairs run at once (each debate also runs its seats in
	// parallel); 0 means DefaultConcurrency.
	Concurrency int
	// MaxCostUSD stops starting new pairs once the cost so far, plus the mean cost
	// of a pair of the next one's strategy, would pass it; 0: no cap. Pairs already
	// running finish, so the cap can be passed by what they cost.
	MaxCostUSD float64
	// RetryBase is the engine's first retry backoff; 0: the engine's default.
	RetryBase time.Duration
	// Filter sees every event before it is stored (the CLI scrubs secrets with it).
	Filter func(*debate.Event)
	// Progress, when set, is called after each finished pair, never concurrently.
	Progress func(Progress)
}

// DefaultConcurrency is the number of pairs run at once by default.
const DefaultConcurrency = 4

type job struct {
	item     Item
	strategy Strategy
}

func (j job) key() string { return JobKey(j.item.Index, j.strategy.Key) }

// Pending lists the pairs without a result, question by question, so that an eval
// stopped early (budget, Ctrl-C) has run every strategy on nearly the same questions.
func Pending(c *Checkpoint) (pending, total int) {
	spec := c.Spec()
	total = len(spec.Items) * len(spec.Strategies)
	for _, it := range spec.Items {
		for _, s := range spec.Strategies {
			if !c.Done(JobKey(it.Index, s.Key)) {
				pending++
			}
		}
	}
	return pending, total
}

// Run runs every pending pair and returns the report over all finished pairs (those
// of earlier runs included). On cancellation it returns the partial report and
// ErrInterrupted; a failure to write the checkpoint stops it with that error.
func (r *Runner) Run(ctx context.Context) (*Report, error) {
	c := r.Checkpoint
	spec := c.Spec()
	for _, ref := range Models(spec.Panel, spec.Strategies) {
		if m, ok := r.Members[ref]; !ok || m.Model == nil {
			return nil, fmt.Errorf("no model given for %s", ref)
		}
	}
	var jobs []job
	for _, it := range spec.Items {
		for _, s := range spec.Strategies {
			if !c.Done(JobKey(it.Index, s.Key)) {
				jobs = append(jobs, job{it, s})
			}
		}
	}
	total := len(spec.Items) * len(spec.Strategies)
	n := r.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex // guards fatal and progress calls
		fatal    error
		budgeted bool
	)
	queue := make(chan job)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				res, err := r.runJob(ctx, spec, j)
				if err == nil {
					err = c.AppendResult(res)
				}
				mu.Lock()
				if err != nil {
					if !errors.Is(err, debate.ErrInterrupted) && fatal == nil {
						fatal = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				if r.Progress != nil {
					r.Progress(Progress{Done: c.Count(), Total: total, Item: j.item, Strategy: j.strategy, Result: res, Correct: Match(res.Answer, j.item.Gold)})
				}
				mu.Unlock()
			}
		}()
	}
dispatch:
	for _, j := range jobs {
		if r.MaxCostUSD > 0 && overBudget(c.Results(), j.strategy.Key, r.MaxCostUSD) {
			budgeted = true
			break
		}
		select {
		case queue <- j:
		case <-ctx.Done():
			break dispatch
		}
	}
	close(queue)
	wg.Wait()

	rep := BuildReport(spec, c.Results())
	switch {
	case fatal != nil:
		return rep, fatal
	case ctx.Err() != nil:
		rep.Status = StatusInterrupted
		return rep, ErrInterrupted
	case budgeted:
		rep.Status = StatusBudget
	}
	return rep, nil
}

// overBudget: the spent cost plus the mean cost of a finished pair of this strategy
// (nothing while none has finished) would pass the cap.
func overBudget(done []Result, strategy string, limit float64) bool {
	spent, mine, k := 0.0, 0.0, 0
	for _, res := range done {
		spent += res.CostUSD
		if res.Strategy == strategy {
			mine += res.CostUSD
			k++
		}
	}
	next := 0.0
	if k > 0 {
		next = mine / float64(k)
	}
	return spent >= limit || spent+next > limit
}

// runJob runs (or resumes, or merely reads back) one pair's debate.
func (r *Runner) runJob(ctx context.Context, spec Spec, j job) (Result, error) {
	d, err := r.debateFor(spec, j)
	if err != nil {
		return Result{}, err
	}
	key := j.key()
	var rec *debate.Record
	if log := r.Checkpoint.Log(key); len(log) > 0 {
		st := debate.Replay(log)
		switch st.Status {
		case debate.StatusCompleted, debate.StatusFailed:
			rec = st // it finished, but the process died before its result line
		default:
			d.Log = log
		}
	}
	if rec == nil {
		emit := func(e debate.Event) error {
			if !e.Kind.Stored() {
				return nil
			}
			if r.Filter != nil {
				r.Filter(&e)
			}
			return r.Checkpoint.AppendEvent(key, e)
		}
		rec, err = debate.Run(ctx, d, emit)
		if err != nil {
			return Result{}, err
		}
	}
	return resultOf(j, rec), nil
}

// abstainRef is the model ref of the seat that keeps a single-model run at the
// engine's quorum; see debateFor.
const abstainRef = "parley:abstain"

// abstainText is that seat's reply: a turn with no answer, which the tally skips.
const abstainText = "This seat abstains: it only keeps a single-model eval run at the engine's quorum.\n```json\n{\"position\": \"abstain\", \"confidence\": 0}\n```"

// debateFor builds the engine run for a pair.
//
// The engine needs a quorum of two live seats, which a single model cannot make. A
// single-model run (single, and self-consistency with k = 1) is therefore the vote
// mode with the model in seat A and an in-process seat B that answers at once, costs
// nothing and abstains (its reply has no answer, and the tally counts no empty
// answer). The model so gets exactly the vote prompt the panel's seats get in the
// vote strategy, with the engine's timeouts, retries, parsing and pricing; the only
// difference is the panel size its system prompt names.
func (r *Runner) debateFor(spec Spec, j job) (debate.Debate, error) {
	s := j.strategy
	var panel []debate.Participant
	prices := map[string]func(provider.Usage) float64{}
	seat := func(ref, label string) {
		m := r.Members[ref]
		st := m.Seat
		st.Seat = string(rune('A' + len(panel)))
		st.Model = ref
		st.Label = label
		panel = append(panel, debate.Participant{Seat: st, Model: m.Model})
		prices[st.Seat] = m.Price
	}
	abstain := func() {
		panel = append(panel, debate.Participant{
			Seat: debate.Seat{Seat: string(rune('A' + len(panel))), Model: abstainRef},
			Model: provider.Func(func(context.Context, provider.Request, func(string)) (provider.Response, error) {
				return provider.Response{Text: abstainText}, nil
			}),
		})
	}
	switch s.Kind {
	case KindSingle:
		seat(s.Model, "")
		abstain()
	case KindSelfConsistency:
		for i := range s.K {
			label := ""
			if s.K > 1 {
				label = fmt.Sprintf("%s#%d", s.Model, i+1)
			}
			seat(s.Model, label)
		}
		if s.K == 1 {
			abstain()
		}
	default:
		count := map[string]int{}
		for _, ref := range spec.Panel {
			count[ref]++
		}
		seen := map[string]int{}
		for _, ref := range spec.Panel {
			label := ""
			if count[ref] > 1 {
				seen[ref]++
				label = fmt.Sprintf("%s#%d", ref, seen[ref])
			}
			seat(ref, label)
		}
	}
	if len(panel) > 26 {
		return debate.Debate{}, fmt.Errorf("strategy %s: at most 26 seats, got %d", s.Key, len(panel))
	}
	ds := debate.Spec{
		Problem:   j.item.Question + Instruction,
		Mode:      s.Mode.Name,
		Timeout:   spec.Timeout,
		RetryBase: r.RetryBase,
		Seed:      derivedSeed(spec.Seed, j.item.Index, s.Key),
	}
	if s.Kind == KindDebate {
		ds.Rounds = spec.Rounds
	}
	return debate.Debate{
		ID:    fmt.Sprintf("%s-%d-%s", spec.ID, j.item.Index, strings.NewReplacer(":", "_", "/", "_").Replace(s.Key)),
		Spec:  ds,
		Mode:  s.Mode,
		Panel: panel,
		Price: func(st debate.Seat, u provider.Usage) float64 {
			if p := prices[st.Seat]; p != nil {
				return p(u)
			}
			return 0
		},
	}, nil
}

// derivedSeed gives each pair its own reproducible seed for the engine's shuffles.
func derivedSeed(seed int64, item int, strategy string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%d\x00%s", seed, item, strategy)
	return int64(h.Sum64() & (1<<63 - 1))
}

// resultOf reads a finished debate into a result.
func resultOf(j job, rec *debate.Record) Result {
	res := Result{
		Item:           j.item.Index,
		Strategy:       j.strategy.Key,
		DebateID:       rec.ID,
		Status:         rec.Status,
		StoppedBecause: rec.StoppedBecause,
		Error:          rec.Error,
		Answer:         AnswerOf(rec, j.strategy.Mode),
		InputTokens:    rec.Usage.InputTokens,
		OutputTokens:   rec.Usage.OutputTokens,
		CostUSD:        rec.Usage.CostUSD,
		WallMS:         rec.DurationMS,
	}
	abstainSeat := map[string]bool{}
	for _, s := range rec.Panel {
		abstainSeat[s.Seat] = s.Model == abstainRef
	}
	for _, row := range rec.Ledger {
		if !abstainSeat[row.Seat] {
			res.Calls += row.Calls
			res.Failed += row.Failed
		}
	}
	if j.strategy.Kind == KindDebate {
		res.FirstRound = FirstRound(rec)
		if fm := rec.FlipMatrix; fm != nil {
			res.Flips = fm.Flips
			res.Rounds = fm.Rounds
		}
	}
	if rec.Verdict != nil && rec.Status == debate.StatusCompleted {
		c := rec.Verdict.Confidence
		res.Confidence = &c
	}
	if len(rec.Rounds) > 0 {
		for _, t := range rec.Rounds[0].Turns {
			if abstainSeat[t.Seat] {
				continue
			}
			sa := SeatAnswer{Seat: t.Seat, Model: t.Model, Confidence: t.Confidence}
			if t.OK() {
				sa.Answer = debate.ParseReply(t.Text).Answer
				if sa.Answer == "" {
					sa.Answer = t.Position
				}
			}
			res.Seats = append(res.Seats, sa)
		}
	}
	return res
}

// AnswerOf extracts a finished debate's answer: for a tally mode the majority answer
// (nothing when no seat gave a readable one); for a chair mode the verdict's "answer"
// key, else its recommendation. A debate without a verdict answered nothing.
func AnswerOf(rec *debate.Record, mode debate.Mode) string {
	if rec == nil || rec.Status != debate.StatusCompleted || rec.Verdict == nil {
		return ""
	}
	if mode.Verdict.Method == "tally" {
		if rec.Tally == nil || len(rec.Tally.Answers) == 0 {
			return ""
		}
		return strings.TrimSpace(rec.Verdict.Recommendation)
	}
	var parsed debate.Reply // the engine parsed the chair's reply once; read that
	if rec.VerdictTurn != nil && rec.VerdictTurn.Text != "" {
		parsed = rec.VerdictTurn.Reply
	} else {
		parsed = debate.ParseReply(rec.Verdict.Text)
	}
	if a := strings.TrimSpace(parsed.Answer); a != "" {
		return a
	}
	return strings.TrimSpace(rec.Verdict.Recommendation)
}

// FirstRound is the majority answer of a debate's independent first round: the
// engine's baseline when it grouped the turns by their short answers (every turn gave
// one), else a count of whatever answers the turns did give, a turn without an
// "answer" key voting with its position.
func FirstRound(rec *debate.Record) string {
	if rec == nil || len(rec.Rounds) == 0 {
		return ""
	}
	if b := rec.Baseline; b != nil && b.Method == "answer" {
		return b.Position
	}
	var votes []debate.Vote
	for _, t := range rec.Rounds[0].Turns {
		if !t.OK() {
			continue
		}
		a := t.Reply.Answer
		if a == "" {
			a = t.Position
		}
		votes = append(votes, debate.Vote{Seat: t.Seat, Answer: a, Confidence: t.Confidence})
	}
	tally := debate.CountVotes(votes)
	switch {
	case tally.Majority != "":
		return tally.Majority
	case tally.Weighted != "":
		return tally.Weighted
	case len(tally.Answers) > 0:
		return tally.Answers[0].Answer
	}
	return ""
}
