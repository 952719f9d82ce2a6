package store

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley/debate"
)

// Log is a store's two reads of a debate's log. Events and EventsSince are made
// from them the same way for every store, so that what "no such debate" means
// cannot drift between SQLite and PostgreSQL.
type Log struct {
	// After returns the events with seq > after, in order; none is not an error.
	After func(ctx context.Context, id string, after int) ([]debate.Event, error)
	// Exists reports whether the debate has a row.
	Exists func(ctx context.Context, id string) (bool, error)
}

// Events is Store.Events: the whole log, or ErrNotFound. A debate is created by
// its first event, so an empty log means no debate.
func (l Log) Events(ctx context.Context, id string) ([]debate.Event, error) {
	events, err := l.After(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return events, nil
}

// EventsSince is Store.EventsSince: the events after seq after (an empty, non-nil
// slice when there are none yet), or ErrNotFound. Whether the debate exists costs
// a second query only on the path where the first found nothing.
func (l Log) EventsSince(ctx context.Context, id string, after int) ([]debate.Event, error) {
	events, err := l.After(ctx, id, after)
	if err != nil || len(events) > 0 {
		return events, err
	}
	ok, err := l.Exists(ctx, id)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return []debate.Event{}, nil
}
