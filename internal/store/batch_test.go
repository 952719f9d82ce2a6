package store_test

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store"
)

type appends struct{ calls [][]debate.Event }

func (a *appends) Append(_ context.Context, events ...debate.Event) error {
	a.calls = append(a.calls, append([]debate.Event(nil), events...))
	return nil
}

// TestBatcherWaitsForTheUrgent: the events the engine can afford to lose wait for
// the next urgent one and go with it; deltas are never stored; one batch with
// several urgent events is one append.
func TestBatcherWaitsForTheUrgent(t *testing.T) {
	var a appends
	var b store.Batcher
	ev := func(seq int, k debate.Kind) debate.Event { return debate.Event{DebateID: "d", Seq: seq, Kind: k} }
	steps := []struct {
		in   []debate.Event
		want bool
	}{
		{[]debate.Event{ev(1, debate.KindDebateStarted)}, true},
		{[]debate.Event{ev(2, debate.KindRoundStarted), ev(3, debate.KindTurnStarted)}, false},
		{[]debate.Event{{Kind: debate.KindTurnDelta, Text: "x"}}, false},
		{[]debate.Event{ev(4, debate.KindTurnCompleted), ev(5, debate.KindTurnCompleted)}, true},
	}
	for i, s := range steps {
		got, err := b.Add(&a, s.in...)
		if err != nil || got != s.want {
			t.Fatalf("step %d: appended %v (%v), want %v", i, got, err, s.want)
		}
	}
	if len(a.calls) != 2 {
		t.Fatalf("%d appends, want 2", len(a.calls))
	}
	var seqs []int
	for _, e := range a.calls[1] {
		seqs = append(seqs, e.Seq)
	}
	if len(seqs) != 4 || seqs[0] != 2 || seqs[3] != 5 {
		t.Errorf("second append carried %v, want seqs 2..5 and no delta", seqs)
	}
}
