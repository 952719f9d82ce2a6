// Package callcache is a content-addressed cache of model calls. Every call of every
// debate is stored under the SHA-256 of what determines its answer (the seat's model
// ref, its generation settings, the system and user prompts, temperature and token
// cap), so that `parley replay` can re-run a debate without a single network call,
// and a changed seat or prompt misses the cache exactly where its answers differ.
// See docs/REPLAY.md.
package callcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/provider"
)

// Store is the part of a store the cache needs; the SQLite store implements it.
// Values are opaque bytes there: their encoding is this package's.
type Store interface {
	GetCall(ctx context.Context, key string) ([]byte, error) // store.ErrNotFound on a miss
	PutCall(ctx context.Context, key string, value []byte) error
}

// Entry is a cached answer: everything the engine reads from a Response.
type Entry struct {
	Text         string         `json:"text"`
	Usage        provider.Usage `json:"usage"`
	CostUSD      float64        `json:"cost_usd,omitempty"`
	CostReported bool           `json:"cost_reported,omitempty"`
	Model        string         `json:"model,omitempty"`
}

// keyVersion is part of every key, so that a change to what the key covers makes old
// entries miss instead of answering for calls they did not see.
const keyVersion = 1

// Settings is the seat's generation settings as they enter the key. Per-seat
// settings (e.g. "?thinking=8000") are being added to the seat spec; until the seat
// carries their canonical string, the ref (which will hold them) and the temperature
// are the settings. The ref never holds a key: keys come from the environment.
func Settings(s debate.Seat) string {
	t := ""
	if s.Temperature != nil {
		t = fmt.Sprintf("%g", *s.Temperature)
	}
	return "temperature=" + t
}

// Key is the cache key of one call: hex SHA-256 over a JSON encoding of its inputs.
// encoding/json writes struct fields in declaration order and escapes strings one
// way, so the encoding is canonical without a hand-written serializer; the provider
// kind and model are both in ref ("openai:gpt-5").
func Key(ref, settings string, req provider.Request) string {
	in := struct {
		V         int      `json:"v"`
		Ref       string   `json:"ref"`
		Settings  string   `json:"settings"`
		System    string   `json:"system"`
		Prompt    string   `json:"prompt"`
		Temp      *float64 `json:"temperature"`
		MaxTokens int      `json:"max_tokens"`
	}{keyVersion, ref, settings, req.System, req.Prompt, req.Temperature, req.MaxTokens}
	b, _ := json.Marshal(in) // cannot fail: strings, ints and a float pointer
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Policy says what a wrapped model does.
type Policy int

const (
	// Record calls the model and stores every answer (normal debates).
	Record Policy = iota
	// ReplayOnly answers from the cache; a miss fails the turn with ErrMiss.
	ReplayOnly
	// ReplayAllow answers from the cache, calls the model on a miss, and stores it.
	ReplayAllow
)

// ErrMiss is the failure of a call the cache does not hold under ReplayOnly.
var ErrMiss = errors.New("call not in the cache")

// Stats counts what the wrapped models did, per seat.
type Stats struct {
	mu     sync.Mutex
	Hits   map[string]int
	Calls  map[string]int // calls that reached the model
	Misses map[string]int // misses refused under ReplayOnly
}

func (s *Stats) add(m *map[string]int, seat string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[seat]++
}

// Total sums a count over seats.
func Total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Of returns the call cache of a store, or nil when the store cannot hold calls.
func Of(st any) Store {
	c, _ := st.(Store)
	return c
}

// Wrap returns the panel with every model going through the cache under policy. A
// store that cannot hold calls (st nil) leaves the panel as it is, and so does a
// seat already wrapped.
func Wrap(panel []debate.Participant, st Store, policy Policy, stats *Stats) []debate.Participant {
	if st == nil {
		return panel
	}
	if stats == nil {
		stats = &Stats{}
	}
	out := make([]debate.Participant, len(panel))
	for i, p := range panel {
		out[i] = p
		if _, done := p.Model.(*model); done {
			continue // already cached (a replay's panel run through execute)
		}
		out[i].Model = &model{inner: p.Model, seat: p.Seat, settings: Settings(p.Seat), st: st, policy: policy, stats: stats}
	}
	return out
}

type model struct {
	inner    provider.Model
	seat     debate.Seat
	settings string
	st       Store
	policy   Policy
	stats    *Stats
}

func (m *model) Generate(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
	key := Key(m.seat.Model, m.settings, req)
	if m.policy != Record {
		if b, err := m.st.GetCall(ctx, key); err == nil {
			var e Entry
			if err := json.Unmarshal(b, &e); err == nil {
				m.stats.add(&m.stats.Hits, m.seat.Seat)
				if onDelta != nil {
					onDelta(e.Text)
				}
				return provider.Response{Text: e.Text, Usage: e.Usage, CostUSD: e.CostUSD, CostReported: e.CostReported, Model: e.Model}, nil
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return provider.Response{}, &provider.Error{Class: provider.ClassUnknown, Message: "call cache: " + err.Error(), Err: err}
		}
		if m.policy == ReplayOnly {
			m.stats.add(&m.stats.Misses, m.seat.Seat)
			// A bad request: the engine fails the turn at once instead of retrying.
			return provider.Response{}, &provider.Error{Class: provider.ClassBadRequest, Message: fmt.Sprintf("seat %s (%s): %v (pass --allow-calls to call the model)", m.seat.Seat, m.seat.Model, ErrMiss), Err: ErrMiss}
		}
	}
	if m.inner == nil {
		return provider.Response{}, &provider.Error{Class: provider.ClassBadRequest, Message: "seat " + m.seat.Seat + " has no model"}
	}
	m.stats.add(&m.stats.Calls, m.seat.Seat)
	resp, err := m.inner.Generate(ctx, req, onDelta)
	if err != nil || resp.Text == "" {
		return resp, err
	}
	b, _ := json.Marshal(Entry{Text: resp.Text, Usage: resp.Usage, CostUSD: resp.CostUSD, CostReported: resp.CostReported, Model: resp.Model})
	// Best effort: a cache that cannot be written must not fail the debate it serves.
	_ = m.st.PutCall(context.WithoutCancel(ctx), key, b)
	return resp, nil
}
