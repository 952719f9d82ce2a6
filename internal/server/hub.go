package server

import (
	"sync"
	"sync/atomic"

	"github.com/parleyhq/parley/debate"
)

// hubBuffer is how many events a watcher may fall behind before it starts losing
// them. A debate emits a few hundred deltas per turn at most, and a watcher drains
// its channel as fast as its connection takes the bytes.
const hubBuffer = 1024

// Hub carries the events of the debates this process runs to the event streams
// watching them, as they happen: deltas too, which are never stored.
//
// Delivery is best effort, by design: Publish never blocks, so a slow watcher
// cannot slow a debate down. A watcher that falls hubBuffer events behind loses
// what does not fit and is marked lagged. The stream repairs the loss for stored
// events, which it rereads from the store (the source of truth: an event is
// published only once it is durable); lost deltas are lost, and the turn's full text
// arrives with its turn_completed anyway. A debate run by another process (another
// replica of a team server) publishes nothing here; its watchers poll the store.
type Hub struct {
	mu   sync.Mutex
	subs map[string]map[*Sub]struct{} // debate id → watchers

	// observers see every event published, in order, before the watchers do.
	observers []func(debate.Event)
}

// NewHub returns an empty hub. Each observer is called with every event published
// (metrics and traces are fed this way: every debate of this process passes here);
// observers must be quick and safe for concurrent use across debates.
func NewHub(observers ...func(debate.Event)) *Hub {
	return &Hub{subs: map[string]map[*Sub]struct{}{}, observers: observers}
}

// Sub is one watcher of one debate.
type Sub struct {
	// C delivers the debate's events in the order they were published.
	C <-chan debate.Event

	c      chan debate.Event
	lagged atomic.Bool
	hub    *Hub
	id     string
	once   sync.Once
}

// Subscribe starts delivering the events of debate id published from now on.
// Close the Sub when done.
func (h *Hub) Subscribe(id string) *Sub {
	c := make(chan debate.Event, hubBuffer)
	s := &Sub{C: c, c: c, hub: h, id: id}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[id] == nil {
		h.subs[id] = map[*Sub]struct{}{}
	}
	h.subs[id][s] = struct{}{}
	return s
}

// Publish hands e to every watcher of its debate without waiting for any of them.
// It must be called in the order the debate emits, once e is durable (for stored
// kinds).
func (h *Hub) Publish(e debate.Event) {
	for _, f := range h.observers {
		f(e)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[e.DebateID] {
		select {
		case s.c <- e:
		default:
			s.lagged.Store(true)
		}
	}
}

// Watchers is how many watchers debate id has.
func (h *Hub) Watchers(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[id])
}

// Lagged reports, and clears, whether events were dropped for this watcher since
// the last call.
func (s *Sub) Lagged() bool { return s.lagged.Swap(false) }

// Close stops delivery. The channel is not closed: Publish may hold a reference
// to it until Close has returned, and a receive on it simply waits forever.
func (s *Sub) Close() {
	s.once.Do(func() {
		s.hub.mu.Lock()
		defer s.hub.mu.Unlock()
		delete(s.hub.subs[s.id], s)
		if len(s.hub.subs[s.id]) == 0 {
			delete(s.hub.subs, s.id)
		}
	})
}
