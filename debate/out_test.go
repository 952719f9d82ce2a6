package debate

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/provider"
)

// hanging never answers: each call blocks until its context ends.
type hanging struct{ calls atomic.Int32 }

func (h *hanging) Generate(ctx context.Context, _ provider.Request, _ func(string)) (provider.Response, error) {
	h.calls.Add(1)
	<-ctx.Done()
	return provider.Response{}, ctx.Err()
}

// The scenario: one of three seats never answers. The hung seat costs the
// debate at most two timeouts (one retry) in round 1 and nothing after.
func TestHungSeatIsCutAndDroppedOnce(t *testing.T) {
	const timeout = 150 * time.Millisecond
	const call = 20 * time.Millisecond // a healthy answer
	hung := &hanging{}
	d := newDebate(t, map[string]provider.Model{"A": answerer("A", call), "B": answerer("B", call), "C": hung}, nil)
	d.Spec.Timeout = timeout
	start := time.Now()
	rec, err := Run(context.Background(), d, (&collector{}).emit)
	wall := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != StatusCompleted || rec.Verdict == nil || len(rec.Rounds) != 3 {
		t.Fatalf("status %s, %d rounds, verdict %v", rec.Status, len(rec.Rounds), rec.Verdict)
	}
	if n := hung.calls.Load(); n != 2 {
		t.Errorf("the hung seat was called %d times, want 2 (one retry of a timeout, then out)", n)
	}
	tc, _ := rec.Turn(1, "C")
	if tc.OK() || tc.ErrorClass != provider.ClassTimeout || tc.Attempts != 2 {
		t.Errorf("round 1 seat C: %+v", tc)
	}
	if len(rec.Out) != 1 || rec.Out[0].Seat != "C" || rec.Out[0].Round != 1 || rec.Out[0].At.IsZero() {
		t.Fatalf("out: %+v", rec.Out)
	}
	// 4 sequential phases of healthy calls, plus two timeouts for the hung seat in round 1.
	if limit := 2*timeout + 4*call + 150*time.Millisecond; wall > limit {
		t.Errorf("the debate took %v, want at most %v (2 × timeout + the healthy path)", wall, limit)
	}
}

func TestSeatDeadlineBoundsRetries(t *testing.T) {
	limited := &scripted{reply: func(int, provider.Request) (provider.Response, error) {
		return provider.Response{}, &provider.Error{Class: provider.ClassRateLimited, Status: 429, RetryAfter: time.Second, Message: "slow down"}
	}}
	d := newDebate(t, map[string]provider.Model{"A": answerer("A", 0), "B": answerer("B", 0), "C": limited}, nil)
	d.Spec.SeatDeadline = 300 * time.Millisecond
	start := time.Now()
	rec, err := Run(context.Background(), d, (&collector{}).emit)
	if err != nil {
		t.Fatal(err)
	}
	if wall := time.Since(start); wall > time.Second {
		t.Errorf("a 1 s Retry-After was waited for past a 300 ms seat deadline: %v", wall)
	}
	tc, _ := rec.Turn(1, "C")
	if tc.OK() || !strings.Contains(tc.Error, "seat deadline") || tc.Attempts != 1 {
		t.Errorf("round 1 seat C: %+v", tc)
	}
	if !rec.IsOut("C") {
		t.Error("C is not out")
	}
}

// failingIn answers like answerer except in the rounds listed, where it fails.
func failingIn(seat string, failIn ...int) *scripted {
	base := answerer(seat, 0)
	return &scripted{reply: func(n int, req provider.Request) (provider.Response, error) {
		for _, r := range failIn {
			if roundOf(req) == r {
				return provider.Response{}, &provider.Error{Class: provider.ClassBadRequest, Status: 400, Message: "scripted failure"}
			}
		}
		return base.reply(n, req)
	}}
}

func TestSeatFailingInRoundTwoIsDroppedFromRoundThree(t *testing.T) {
	c := failingIn("C", 2)
	d := newDebate(t, map[string]provider.Model{"A": answerer("A", 0), "B": answerer("B", 0), "C": c}, nil)
	rec, err := Run(context.Background(), d, (&collector{}).emit)
	if err != nil {
		t.Fatal(err)
	}
	if t1, _ := rec.Turn(1, "C"); !t1.OK() {
		t.Errorf("C's round-1 answer is not kept: %+v", t1)
	}
	if _, ok := rec.Turn(3, "C"); ok {
		t.Error("C was asked in round 3 after failing round 2")
	}
	for _, req := range c.requests() {
		if roundOf(req) == 3 {
			t.Error("round-3 prompt reached C")
		}
	}
	if len(rec.Out) != 1 || rec.Out[0].Round != 2 {
		t.Errorf("out: %+v", rec.Out)
	}
	if rec.Status != StatusCompleted {
		t.Errorf("status %s", rec.Status)
	}
}

