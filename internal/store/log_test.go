package store

import (
	"context"
	"errors"
	"testing"

	"github.com/parleyhq/parley/debate"
)

func TestLogSaysWhatEmptyMeans(t *testing.T) {
	logs := map[string][]debate.Event{"d": {{Seq: 1}, {Seq: 2}}, "new": nil}
	boom := errors.New("disk on fire")
	l := Log{
		After: func(_ context.Context, id string, after int) ([]debate.Event, error) {
			if id == "broken" {
				return nil, boom
			}
			var out []debate.Event
			for _, e := range logs[id] {
				if e.Seq > after {
					out = append(out, e)
				}
			}
			return out, nil
		},
		Exists: func(_ context.Context, id string) (bool, error) {
			_, ok := logs[id]
			return ok, nil
		},
	}
	ctx := context.Background()
	if got, err := l.Events(ctx, "d"); err != nil || len(got) != 2 {
		t.Errorf("Events(d) = %v, %v", got, err)
	}
	for _, id := range []string{"new", "nosuch"} { // a row without events is no debate yet
		if _, err := l.Events(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Events(%s): %v, want ErrNotFound", id, err)
		}
	}
	if got, err := l.EventsSince(ctx, "d", 1); err != nil || len(got) != 1 || got[0].Seq != 2 {
		t.Errorf("EventsSince(d, 1) = %v, %v", got, err)
	}
	if got, err := l.EventsSince(ctx, "d", 2); err != nil || got == nil || len(got) != 0 {
		t.Errorf("EventsSince(d, 2) = %#v, %v: want an empty, non-nil slice", got, err)
	}
	if _, err := l.EventsSince(ctx, "nosuch", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("EventsSince(nosuch): %v", err)
	}
	if _, err := l.EventsSince(ctx, "broken", 0); !errors.Is(err, boom) {
		t.Errorf("EventsSince(broken): %v", err)
	}
}
