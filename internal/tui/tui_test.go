package tui

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/syncbuf"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestMergeDelta(t *testing.T) {
	d := func(seat string, round int, text string) debate.Event {
		return debate.Event{Kind: debate.KindTurnDelta, Seat: seat, Round: round, Text: text}
	}
	tests := []struct {
		name    string
		pending []debate.Event
		e       debate.Event
		merged  bool
	}{
		{"empty queue", nil, d("A", 1, "x"), false},
		{"right after", []debate.Event{d("A", 1, "a")}, d("A", 1, "x"), true},
		{"across other seats", []debate.Event{d("A", 1, "a"), d("B", 1, "b"), {Kind: debate.KindTurnCompleted, Seat: "C"}}, d("A", 1, "x"), true},
		{"not across the seat's own event", []debate.Event{d("A", 1, "a"), {Kind: debate.KindTurnRetrying, Seat: "A"}}, d("A", 1, "x"), false},
		{"not across a debate event", []debate.Event{d("A", 1, "a"), {Kind: debate.KindRoundStarted, Round: 2}}, d("A", 2, "x"), false},
		{"not into another round", []debate.Event{d("A", 1, "a")}, d("A", 2, "x"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeDelta(tt.pending, tt.e); got != tt.merged {
				t.Fatalf("mergeDelta()=%v, want %v", got, tt.merged)
			}
			if tt.merged && tt.pending[0].Text != "ax" {
				t.Fatalf("merged text %q, want %q", tt.pending[0].Text, "ax")
			}
		})
	}
}

// TestEveryEventArrives floods the view from several goroutines, as the engine's
// parallel turns do, before and while it runs: every completed turn and the end
// arrive, and no streamed byte is lost however the deltas were merged.
func TestEveryEventArrives(t *testing.T) {
	out := &syncbuf.Buffer{}
	r := rec{id: "flood"}
	v := New(Options{Out: out, Width: 100, Height: 20, NoColor: true})
	v.Event(r.started(t)) // before Run: queued, never blocks
	v.Event(r.roundStarted(0, 1, debate.RoundIndependent))

	ran := make(chan error, 1)
	go func() { ran <- v.Run() }()

	const chunks = 2000
	var wg sync.WaitGroup
	for _, seat := range []string{"A", "B", "C"} {
		wg.Go(func() {
			v.Event(r.ev(0, debate.KindTurnStarted, 1, seat))
			for i := range chunks {
				v.Event(r.delta(0, 1, seat, fmt.Sprintf("%s%d.", seat, i)))
			}
			v.Event(r.completed(time.Second, 1, seat, "", "position "+seat, 60, 7))
		})
	}
	wg.Wait()
	fin := r.ev(2*time.Second, debate.KindDebateFinished, 0, "")
	fin.Finished = &debate.Finished{Status: debate.StatusCompleted, StoppedBecause: "max_rounds"}
	v.Event(fin)
	v.Close()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}

	m := v.last.(model)
	if m.finished == nil || m.finished.Status != debate.StatusCompleted {
		t.Fatalf("debate_finished did not arrive: %+v", m.finished)
	}
	for _, seat := range []string{"A", "B", "C"} {
		s := m.bySeat[seat]
		if s.status != statusDone || s.position != "position "+seat {
			t.Fatalf("seat %s: status %v position %q; its turn_completed was lost", seat, s.status, s.position)
		}
		var want strings.Builder
		for i := range chunks {
			fmt.Fprintf(&want, "%s%d.", seat, i)
		}
		if got := s.text.String(); got != want.String() {
			t.Fatalf("seat %s streamed %d bytes, want %d", seat, len(got), want.Len())
		}
	}
	if got := out.String(); !strings.Contains(got, "position C") {
		t.Fatalf("the final frame was not drawn; output ends %q", got[max(len(got)-300, 0):])
	}
	v.Event(r.ev(0, debate.KindTurnStarted, 2, "A")) // after Close: discarded, no panic, no block
}

func TestCloseBeforeRun(t *testing.T) {
	v := New(Options{Out: &syncbuf.Buffer{}, Width: 80, Height: 10})
	v.Close()
	v.Close()
	done := make(chan error, 1)
	go func() { done <- v.Run() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run after Close did not return")
	}
}

// TestKeysFromInput reads a real q from the input, as from the terminal: Cancel is
// called and the view stays until Close.
func TestKeysFromInput(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	canceled := make(chan struct{})
	var once sync.Once
	out := &syncbuf.Buffer{}
	v := New(Options{In: pr, Out: out, Width: 100, Height: 10, NoColor: true, Cancel: func() { once.Do(func() { close(canceled) }) }})
	r := rec{id: "keys"}
	v.Event(r.started(t))
	ran := make(chan error, 1)
	go func() { ran <- v.Run() }()
	if _, err := pw.WriteString("q"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-canceled:
	case <-time.After(10 * time.Second):
		t.Fatal("q did not call Cancel")
	}
	fin := r.ev(time.Second, debate.KindDebateFinished, 0, "")
	fin.Finished = &debate.Finished{Status: debate.StatusInterrupted, StoppedBecause: "interrupted"}
	v.Event(fin)
	v.Close()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "resume with parley resume keys") {
		t.Fatalf("no resume hint in the output: %q", got[max(len(got)-400, 0):])
	}
}
