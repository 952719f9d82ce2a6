package session

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store"
)

// recordingStore keeps what was appended.
type recordingStore struct {
	store.Store
	got []debate.Event
}

func (r *recordingStore) Append(_ context.Context, events ...debate.Event) error {
	r.got = append(r.got, events...)
	return nil
}

// The recorder stores and shows a scrubbed event, in every text field (the parsed
// reply's too), and leaves the event it was handed as it was: that event's
// pointers are the emitter's.
func TestRecorderScrubsACopyAndNotTheEmittersEvent(t *testing.T) {
	const key = "sk-live-abcdef0123456789"
	st := &recordingStore{}
	var shown []debate.Event
	s := &Recorder{Store: st, Secrets: []string{"", key}, Progress: func(e debate.Event) { shown = append(shown, e) }, Claimed: true}
	turn := &debate.Turn{Text: "the key is " + key, Prompt: "p " + key, Error: "e " + key,
		Reply: debate.Reply{Position: "use " + key, Reason: key, Claims: []debate.Claim{{Text: key}}}}
	v := &debate.Verdict{Recommendation: key, Consensus: []string{key}, Text: key}
	e := debate.Event{DebateID: "d", Kind: debate.KindVerdictCompleted, Turn: turn, Verdict: v}
	if err := s.Emit(e); err != nil {
		t.Fatal(err)
	}
	if turn.Text != "the key is "+key || turn.Reply.Position != "use "+key || v.Consensus[0] != key {
		t.Fatal("the recorder wrote through the emitter's pointers")
	}
	if len(st.got) != 1 || len(shown) != 1 {
		t.Fatalf("stored %d, shown %d events; want 1 and 1", len(st.got), len(shown))
	}
	for _, got := range []debate.Event{st.got[0], shown[0]} {
		b, _ := json.Marshal(got)
		if strings.Contains(string(b), key) || !strings.Contains(string(b), "[redacted]") {
			t.Fatalf("not scrubbed: %s", b)
		}
	}
	if s.Redact("no secret here") != "no secret here" {
		t.Fatal("an empty secret must not rewrite every string")
	}
}
