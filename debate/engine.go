package debate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/provider"
)

// Quorum is the number of live participants a debate needs.
const Quorum = 2

// Stop reasons, as in the JSON result.
const (
	StopConverged   = "converged"
	StopMaxRounds   = "max_rounds"
	StopBudget      = "budget"
	StopQuorumLost  = "quorum_lost"
	StopInterrupted = "interrupted"
	StopNoVerdict   = "no_verdict"
	StopDeadline    = "deadline" // --deadline passed: the verdict is from what was answered
)

// ErrInterrupted is returned by Run when its context was canceled; the log is left
// resumable.
var ErrInterrupted = errors.New("debate interrupted")

// Debate is one run of the engine: a new debate, or an unfinished one to resume.
type Debate struct {
	ID    string
	Spec  Spec
	Mode  Mode
	Panel []Participant
	// Log holds the stored events of an unfinished debate to resume; nil starts anew.
	// Spec, Mode and the panel's seats are then taken from the log.
	Log []Event
	// Note, when set, is asked after each round but the last for a note from the user
	// that reaches every participant's next prompt ("" for none).
	Note func(ctx context.Context, afterRound int) (string, error)
	// Clarify, when set, lets the chair ask the user up to 3 questions before the
	// first round; it receives the questions and returns the answers ("" for none).
	// The questions and answers join the problem every seat reads.
	Clarify func(ctx context.Context, questions []string) ([]string, error)
	// Price, when set, prices a turn's usage for a seat; a cost the provider reported
	// is used as reported instead.
	Price func(seat Seat, u provider.Usage) float64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Redact, when set, is applied to every string of every event as the engine
	// makes it (the CLI removes API keys with it): the engine's own record and every
	// consumer see only the redacted text.
	Redact func(string) string
	// EmitBatch, when set, takes the place of emit: it is handed every run of events
	// that queued up while the previous batch was being made durable (the answers
	// of seats that finished together, a verdict and the debate's end), in order,
	// and must make the stored ones durable before it returns, as Emit does for
	// one. A store commits them together: the answer that arrives while another is
	// being committed waits for one commit, not for one per answer ahead of it.
	EmitBatch func([]Event) error
}

// Emit receives every event in order. Stored kinds must be made durable before it
// returns: an error stops the debate (the log stays resumable up to the last event
// that was accepted). Emit is never called concurrently, and never with the engine's
// lock held: a slow append does not stop other seats' calls and streams. Each event
// is the consumer's own copy, free to change.
type Emit func(Event) error

// Run runs (or resumes) a debate to its verdict, emitting each event. It returns the
// final Record; the error is ErrInterrupted on cancellation, or the Emit error that
// stopped it. A debate that ends without a verdict (quorum lost, every chair failed)
// is not an error: the Record's Status says "failed".
func Run(ctx context.Context, d Debate, emit Emit) (*Record, error) {
	r, err := newRun(d, emit)
	if err != nil {
		return nil, err
	}
	rec, err := r.run(ctx)
	r.drainers.Wait() // nothing is emitted after Run returns
	if rec != nil {
		rec = r.final()
	}
	return rec, err
}

type run struct {
	d     Debate
	spec  Spec
	mode  Mode
	panel []Participant
	now   func() time.Time

	// ictx is the caller's context: its end is an interruption (nothing recorded,
	// resumable). dctx is ictx bounded by the debate's deadline: its end cuts the
	// rounds, and what was cut is recorded as failed.
	ictx, dctx context.Context
	// degraded, when set, is written into the verdict: why it rests on few seats.
	degraded string

	// mu guards what follows; it is never held while emit runs. Events are stamped
	// and queued under it, and one drainer at a time hands them to emit in order and
	// folds the accepted ones into fold.
	mu       sync.Mutex
	emit     Emit
	seq      int
	queue    []queued
	draining bool
	drainers sync.WaitGroup
	fold     *folder
	kinds    map[Kind]bool // the stored kinds accepted so far
	failed   error         // the first emit error; the debate stops on it
}

// queued is an event waiting for emit; done, when set, gets emit's outcome.
type queued struct {
	e    Event
	done chan error
}

