package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/server"
)

// TestSSEReconnectMissesNothing follows a live debate through a client that keeps
// dropping the connection and reconnecting with Last-Event-ID: the union of what it
// received is exactly the stored log, in order, with nothing twice.
func TestSSEReconnectMissesNothing(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.mode = "standard" // three rounds and a verdict: plenty to cut into
	e.delay = 60 * time.Millisecond
	id := e.create("Reconnect me", nil)

	var (
		seqs        []int
		deltas      int
		finished    bool
		connections int
		last        string
	)
	for !finished && connections < 200 {
		connections++
		ctx, cancel := context.WithCancel(context.Background())
		res := e.openStream(ctx, id, last, nil)
		if res.StatusCode != 200 {
			t.Fatalf("stream after %q = %d", last, res.StatusCode)
		}
		// Take a few stored events (1 to 4), then hang up mid-stream.
		want := connections%4 + 1
		got := 0
		readSSE(t, res.Body, func(ev sseEvent) bool {
			switch {
			case ev.Name == "finished":
				finished = true
				return true
			case ev.ID == "":
				if ev.Name != "turn_delta" {
					t.Errorf("stored-looking event %q without an id", ev.Name)
				}
				deltas++
				return false
			}
			n, err := strconv.Atoi(ev.ID)
			if err != nil {
				t.Fatalf("id %q", ev.ID)
			}
			var de debate.Event
			if err := json.Unmarshal([]byte(ev.Data), &de); err != nil || de.Seq != n || string(de.Kind) != ev.Name {
				t.Fatalf("event %s %q does not match its data %s", ev.ID, ev.Name, ev.Data)
			}
			seqs = append(seqs, n)
			last = ev.ID
			got++
			return got >= want
		})
		cancel()
		res.Body.Close()
	}
	if !finished {
		t.Fatalf("no finished event after %d connections", connections)
	}
	log, err := e.store.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != len(log) {
		t.Fatalf("received %d stored events over %d connections, the log has %d: %v", len(seqs), connections, len(log), seqs)
	}
	for i, e := range log {
		if seqs[i] != e.Seq {
			t.Fatalf("received seqs %v, log seqs end at %d", seqs, log[len(log)-1].Seq)
		}
	}
	if connections < 5 {
		t.Errorf("only %d connections: the test did not exercise reconnecting", connections)
	}
	if deltas == 0 {
		t.Error("no turn_delta reached a live stream")
	}
	t.Logf("%d stored events and %d deltas over %d connections", len(seqs), deltas, connections)
}

// TestSSEFollowsAnotherProcess: a debate run elsewhere (its live events go to a hub
// this server does not see, as on another replica) streams through polling.
func TestSSEFollowsAnotherProcess(t *testing.T) {
	e := newEnv(t, server.Options{Hub: server.NewHub()}) // not e.hub, where start publishes
	e.delay = 30 * time.Millisecond
	id := e.create("Run elsewhere", nil)
	res := e.openStream(context.Background(), id, "", nil)
	defer res.Body.Close()
	events := readSSE(t, res.Body, nil)
	log, _ := e.store.Events(context.Background(), id)
	stored := 0
	for _, ev := range events {
		if ev.Name == "turn_delta" {
			t.Errorf("a delta arrived from another process")
		}
		if ev.ID != "" {
			stored++
		}
	}
	if stored != len(log) || events[len(events)-1].Name != "finished" {
		t.Fatalf("got %d stored events (log has %d), last %q", stored, len(log), events[len(events)-1].Name)
	}
}

