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

// claimingStore counts appends and claims.
type claimingStore struct {
	recordingStore
	appends, claims int
}

func (c *claimingStore) Append(ctx context.Context, events ...debate.Event) error {
	c.appends++
	return c.recordingStore.Append(ctx, events...)
}

func (c *claimingStore) Claim(_ context.Context, id string, from, to store.Owner) error {
	c.claims++
	return nil
}

// A batch from the engine is scrubbed, stored in one append, shown event by event,
// and a batch that starts the debate claims it once.
func TestRecorderBatchIsOneAppend(t *testing.T) {
	const key = "sk-live-abcdef0123456789"
	st := &claimingStore{}
	var shown []debate.Event
	r := &Recorder{Store: st, Secrets: []string{key}, Progress: func(e debate.Event) { shown = append(shown, e) }, Owner: Me()}
	batch := []debate.Event{
		{DebateID: "d", Seq: 1, Kind: debate.KindDebateStarted, Started: &debate.Started{Spec: debate.Spec{Problem: "p " + key}}},
		{DebateID: "d", Seq: 2, Kind: debate.KindRoundStarted},
		{DebateID: "d", Kind: debate.KindTurnDelta, Text: key},
	}
	if err := r.EmitBatch(batch); err != nil {
		t.Fatal(err)
	}
	turns := []debate.Event{
		{DebateID: "d", Seq: 3, Kind: debate.KindTurnCompleted, Seat: "A", Turn: &debate.Turn{Text: "a"}},
		{DebateID: "d", Seq: 4, Kind: debate.KindTurnCompleted, Seat: "B", Turn: &debate.Turn{Text: key}},
	}
	if err := r.EmitBatch(turns); err != nil {
		t.Fatal(err)
	}
	if st.appends != 2 || st.claims != 1 || !r.Claimed {
		t.Errorf("%d appends and %d claims (claimed %v), want 2 and 1", st.appends, st.claims, r.Claimed)
	}
	if len(st.got) != 4 || len(shown) != 5 {
		t.Errorf("stored %d events and showed %d, want 4 (no delta) and 5", len(st.got), len(shown))
	}
	for _, e := range append(st.got, shown...) {
		if b, _ := json.Marshal(e); strings.Contains(string(b), key) {
			t.Fatalf("not scrubbed: %s", b)
		}
	}
}