func newRun(d Debate, emit Emit) (*run, error) {
	r := &run{d: d, spec: d.Spec, mode: d.Mode, panel: d.Panel, emit: emit, now: d.Now, ictx: context.Background(), dctx: context.Background(), fold: newFolder(), kinds: map[Kind]bool{}}
	if r.now == nil {
		r.now = time.Now
	}
	if len(d.Log) > 0 {
		first := d.Log[0]
		if first.Kind != KindDebateStarted || first.Started == nil {
			return nil, errors.New("the log does not begin with debate_started")
		}
		r.spec = first.Started.Spec
		if first.Started.Mode != nil {
			r.mode = *first.Started.Mode
		}
		r.d.ID = first.DebateID
		for _, e := range d.Log {
			r.accept(e)
		}
		r.seq = d.Log[len(d.Log)-1].Seq
		// The panel's models come from the caller, the seats from the log.
		byseat := map[string]provider.Model{}
		for _, p := range d.Panel {
			byseat[p.Seat.Seat] = p.Model
		}
		r.panel = nil
		for _, s := range first.Started.Panel {
			m, ok := byseat[s.Seat]
			if !ok || m == nil {
				return nil, fmt.Errorf("no model given for seat %s (%s)", s.Seat, s.Model)
			}
			r.panel = append(r.panel, Participant{Seat: s, Model: m})
		}
	}
	if r.d.ID == "" {
		return nil, errors.New("a debate needs an id")
	}
	if strings.TrimSpace(r.spec.Problem) == "" {
		return nil, errors.New("the problem is empty")
	}
	if err := r.mode.Validate(); err != nil {
		return nil, err
	}
	if len(r.panel) < Quorum {
		return nil, fmt.Errorf("a debate needs at least %d participants, got %d", Quorum, len(r.panel))
	}
	seen := map[string]bool{}
	for _, p := range r.panel {
		if p.Model == nil || p.Seat.Seat == "" || seen[p.Seat.Seat] {
			return nil, fmt.Errorf("seat %q is missing, repeated or has no model", p.Seat.Seat)
		}
		seen[p.Seat.Seat] = true
	}
	if len(d.Log) == 0 {
		r.assignRoles()
	}
	if r.spec.Timeout <= 0 {
		r.spec.Timeout = DefaultTimeout
	}
	if r.spec.MaxAttempts <= 0 {
		r.spec.MaxAttempts = DefaultMaxAttempts
	}
	if r.spec.RetryBase <= 0 {
		r.spec.RetryBase = DefaultRetryBase
	}
	if r.spec.SeatDeadline <= 0 {
		r.spec.SeatDeadline = 2 * r.spec.Timeout
	}
	return r, nil
}

// assignRoles hands the mode's roles to the seats in order, cycling; a persona from
// the configuration is kept after the role's. The chair follows the mode unless the
// spec names one.
func (r *run) assignRoles() {
	if n := len(r.mode.Roles); n > 0 {
		panel := make([]Participant, len(r.panel))
		for i, p := range r.panel {
			role := r.mode.Roles[i%n]
			p.Seat.Role = role.Name
			if p.Seat.Persona != "" {
				p.Seat.Persona = role.Persona + "\n" + p.Seat.Persona
			} else {
				p.Seat.Persona = role.Persona
			}
			if p.Seat.Temperature == nil {
				p.Seat.Temperature = role.Temperature
			}
			panel[i] = p
		}
		r.panel = panel
	}
	if r.spec.Chair == "" {
		if role, ok := strings.CutPrefix(r.mode.Chair, "role:"); ok {
			for _, p := range r.panel {
				if p.Seat.Role == role {
					r.spec.Chair = p.Seat.Seat
					break
				}
			}
		}
	}
}

// record emits an event and returns once emit has taken it: stored kinds get the
// next Seq and join the record.
func (r *run) record(e Event) error {
	done := make(chan error, 1)
	if err := r.enqueue(e, done); err != nil {
		return err
	}
	return <-done
}