func TestRetryFailedSeatsAsksAgain(t *testing.T) {
	for _, how := range []string{"spec", "mode"} {
		c := failingIn("C", 1)
		d := newDebate(t, map[string]provider.Model{"A": answerer("A", 0), "B": answerer("B", 0), "C": c}, nil)
		if how == "spec" {
			d.Spec.RetryFailedSeats = true
		} else {
			d.Mode.RetryFailedSeats = true
		}
		rec, err := Run(context.Background(), d, (&collector{}).emit)
		if err != nil {
			t.Fatal(err)
		}
		if t2, _ := rec.Turn(2, "C"); !t2.OK() {
			t.Errorf("%s: C was not asked again in round 2: %+v", how, t2)
		}
		if len(rec.Out) != 0 {
			t.Errorf("%s: out %+v", how, rec.Out)
		}
	}
}

// Once a seat is out, the dropped state is in the log: a resumed debate keeps it out.
func TestResumeKeepsSeatOut(t *testing.T) {
	c := failingIn("C", 1)
	d := newDebate(t, map[string]provider.Model{"A": answerer("A", 0), "B": answerer("B", 0), "C": c}, nil)
	var col collector
	ctx, cancel := context.WithCancel(context.Background())
	// Interrupt as soon as round 2 starts: C is out by then.
	emit := func(e Event) error {
		err := col.emit(e)
		if e.Kind == KindRoundStarted && e.Round == 2 {
			cancel()
		}
		return err
	}
	if _, err := Run(ctx, d, emit); err != ErrInterrupted {
		t.Fatalf("first run: %v", err)
	}
	if !Replay(col.events).IsOut("C") {
		t.Fatal("the log does not hold C as out")
	}
	before := len(c.requests())
	d.Log = col.events
	rec, err := Run(context.Background(), d, (&collector{}).emit)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.requests()) != before {
		t.Errorf("the resumed debate asked seat C %d more times", len(c.requests())-before)
	}
	if !rec.IsOut("C") || rec.Status != StatusCompleted {
		t.Errorf("resumed: status %s out %+v", rec.Status, rec.Out)
	}
}

func TestDeadlineFinishesWithWhatItHas(t *testing.T) {
	// B and C take 5 s from round 2 on; the debate may take 300 ms.
	slowLater := func(seat string) provider.Model {
		base := answerer(seat, 0)
		return slowFrom{base: base, round: 2, wait: 5 * time.Second}
	}
	d := newDebate(t, map[string]provider.Model{"A": answerer("A", 0), "B": slowLater("B"), "C": slowLater("C")}, nil)
	d.Spec.Deadline = 300 * time.Millisecond
	start := time.Now()
	rec, err := Run(context.Background(), d, (&collector{}).emit)
	if err != nil {
		t.Fatal(err)
	}
	if rec.StoppedBecause != StopDeadline || rec.Verdict == nil {
		t.Fatalf("status %s stopped %s verdict %v", rec.Status, rec.StoppedBecause, rec.Verdict)
	}
	if len(rec.Out) != 0 {
		t.Errorf("seats cut by the debate's deadline were marked out: %+v", rec.Out)
	}
	if wall := time.Since(start); wall > 2*time.Second {
		t.Errorf("the debate took %v past a 300 ms deadline", wall)
	}
	if t2, _ := rec.Turn(2, "B"); t2.OK() || !strings.Contains(t2.Error, "deadline") {
		t.Errorf("B's cut round-2 turn: %+v", t2)
	}
	// A answered round 2 before the deadline: it is the last round with answers,
	// and A, who answered it, writes the verdict.
	if rec.VerdictTurn == nil || rec.VerdictTurn.Seat != "A" {
		t.Errorf("verdict turn %+v, want seat A's", rec.VerdictTurn)
	}
}

// slowFrom answers like base, but from round on only after wait (or its context's end).
type slowFrom struct {
	base  *scripted
	round int
	wait  time.Duration
}

func (s slowFrom) Generate(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
	if roundOf(req) >= s.round {
		select {
		case <-ctx.Done():
			return provider.Response{}, ctx.Err()
		case <-time.After(s.wait):
		}
	}
	return s.base.Generate(ctx, req, onDelta)
}
