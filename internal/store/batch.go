package store

import (
	"context"

	"github.com/parleyhq/parley/debate"
)

// Appender is the part of a Store a Batcher writes to.
type Appender interface {
	Append(ctx context.Context, events ...debate.Event) error
}

// Batcher turns the engine's events into appends the way every recorder of a
// debate does (the CLI's, the server's, the load tool's, the benchmarks'): the
// events the engine can afford to lose (a round's or turn's start, a retry, a
// round's end) wait, and ride in the same transaction as the next urgent one (an
// answer, a failure, the verdict, the end), so that a paid answer costs one commit.
type Batcher struct {
	pending []debate.Event
}

// Add takes a batch of events from the engine (Debate.EmitBatch) and, when any
// stored one is urgent, appends everything waiting to st in one transaction. It reports
// whether it appended. The appends outlive a cancelled context: the interruption
// itself must be recorded.
func (b *Batcher) Add(st Appender, events ...debate.Event) (appended bool, err error) {
	urgent := false
	for _, e := range events {
		if e.Kind.Stored() {
			b.pending = append(b.pending, e)
			urgent = urgent || e.Kind.Urgent()
		}
	}
	if !urgent {
		return false, nil
	}
	err = st.Append(context.Background(), b.pending...)
	clear(b.pending)
	b.pending = b.pending[:0]
	return true, err
}