// recordAsync queues an event without waiting for emit: for what a seat's own turn
// goes on without (its start, retries, streamed text), so that a slow durable
// append of another seat's answer does not hold this seat's call or stream. Order
// is kept; an emit failure still stops the debate at the next record.
func (r *run) recordAsync(e Event) error { return r.enqueue(e, nil) }

func (r *run) enqueue(e Event, done chan error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed != nil {
		return r.failed
	}
	e.DebateID = r.d.ID
	e.At = r.now().UTC()
	if e.Kind.Stored() {
		r.seq++
	}
	e.Seq = r.seq
	if r.d.Redact != nil {
		// A copy: the event may share memory with the engine's spec and mode, which
		// redaction must not write into.
		e = e.Redact(r.d.Redact)
	}
	r.queue = append(r.queue, queued{e: e, done: done})
	if !r.draining {
		r.draining = true
		r.drainers.Add(1)
		go r.drain()
	}
	return nil
}

// drain hands queued events to emit, in order, until the queue is empty.
func (r *run) drain() {
	defer r.drainers.Done()
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.queue = nil
			r.draining = false
			r.mu.Unlock()
			return
		}
		n := 1
		if r.d.EmitBatch != nil {
			n = len(r.queue)
		}
		batch := make([]queued, n)
		copy(batch, r.queue)
		clear(r.queue[:n])
		r.queue = r.queue[n:]
		err := r.failed
		r.mu.Unlock()

		if err == nil {
			last := batch[len(batch)-1].e.Kind
			var eerr error
			if r.d.EmitBatch != nil {
				events := make([]Event, len(batch))
				for i, q := range batch {
					events[i] = q.e.Clone()
				}
				eerr = r.d.EmitBatch(events)
			} else {
				eerr = r.emit(batch[0].e.Clone())
			}
			if eerr != nil {
				err = fmt.Errorf("recording %s: %w", last, eerr)
			}
		}
		r.mu.Lock()
		if err != nil {
			if r.failed == nil {
				r.failed = err
			}
		} else {
			for _, q := range batch {
				r.accept(q.e)
			}
		}
		r.mu.Unlock()
		for _, q := range batch {
			if q.done != nil {
				q.done <- err
			}
		}
	}
}

// accept folds a stored event into the engine's record (r.mu held, or before the
// run starts).
func (r *run) accept(e Event) {
	if !e.Kind.Stored() {
		return
	}
	if e.Turn != nil && (e.Turn.Prompt != "" || e.Turn.PromptPieces != nil) {
		// The prompt is in the durable log; the engine's own copy does not need
		// it, and with thousands of debates in one process it is most of the memory.
		t := *e.Turn
		t.Prompt, t.PromptPieces = "", nil
		e.Turn = &t
	}
	r.kinds[e.Kind] = true
	r.fold.apply(e)
}

// state is the debate as recorded so far, the caller's own copy. It leaves out the
// analysis only reports read (flips, baseline, warnings); Run's final Record has it.
func (r *run) state() *Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fold.snapshot(false)
}

// final is the complete Record, as Replay of the accepted log would give it.
func (r *run) final() *Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fold.snapshot(true)
}

// emitFailed is the emit error that stopped the debate, if any.
func (r *run) emitFailed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *run) rounds() int {
	n := len(r.mode.Rounds)
	if r.spec.Rounds > 0 {
		n = r.spec.Rounds
	}
	return n
}

// roundDef returns the definition of round n; a --rounds override past the mode's own
// rounds repeats its last critique-like round.
func (r *run) roundDef(n int) RoundDef {
	if n <= len(r.mode.Rounds) {
		def := r.mode.Rounds[n-1]
		// When --rounds cuts a mode short, its last round is the final one.
		if n == r.rounds() && n > 1 && n < len(r.mode.Rounds) {
			return r.mode.Rounds[len(r.mode.Rounds)-1]
		}
		return def
	}
	last := r.mode.Rounds[len(r.mode.Rounds)-1]
	if n < r.rounds() && len(r.mode.Rounds) > 1 {
		return r.mode.Rounds[len(r.mode.Rounds)-2]
	}
	return last
}

