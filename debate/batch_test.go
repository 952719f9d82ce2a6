package debate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/provider"
)

func threeInstantSeats(t *testing.T) Debate {
	names := map[string]string{"A": "openai:a", "B": "openai:b", "C": "openai:c"}
	return newDebate(t, map[string]provider.Model{"A": answerer("A", 0), "B": answerer("B", 0), "C": answerer("C", 0)}, names)
}

// TestEmitBatchTakesWhatQueuedMeanwhile: with a slow sink (a disk that takes 30 ms
// a commit) and seats that answer together, the answers that arrive while one is
// being made durable reach the sink as one batch; every stored event arrives once,
// in order, and the record is the same as with one event at a time.
func TestEmitBatchTakesWhatQueuedMeanwhile(t *testing.T) {
	d := threeInstantSeats(t)
	var batches [][]Event
	d.EmitBatch = func(events []Event) error {
		for _, e := range events {
			if e.Kind.Stored() && e.Kind.Urgent() {
				time.Sleep(30 * time.Millisecond) // the scenario: a slow commit
				break
			}
		}
		batches = append(batches, events)
		return nil
	}
	rec, err := Run(context.Background(), d, nil)
	if err != nil || rec.Status != StatusCompleted {
		t.Fatalf("status %v, err %v", rec.Status, err)
	}
	seq, urgentEvents, urgentBatches, maxAnswers := 0, 0, 0, 0
	for _, b := range batches {
		answers, urgent := 0, false
		for _, e := range b {
			if !e.Kind.Stored() {
				continue
			}
			if e.Seq != seq+1 {
				t.Fatalf("event %s has seq %d after %d", e.Kind, e.Seq, seq)
			}
			seq = e.Seq
			if e.Kind.Urgent() {
				urgentEvents++
				urgent = true
			}
			if e.Kind == KindTurnCompleted {
				answers++
			}
		}
		if urgent {
			urgentBatches++
		}
		maxAnswers = max(maxAnswers, answers)
	}
	if maxAnswers < 2 || urgentBatches >= urgentEvents {
		t.Errorf("%d urgent events in %d batches, at most %d answers in one: the answers that queued during a commit were not batched", urgentEvents, urgentBatches, maxAnswers)
	}

	// The same debate one event at a time records the same turns.
	var col collector
	one, err := Run(context.Background(), threeInstantSeats(t), col.emit)
	if err != nil {
		t.Fatal(err)
	}
	if seq != len(col.events) {
		t.Errorf("the batches carried %d stored events, one at a time %d", seq, len(col.events))
	}
	if len(one.Rounds) != len(rec.Rounds) || one.Verdict == nil || rec.Verdict == nil || one.Verdict.Recommendation != rec.Verdict.Recommendation {
		t.Errorf("batched and one-at-a-time records differ: %d/%d rounds", len(rec.Rounds), len(one.Rounds))
	}
}

// TestEmitBatchFailureAcceptsNoneOfIt: a batch the sink refuses is not folded into
// the record, and the debate stops with the sink's error.
func TestEmitBatchFailureAcceptsNoneOfIt(t *testing.T) {
	d := threeInstantSeats(t)
	disk := errors.New("disk full")
	d.EmitBatch = func(events []Event) error {
		for _, e := range events {
			if e.Kind == KindTurnCompleted {
				return disk
			}
		}
		return nil
	}
	rec, err := Run(context.Background(), d, nil)
	if !errors.Is(err, disk) || !strings.Contains(err.Error(), "recording") {
		t.Fatalf("err %v, want the sink's", err)
	}
	if rec != nil {
		for _, r := range rec.Rounds {
			if len(r.Turns) > 0 {
				t.Errorf("round %d holds %d turns that were never durable", r.Number, len(r.Turns))
			}
		}
	}
}