// TestSSERepairsGaps: when the hub skips events (a watcher that fell behind), the
// stream rereads them from the store at once, in order, instead of waiting for a
// poll; a delta ahead of what was sent waits for its stored event to go first.
func TestSSERepairsGaps(t *testing.T) {
	e := newEnv(t, server.Options{Poll: time.Hour}) // no polling: only the gap repair can help
	ctx := context.Background()
	id := "gappy"
	ev := func(seq int, kind debate.Kind) debate.Event {
		out := debate.Event{DebateID: id, Seq: seq, Kind: kind, At: time.Now().UTC(), Text: "note " + strconv.Itoa(seq)}
		if kind == debate.KindDebateStarted {
			out.Started = &debate.Started{Spec: debate.Spec{Problem: "p", Mode: "quick"}}
		}
		if kind == debate.KindDebateFinished {
			out.Finished = &debate.Finished{Status: debate.StatusCompleted, StoppedBecause: "max_rounds"}
		}
		return out
	}
	if err := e.store.Append(ctx, ev(1, debate.KindDebateStarted)); err != nil {
		t.Fatal(err)
	}
	res := e.openStream(ctx, id, "", nil)
	defer res.Body.Close()
	got := make(chan sseEvent, 100)
	go func() {
		readSSE(t, res.Body, func(s sseEvent) bool { got <- s; return false })
		close(got)
	}()
	next := func() sseEvent {
		select {
		case s := <-got:
			return s
		case <-time.After(5 * time.Second):
			t.Fatal("the stream went quiet")
		}
		return sseEvent{}
	}
	if s := next(); s.ID != "1" {
		t.Fatalf("first event %+v", s)
	}
	// The server subscribes to the hub before it reads the store, so the first
	// stored event's arrival means the stream is watching.
	if e.hub.Watchers(id) == 0 {
		t.Fatal("an event arrived before the stream subscribed to the hub")
	}
	// Seqs 2–4 are stored but never published; 5 is published.
	for seq := 2; seq <= 5; seq++ {
		if err := e.store.Append(ctx, ev(seq, debate.KindUserNote)); err != nil {
			t.Fatal(err)
		}
	}
	e.hub.Publish(ev(5, debate.KindUserNote))
	for want := 2; want <= 5; want++ {
		if s := next(); s.ID != strconv.Itoa(want) {
			t.Fatalf("got event %q, want %d", s.ID, want)
		}
	}
	// A delta that belongs after seq 6, which was not published.
	if err := e.store.Append(ctx, ev(6, debate.KindUserNote)); err != nil {
		t.Fatal(err)
	}
	e.hub.Publish(debate.Event{DebateID: id, Seq: 6, Kind: debate.KindTurnDelta, Seat: "A", Text: "tok"})
	if s := next(); s.ID != "6" {
		t.Fatalf("got %+v before seq 6", s)
	}
	if s := next(); s.Name != "turn_delta" || s.ID != "" {
		t.Fatalf("got %+v, want the delta", s)
	}
	// Published again after being sent: not sent twice.
	e.hub.Publish(ev(6, debate.KindUserNote))
	if err := e.store.Append(ctx, ev(7, debate.KindDebateFinished)); err != nil {
		t.Fatal(err)
	}
	e.hub.Publish(ev(7, debate.KindDebateFinished))
	if s := next(); s.ID != "7" {
		t.Fatalf("got %+v, want seq 7", s)
	}
	if s := next(); s.Name != "finished" {
		t.Fatalf("got %+v, want finished", s)
	}
	if _, open := <-got; open {
		t.Fatal("the stream went on after finished")
	}
}

// TestSSEResumedDebateGoesOn: a debate that was interrupted and resumed replays
// past its first debate_finished.
func TestSSEResumedDebateGoesOn(t *testing.T) {
	e := newEnv(t, server.Options{Poll: 20 * time.Millisecond})
	ctx := context.Background()
	started := debate.Event{DebateID: "r", Seq: 1, Kind: debate.KindDebateStarted, Started: &debate.Started{Spec: debate.Spec{Problem: "p"}}}
	interrupted := debate.Event{DebateID: "r", Seq: 2, Kind: debate.KindDebateFinished, Finished: &debate.Finished{Status: debate.StatusInterrupted, StoppedBecause: "interrupted"}}
	resumed := debate.Event{DebateID: "r", Seq: 3, Kind: debate.KindDebateResumed}
	if err := e.store.Append(ctx, started, interrupted, resumed); err != nil {
		t.Fatal(err)
	}
	res := e.openStream(ctx, "r", "", nil)
	defer res.Body.Close()
	done := make(chan []sseEvent)
	caughtUp := make(chan struct{}) // the stream has sent the stored log and waits
	go func() {
		done <- readSSE(t, res.Body, func(ev sseEvent) bool {
			if ev.ID == "3" {
				close(caughtUp)
			}
			return false
		})
	}()
	select {
	case <-caughtUp:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not send the stored events")
	}
	completed := debate.Event{DebateID: "r", Seq: 4, Kind: debate.KindDebateFinished, Finished: &debate.Finished{Status: debate.StatusCompleted, StoppedBecause: "max_rounds"}}
	if err := e.store.Append(ctx, completed); err != nil {
		t.Fatal(err)
	}
	events := <-done
	var names []string
	for _, ev := range events {
		names = append(names, ev.ID+":"+ev.Name)
	}
	if got := strings.Join(names, " "); got != "1:debate_started 2:debate_finished 3:debate_resumed 4:debate_finished :finished" {
		t.Errorf("events = %s", got)
	}
}

