package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/syncbuf"
)

func liveIO(env map[string]string, in string) (IO, *syncbuf.Buffer) {
	errb := &syncbuf.Buffer{}
	return IO{
		In: strings.NewReader(in), Out: &bytes.Buffer{}, Err: errb,
		Env:    func(k string) string { return env[k] },
		ErrTTY: true, InTTY: true,
	}, errb
}

func liveDebate() debate.Debate {
	return debate.Debate{ID: "live0001", Panel: []debate.Participant{
		{Seat: debate.Seat{Seat: "A", Model: "openai:a"}},
		{Seat: debate.Seat{Seat: "B", Model: "openai:b"}},
	}}
}

// TestLiveViewOnlyOnATerminal: anything but an interactive terminal keeps the
// plain printer, and liveView writes nothing at all then, so no escape code can
// reach a pipe or a log.
func TestLiveViewOnlyOnATerminal(t *testing.T) {
	note := func(context.Context, int) (string, error) { return "", nil }
	tests := []struct {
		name   string
		change func(*IO, *debate.Debate, map[string]string)
	}{
		{"stderr is not a terminal", func(io *IO, _ *debate.Debate, _ map[string]string) { io.ErrTTY = false }},
		{"stdin is not a terminal", func(io *IO, _ *debate.Debate, _ map[string]string) { io.InTTY = false }},
		{"TERM=dumb", func(_ *IO, _ *debate.Debate, env map[string]string) { env["TERM"] = "dumb" }},
		{"TERM unset", func(_ *IO, _ *debate.Debate, env map[string]string) { delete(env, "TERM") }},
		{"--interactive reads stdin", func(_ *IO, d *debate.Debate, _ map[string]string) { d.Note = note }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"TERM": "xterm-256color"}
			io, errb := liveIO(env, "")
			d := liveDebate()
			tt.change(&io, &d, env)
			progress, stop, ok := liveView(io, d, func() { t.Error("canceled") })
			if ok || progress != nil || stop != nil {
				t.Fatalf("liveView()=(%v, %v, %v), want no view", progress != nil, stop != nil, ok)
			}
			if got := errb.String(); got != "" {
				t.Fatalf("liveView wrote %q to a stderr it did not take", got)
			}
		})
	}
}

// TestLiveViewCancelsAndStops reads a q from stdin: the debate's context is
// canceled, the view keeps drawing until stop, and stop returns with the
// terminal given back and no goroutine left behind. NO_COLOR holds throughout.
func TestLiveViewCancelsAndStops(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	io, errb := liveIO(map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"}, "q")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := liveDebate()
	progress, stop, ok := liveView(io, d, cancel)
	if !ok {
		t.Fatal("no live view on a terminal")
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("q did not cancel the debate")
	}
	progress(debate.Event{DebateID: d.ID, Kind: debate.KindDebateFinished, At: time.Now(),
		Finished: &debate.Finished{Status: debate.StatusInterrupted, StoppedBecause: debate.StopInterrupted}})
	stop()
	out := errb.String()
	for _, want := range []string{"openai:a", "openai:b", "resume with parley resume live0001"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the view's output lacks %q: %q", want, out)
		}
	}
	for _, colour := range []string{"\x1b[31m", "\x1b[32m", "\x1b[36m", "38;5;", "38;2;"} {
		if strings.Contains(out, colour) {
			t.Fatalf("NO_COLOR output has colour %q: %q", colour, out)
		}
	}
	progress(debate.Event{Kind: debate.KindTurnStarted, Seat: "A"}) // after stop: ignored
}