func (r *run) run(ctx context.Context) (*Record, error) {
	r.ictx, r.dctx = ctx, ctx
	if r.spec.Deadline > 0 {
		var cancel context.CancelFunc
		r.dctx, cancel = context.WithTimeout(ctx, r.spec.Deadline)
		defer cancel()
	}
	resuming := r.seq > 0
	if !resuming {
		mode := r.mode
		seats := make([]Seat, len(r.panel))
		for i, p := range r.panel {
			seats[i] = p.Seat
		}
		if err := r.record(Event{Kind: KindDebateStarted, Started: &Started{Spec: r.spec, Panel: seats, Mode: &mode}}); err != nil {
			return r.state(), err
		}
	} else {
		st := r.state()
		if st.Status != StatusRunning && st.Status != StatusInterrupted {
			return st, fmt.Errorf("debate %s is already %s", r.d.ID, st.Status)
		}
		if err := r.record(Event{Kind: KindDebateResumed}); err != nil {
			return r.state(), err
		}
	}

	if r.d.Clarify != nil && !r.hasKind(KindClarified) {
		if err := r.clarify(ctx); err != nil {
			return r.interrupted(ctx, err)
		}
	}

	stop := StopMaxRounds
	status := StatusCompleted
	total := r.rounds()
	// short ends the rounds when fewer than Quorum seats answered round n: with no
	// answer at all there is nothing to conclude from; with one, the verdict is
	// written from it and says so.
	short := func(st *Record, rr RoundRecord) (*Record, error, bool) {
		if live(rr) >= Quorum {
			return nil, nil, false
		}
		if countOK(st) == 0 {
			rec, err := r.finish(ctx, StatusFailed, StopQuorumLost, fmt.Sprintf("no seat answered round %d", rr.Number))
			return rec, err, true
		}
		status, stop = StatusDegraded, StopQuorumLost
		r.degraded = degradedNote(st, r.panel)
		return nil, nil, true
	}
	for n := 1; n <= total; n++ {
		st := r.state()
		if n <= len(st.Rounds) && st.Rounds[n-1].Completed {
			rr := st.Rounds[n-1]
			if rr.Converged {
				stop = StopConverged
				break
			}
			if rec, err, ended := short(st, rr); ended {
				if rec != nil || err != nil {
					return rec, err
				}
				break
			}
			continue
		}
		if ctx.Err() != nil {
			// The caller's end between rounds is an interruption, not the debate's
			// deadline: dctx is ctx itself when there is no deadline.
			return r.interrupted(ctx, ctx.Err())
		}
		if r.dctx.Err() != nil {
			stop = StopDeadline
			break
		}
		if active := len(r.panel) - len(st.Out); active < Quorum && !r.retryFailed() {
			status, stop = StatusDegraded, StopQuorumLost
			r.degraded = degradedNote(st, r.panel)
			break
		}
		if r.overBudget(st, n) {
			if n == 1 {
				return r.finish(ctx, StatusFailed, StopBudget, "the first round's estimated cost alone passes --max-cost")
			}
			stop = StopBudget
			break
		}
		rr, err := r.round(ctx, n)
		if err != nil {
			return r.interrupted(ctx, err)
		}
		if r.dctx.Err() != nil && ctx.Err() == nil {
			stop = StopDeadline
			if st := r.state(); live(rr) < Quorum && countOK(st) > 0 && live(lastAnswered(st)) < Quorum {
				status = StatusDegraded
				r.degraded = degradedNote(st, r.panel)
			}
			break
		}
		if rec, err, ended := short(r.state(), rr); ended {
			if rec != nil || err != nil {
				return rec, err
			}
			break
		}
		if rr.Converged {
			stop = StopConverged
			break
		}
		if n == 1 && n < total && r.mode.SkipIfUnanimous && unanimous(rr) {
			stop = StopConverged
			break
		}
		if n < total && r.d.Note != nil {
			note, err := r.d.Note(ctx, n)
			if err != nil {
				return r.interrupted(ctx, err)
			}
			if note = strings.TrimSpace(note); note != "" {
				if err := r.record(Event{Kind: KindUserNote, Round: n, Text: note}); err != nil {
					return r.state(), err
				}
			}
		}
	}

	st := r.state()
	if st.Verdict == nil && r.mode.Verdict.Method == "tally" {
		v := tallyVerdict(st)
		if v != nil && r.degraded != "" {
			v.Degraded = r.degraded
		}
		if err := r.record(Event{Kind: KindVerdictCompleted, Verdict: v}); err != nil {
			return st, err
		}
		st = r.state()
	}
	if st.Verdict == nil {
		if err := r.verdict(ctx, st); err != nil {
			return r.interrupted(ctx, err)
		}
		st = r.state()
	}
	if st.Verdict == nil {
		return r.finish(ctx, StatusFailed, StopNoVerdict, "every chair failed to write a verdict")
	}
	return r.finish(ctx, status, stop, "")
}