func TestSSEBadLastEventID(t *testing.T) {
	e := newEnv(t, server.Options{})
	id := e.create("x", nil)
	e.waitFinished(id)
	for _, v := range []string{"abc", "-1", "1.5"} {
		res := e.openStream(context.Background(), id, v, nil)
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Errorf("Last-Event-ID %q = %d", v, res.StatusCode)
		}
	}
	// After the last event: only the closing news.
	log, _ := e.store.Events(context.Background(), id)
	res := e.openStream(context.Background(), id, strconv.Itoa(log[len(log)-1].Seq-1), nil)
	events := readSSE(t, res.Body, nil)
	res.Body.Close()
	if len(events) != 2 || events[0].Name != "debate_finished" || events[1].Name != "finished" {
		t.Errorf("resuming before the last event: %v", events)
	}
}

// TestStreamOutlivesTimeouts: an event stream stays open past the server's read and
// write timeouts, kept alive by heartbeat comments.
func TestStreamOutlivesTimeouts(t *testing.T) {
	e := newEnv(t, server.Options{ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond, Heartbeat: 40 * time.Millisecond})
	if err := e.store.Append(context.Background(), debate.Event{DebateID: "long", Seq: 1, Kind: debate.KindDebateStarted, Started: &debate.Started{Spec: debate.Spec{Problem: "p"}}}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln, nil) }()
	defer func() {
		cancel()
		<-served
	}()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Get("http://" + ln.Addr().String() + "/api/debates/long/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	beats := 0
	deadline := time.Now().Add(600 * time.Millisecond)
	sc := bufio.NewScanner(res.Body)
	for time.Now().Before(deadline) && sc.Scan() {
		if sc.Text() == ": keep-alive" {
			beats++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("the stream broke: %v", err)
	}
	if beats < 5 { // 15 at best; a loaded machine delays some
		t.Errorf("%d heartbeats in 600ms at 40ms", beats)
	}
}

// TestHubDropsForSlowWatchers: Publish never blocks; a watcher that fell behind
// learns that it did.
func TestHubDropsForSlowWatchers(t *testing.T) {
	h := server.NewHub()
	sub := h.Subscribe("d")
	other := h.Subscribe("other")
	done := make(chan struct{})
	go func() {
		for i := 0; i < 5000; i++ {
			h.Publish(debate.Event{DebateID: "d", Seq: i, Kind: debate.KindTurnDelta})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a watcher that does not read")
	}
	if !sub.Lagged() {
		t.Error("the watcher was not told it fell behind")
	}
	if sub.Lagged() {
		t.Error("Lagged did not clear")
	}
	if len(other.C) != 0 || other.Lagged() {
		t.Error("another debate's watcher got events")
	}
	first := <-sub.C
	if first.Seq != 0 {
		t.Errorf("first event kept is %d, want 0 (order kept)", first.Seq)
	}
	sub.Close()
	sub.Close()
	other.Close()
	if h.Watchers("d") != 0 || h.Watchers("other") != 0 {
		t.Error("closed watchers still counted")
	}
	h.Publish(debate.Event{DebateID: "d"}) // nobody: fine
}
