package callcache_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/callcache"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/provider"
)

func TestKeyStability(t *testing.T) {
	temp := 0.7
	other := 0.2
	req := provider.Request{System: "You are seat A.", Prompt: "# Round 1 of 3\nWhere do we start?", Temperature: &temp, MaxTokens: 4000}
	k := callcache.Key("openai:gpt-5", "temperature=0.7", req)
	same := req
	t2 := 0.7
	same.Temperature = &t2 // another pointer, the same value
	if got := callcache.Key("openai:gpt-5", "temperature=0.7", same); got != k {
		t.Errorf("same inputs, different keys: %s vs %s", got, k)
	}
	if len(k) != 64 {
		t.Errorf("key %q is not hex SHA-256", k)
	}
	changed := map[string]string{}
	add := func(name, key string) {
		if key == k {
			t.Errorf("changing the %s did not change the key", name)
		}
		for n, o := range changed {
			if o == key {
				t.Errorf("changing the %s and the %s give one key", name, n)
			}
		}
		changed[name] = key
	}
	add("model", callcache.Key("openai:gpt-4.1", "temperature=0.7", req))
	add("provider", callcache.Key("anthropic:gpt-5", "temperature=0.7", req))
	add("settings", callcache.Key("openai:gpt-5", "temperature=0.7&thinking=8000", req))
	r := req
	r.Prompt += " "
	add("prompt", callcache.Key("openai:gpt-5", "temperature=0.7", r))
	r = req
	r.System = "You are seat B."
	add("system prompt", callcache.Key("openai:gpt-5", "temperature=0.7", r))
	r = req
	r.Temperature = &other
	add("request temperature", callcache.Key("openai:gpt-5", "temperature=0.7", r))
	r = req
	r.Temperature = nil
	add("absent temperature", callcache.Key("openai:gpt-5", "temperature=0.7", r))
	r = req
	r.MaxTokens = 0
	add("token cap", callcache.Key("openai:gpt-5", "temperature=0.7", r))
	// Field boundaries: moving text from the system prompt into the prompt is another call.
	a := callcache.Key("openai:gpt-5", "", provider.Request{System: "ab", Prompt: "c"})
	b := callcache.Key("openai:gpt-5", "", provider.Request{System: "a", Prompt: "bc"})
	if a == b {
		t.Error("the key does not separate the system prompt from the prompt")
	}
}

func TestSettingsFollowTheSeat(t *testing.T) {
	x, y := 0.3, 0.9
	if callcache.Settings(debate.Seat{Temperature: &x}) == callcache.Settings(debate.Seat{Temperature: &y}) {
		t.Error("two temperatures, one settings string")
	}
	if callcache.Settings(debate.Seat{}) == callcache.Settings(debate.Seat{Temperature: &x}) {
		t.Error("no temperature and a temperature, one settings string")
	}
}

type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memStore) GetCall(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return nil, store.ErrNotFound
	}
	return v, nil
}

func (s *memStore) PutCall(_ context.Context, key string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = v
	return nil
}

func TestRecordThenReplay(t *testing.T) {
	calls := 0
	inner := provider.Func(func(_ context.Context, req provider.Request, _ func(string)) (provider.Response, error) {
		calls++
		return provider.Response{Text: "answer to " + req.Prompt, Usage: provider.Usage{InputTokens: 10, OutputTokens: 5}, CostUSD: 0.25, CostReported: true, Model: "gpt-5-2025"}, nil
	})
	st := &memStore{m: map[string][]byte{}}
	panel := []debate.Participant{{Seat: debate.Seat{Seat: "A", Model: "openai:gpt-5"}, Model: inner}}
	ctx := context.Background()
	rec := callcache.Wrap(panel, st, callcache.Record, nil)
	want, err := rec[0].Model.Generate(ctx, provider.Request{Prompt: "p1"}, nil)
	if err != nil || calls != 1 || len(st.m) != 1 {
		t.Fatalf("record: %v, %d calls, %d entries", err, calls, len(st.m))
	}

	stats := &callcache.Stats{}
	rep := callcache.Wrap(panel, st, callcache.ReplayOnly, stats)
	var streamed string
	got, err := rep[0].Model.Generate(ctx, provider.Request{Prompt: "p1"}, func(s string) { streamed += s })
	if err != nil || calls != 1 {
		t.Fatalf("replay hit: %v, %d calls", err, calls)
	}
	if got != want || streamed != want.Text {
		t.Errorf("replayed %+v (streamed %q), recorded %+v", got, streamed, want)
	}
	_, err = rep[0].Model.Generate(ctx, provider.Request{Prompt: "p2"}, nil)
	var pe *provider.Error
	if !errors.Is(err, callcache.ErrMiss) || !errors.As(err, &pe) || pe.Class != provider.ClassBadRequest || calls != 1 {
		t.Errorf("replay miss: %v, %d calls", err, calls)
	}
	if stats.Hits["A"] != 1 || stats.Misses["A"] != 1 || callcache.Total(stats.Calls) != 0 {
		t.Errorf("stats %+v", stats)
	}

	allow := callcache.Wrap(panel, st, callcache.ReplayAllow, stats)
	if _, err := allow[0].Model.Generate(ctx, provider.Request{Prompt: "p2"}, nil); err != nil || calls != 2 || len(st.m) != 2 {
		t.Errorf("allowed miss: %v, %d calls, %d entries", err, calls, len(st.m))
	}
	// Wrapping a wrapped panel does not cache twice.
	if again := callcache.Wrap(allow, st, callcache.Record, nil); again[0].Model != allow[0].Model {
		t.Error("a wrapped seat was wrapped again")
	}
}