// retryFailed: failed seats are asked again next round instead of marked out.
func (r *run) retryFailed() bool { return r.spec.RetryFailedSeats || r.mode.RetryFailedSeats }

// lastAnswered is the latest round with at least one answer (the zero round if none).
func lastAnswered(st *Record) RoundRecord {
	for i := len(st.Rounds) - 1; i >= 0; i-- {
		if live(st.Rounds[i]) > 0 {
			return st.Rounds[i]
		}
	}
	return RoundRecord{}
}

// degradedNote says, for the verdict, that it rests on fewer seats than a debate
// needs and which seats are missing.
func degradedNote(st *Record, panel []Participant) string {
	rr := lastAnswered(st)
	var answered, missing []string
	for _, p := range panel {
		if t, ok := st.Turn(rr.Number, p.Seat.Seat); ok && t.OK() {
			answered = append(answered, p.Seat.Seat)
		} else {
			missing = append(missing, p.Seat.Seat)
		}
	}
	return fmt.Sprintf("only %d of %d seats (%s) answered round %d; %s did not, so this verdict rests on %s and not on a debate",
		len(answered), len(panel), strings.Join(answered, ", "), rr.Number, strings.Join(missing, ", "), plural(len(answered), "one seat", "seats"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (r *run) hasKind(k Kind) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kinds[k]
}

// unanimous: every live seat of the round holds the same position (by the same
// grouping the baseline uses).
func unanimous(rr RoundRecord) bool {
	var first *TurnRecord
	for i := range rr.Turns {
		t := &rr.Turns[i]
		if !t.OK() {
			continue
		}
		if t.Position == "" && t.Reply.Answer == "" {
			return false
		}
		if first == nil {
			first = t
			continue
		}
		same := similarity(first.Position, t.Position) >= 0.5
		if first.Reply.Answer != "" || t.Reply.Answer != "" {
			same = NormalizeAnswer(first.Reply.Answer) == NormalizeAnswer(t.Reply.Answer)
		}
		if !same {
			return false
		}
	}
	return first != nil
}

func live(rr RoundRecord) int {
	n := 0
	for _, t := range rr.Turns {
		if t.OK() {
			n++
		}
	}
	return n
}

func (r *run) finish(ctx context.Context, status Status, reason, msg string) (*Record, error) {
	if err := r.record(Event{Kind: KindDebateFinished, Finished: &Finished{Status: status, StoppedBecause: reason, Error: msg}}); err != nil {
		return r.state(), err
	}
	return r.state(), nil
}

// interrupted closes the log after a cancellation; an emit failure is passed on as is.
func (r *run) interrupted(ctx context.Context, err error) (*Record, error) {
	if ctx.Err() == nil || !errors.Is(err, context.Canceled) && !errors.Is(err, ErrInterrupted) {
		if err := r.emitFailed(); err != nil {
			return r.state(), err
		}
		if !errors.Is(err, context.Canceled) {
			return r.state(), err
		}
	}
	if rerr := r.record(Event{Kind: KindDebateFinished, Finished: &Finished{Status: StatusInterrupted, StoppedBecause: StopInterrupted}}); rerr != nil {
		return r.state(), rerr
	}
	return r.state(), ErrInterrupted
}

// round runs round n: every seat that has no finished turn in it yet, in parallel.
func (r *run) round(ctx context.Context, n int) (RoundRecord, error) {
	def := r.roundDef(n)
	st := r.state()
	if n > len(st.Rounds) || st.Rounds[n-1].Kind == "" {
		if err := r.record(Event{Kind: KindRoundStarted, Round: n, RoundKind: def.Kind}); err != nil {
			return RoundRecord{}, err
		}
	}
	if def.Sees == SeesSummary && n > 1 {
		if err := r.summarize(ctx, n-1); err != nil {
			return RoundRecord{}, err
		}
		st = r.state()
	}
	var wg sync.WaitGroup
	for _, p := range r.panel {
		if t, ok := st.Turn(n, p.Seat.Seat); ok && t.OK() {
			continue // paid for already: never call it again
		}
		if st.IsOut(p.Seat.Seat) && !r.retryFailed() {
			continue // failed an earlier round: a hung seat must not hold every round
		}
		c, err := r.prompt(st, n, def, p)
		if err != nil {
			return RoundRecord{}, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.turn(r.dctx, n, p, c, KindTurnCompleted, KindTurnFailed)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return RoundRecord{}, ctx.Err()
	}
	if err := r.emitFailed(); err != nil {
		return RoundRecord{}, err
	}
	st = r.state()
	rr := st.Rounds[n-1]
	// A seat whose turn failed after its retries is out: the next rounds do not
	// wait for it again. Not when the debate's own deadline cut it: that says
	// nothing about the seat, and the rounds are over anyway.
	if !r.retryFailed() && r.dctx.Err() == nil {
		for _, t := range rr.Turns {
			if t.OK() || st.IsOut(t.Seat) {
				continue
			}
			why := fmt.Sprintf("round %d failed after %s (%s): %s", n, plural(t.Attempts, "1 attempt", "attempts"), time.Duration(t.LatencyMS)*time.Millisecond, t.Error)
			if err := r.record(Event{Kind: KindSeatOut, Round: n, Seat: t.Seat, Text: why}); err != nil {
				return RoundRecord{}, err
			}
		}
		st = r.state()
		rr = st.Rounds[n-1]
	}
	agreement := &Agreement{}
	for _, t := range rr.Turns {
		if t.OK() {
			agreement.Live++
		} else {
			agreement.Failed++
		}
	}
	agreement.Converged = def.Kind != RoundIndependent && def.Kind != RoundVote && r.mode.Converge != "never" &&
		agreement.Live >= Quorum && n < r.rounds() && allConverged(rr)
	if r.mode.Converge == ConvergeResolved {
		agreement.Converged = r.resolvedAfter(n, rr, agreement.Live) // votefirst.go
	}
	if err := r.record(Event{Kind: KindRoundCompleted, Round: n, Agreement: agreement}); err != nil {
		return RoundRecord{}, err
	}
	return r.state().Rounds[n-1], nil
}

// allConverged: every live seat says the panel agrees and none changed its position
// in this round (a seat still moving has not settled).
func allConverged(rr RoundRecord) bool {
	for _, t := range rr.Turns {
		if t.OK() && (!t.Converged || t.Changed) {
			return false
		}
	}
	return true
}

// turn calls one model with retries and records the outcome. A cancellation records
// nothing: the turn will be called again on resume.
func (r *run) turn(ctx context.Context, n int, p Participant, c composed, done, failed Kind) (Turn, bool) {
	req := promptRequest(r, p, c.text)
	if err := r.recordAsync(Event{Kind: KindTurnStarted, Round: n, Seat: p.Seat.Seat}); err != nil {
		return Turn{}, false
	}
	onDelta := func(s string) {
		if s != "" {
			_ = r.recordAsync(Event{Kind: KindTurnDelta, Round: n, Seat: p.Seat.Seat, Text: s})
		}
	}
	start := time.Now()
	resp, attempts, perr := r.call(ctx, n, p, req, onDelta)
	latency := time.Since(start).Milliseconds()
	if perr != nil {
		if r.ictx.Err() != nil || perr.Class == provider.ClassCanceled && ctx.Err() == nil {
			return Turn{}, false // interrupted: the turn is called again on resume
		}
		t := Turn{ErrorClass: perr.Class, Error: perr.Error(), Attempts: attempts, LatencyMS: latency, Truncated: c.truncated}
		t.setPrompt(c.text, c.quotes)
		_ = r.record(Event{Kind: failed, Round: n, Seat: p.Seat.Seat, Turn: &t})
		return t, false
	}
	t := Turn{
		Text:      resp.Text,
		Reply:     ParseReply(resp.Text),
		Usage:     resp.Usage,
		LatencyMS: latency,
		Attempts:  attempts,
		Truncated: c.truncated,
	}
	t.setPrompt(c.text, c.quotes)
	t.CostUSD = r.cost(p.Seat, resp)
	ev := Event{Kind: done, Round: n, Seat: p.Seat.Seat, Turn: &t}
	if done == KindVerdictCompleted {
		ev.Verdict = r.readVerdict(resp.Text, p.Seat)
		if ev.Verdict != nil && r.degraded != "" {
			ev.Verdict.Degraded = r.degraded
		}
	}
	if err := r.record(ev); err != nil {
		return t, false
	}
	return t, true
}

// promptRequest makes the request for one call of seat p: the system prompt that
// tells the seat who it is, and the user prompt.
func promptRequest(r *run, p Participant, prompt string) provider.Request {
	sys, err := render("system", promptData{Seat: p.Seat.Seat, Persona: p.Seat.Persona, Stance: p.Seat.Stance, PanelSize: len(r.panel), Rounds: r.rounds()})
	if err != nil {
		panic(err) // the system template is embedded and takes no user input
	}
	return provider.Request{System: sys, Prompt: prompt, Temperature: p.Seat.Temperature}
}

// cost is what a call cost: as the provider reported it, else priced.
func (r *run) cost(s Seat, resp provider.Response) float64 {
	switch {
	case resp.CostReported:
		return resp.CostUSD
	case r.d.Price != nil:
		return r.d.Price(s, resp.Usage)
	}
	return 0
}

// Retry-After values longer than this fail the turn instead of stalling the debate.
const maxRetryAfter = 2 * time.Minute

// call makes one turn's model call: a timeout per attempt, and retries with jittered
// exponential backoff for failures worth retrying, honouring Retry-After. The whole
// turn is bounded by the seat deadline, and a timeout is retried at most once: a
// model that hung twice is not going to answer, and every retry of it would hold
// the round (and with it every seat) for another timeout.
func (r *run) call(ctx context.Context, n int, p Participant, req provider.Request, onDelta func(string)) (provider.Response, int, *provider.Error) {
	jitter := rng(r.spec.Seed, "jitter", r.d.ID, fmt.Sprint(n), p.Seat.Seat, fmt.Sprint(time.Now().UnixNano()))
	sctx, scancel := context.WithTimeout(ctx, r.spec.SeatDeadline)
	defer scancel()
	timeouts := 0
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(sctx, r.spec.Timeout)
		resp, err := p.Model.Generate(actx, req, onDelta)
		cancel()
		if err == nil && strings.TrimSpace(resp.Text) == "" {
			err = &provider.Error{Class: provider.ClassEmpty, Message: "the model returned an empty answer"}
		}
		if err == nil {
			return resp, attempt, nil
		}
		if r.ictx.Err() != nil {
			return resp, attempt, &provider.Error{Class: provider.ClassCanceled, Message: "canceled", Err: r.ictx.Err()}
		}
		pe := provider.Classify(err)
		if errors.Is(err, context.DeadlineExceeded) || pe.Class == provider.ClassCanceled {
			pe = &provider.Error{Class: provider.ClassTimeout, Message: r.cutMessage(ctx, sctx), Err: err}
		}
		if pe.Class == provider.ClassTimeout {
			timeouts++
		}
		if !pe.Retryable() || attempt >= r.spec.MaxAttempts || timeouts >= 2 || sctx.Err() != nil {
			return resp, attempt, pe
		}
		if pe.RetryAfter > maxRetryAfter {
			return resp, attempt, &provider.Error{Class: pe.Class, Status: pe.Status, Message: fmt.Sprintf("%s; the provider asks to retry after %s, longer than parley waits", pe.Message, pe.RetryAfter), Err: pe}
		}
		wait := backoff(r.spec.RetryBase, attempt, jitter)
		if pe.Class == provider.ClassTimeout {
			// A timeout is no sign of load to back off from; its one retry goes at once,
			// so the two attempts fit the default seat deadline of twice the timeout.
			wait = 0
		}
		if pe.RetryAfter > wait {
			wait = pe.RetryAfter
		}
		if dl, ok := sctx.Deadline(); ok && time.Until(dl) < wait {
			return resp, attempt, &provider.Error{Class: pe.Class, Status: pe.Status, Message: fmt.Sprintf("%s; no time left for a retry after %s within the seat deadline of %s", pe.Message, wait.Round(time.Millisecond), r.spec.SeatDeadline), Err: pe}
		}
		if err := r.recordAsync(Event{Kind: KindTurnRetrying, Round: n, Seat: p.Seat.Seat, Retry: &Retry{Attempt: attempt, Class: pe.Class, Error: pe.Error(), Wait: wait}}); err != nil {
			return resp, attempt, provider.Classify(err)
		}
		t := time.NewTimer(wait)
		select {
		case <-sctx.Done():
			t.Stop()
			if r.ictx.Err() != nil {
				return resp, attempt, &provider.Error{Class: provider.ClassCanceled, Message: "canceled", Err: r.ictx.Err()}
			}
			return resp, attempt, &provider.Error{Class: provider.ClassTimeout, Message: r.cutMessage(ctx, sctx), Err: sctx.Err()}
		case <-t.C:
		}
	}
}

// cutMessage says which deadline ended an attempt: the debate's, the seat's, or the
// call's own timeout.
func (r *run) cutMessage(ctx, sctx context.Context) string {
	switch {
	case ctx.Err() != nil && r.spec.Deadline > 0:
		return fmt.Sprintf("cut: the debate's deadline of %s passed", r.spec.Deadline)
	case sctx.Err() != nil:
		return fmt.Sprintf("cut at the seat deadline of %s", r.spec.SeatDeadline)
	}
	return fmt.Sprintf("no answer within %s", r.spec.Timeout)
}

// backoff is base·2^(attempt−1), capped at 30 s, with "equal jitter": half fixed,
// half random, so that seats failing together do not retry in lockstep.
func backoff(base time.Duration, attempt int, r *rand.Rand) time.Duration {
	d := base << (attempt - 1)
	if d > 30*time.Second || d <= 0 {
		d = 30 * time.Second
	}
	return d/2 + time.Duration(r.Int64N(int64(d/2)+1))
}

// overBudget estimates round n's cost, and the verdict's after it, from the prompt
// sizes they will send and the answer sizes seen so far, and says whether they would
// take the debate past the cap. The verdict is counted so that stopping for the
// budget still leaves room to conclude.
func (r *run) overBudget(st *Record, n int) bool {
	if r.spec.MaxCostUSD <= 0 || r.d.Price == nil {
		return false
	}
	spent := st.Usage.CostUSD
	avgOut := 800
	if k := countOK(st); k > 0 {
		avgOut = st.Usage.OutputTokens / k
	}
	base := provider.EstimateTokens(st.Problem+"\n"+r.spec.Context) + 500
	// Each seat reads the problem plus every other seat's previous answer.
	in := base
	if n > 1 {
		in += (len(r.panel) - 1) * avgOut
	}
	estimate := 0.0
	for _, p := range r.panel {
		estimate += r.d.Price(p.Seat, provider.Usage{InputTokens: in, OutputTokens: avgOut})
	}
	if r.mode.Verdict.Method != "tally" {
		chair := r.panel[0].Seat
		estimate += r.d.Price(chair, provider.Usage{InputTokens: base + len(r.panel)*avgOut, OutputTokens: avgOut})
	}
	return spent+estimate > r.spec.MaxCostUSD
}

func countOK(st *Record) int {
	k := 0
	for _, rr := range st.Rounds {
		k += live(rr)
	}
	return k
}
