// Package tui is parley's live terminal view of a running debate: one row per seat
// with its model, status, tokens, elapsed time and current position; the round and
// the mode above; the verdict when it lands; a pane with any seat's streamed answer.
// It is a consumer of the debate's event stream, like the store and the plain
// progress printer, and knows nothing else of the engine.
//
// # Delivery
//
// View.Event is called from the engine's goroutines, while the engine holds its
// log lock, so it must never wait on the terminal. It appends the event to a queue
// and returns; one goroutine hands the queue to the Bubble Tea program in batches,
// each applied in a single update and drawn in a single frame. The guarantees:
//
//   - Every event given to Event between New and Close is applied, however far
//     the terminal lags: turn_completed, turn_failed, verdict_completed and
//     debate_finished always reach the view. The order is kept for each seat,
//     and every event without a seat (round_started, debate_finished, …) keeps
//     its place among all the others.
//   - Deltas may be coalesced: while the program lags, a turn_delta is merged
//     into the previous queued delta of the same seat and round (their texts
//     concatenated) when no event of that seat, and no event of the whole debate,
//     came between. No streamed text is lost, only intermediate frames.
//   - The queue is bounded by what the debate produces: merged deltas hold the
//     text streamed since the last frame, nothing more.
//   - Events given after Close, or after the view has ended (Run returned, or
//     the user pressed q twice to leave it), are discarded.
//
// # Terminal
//
// The view draws on Options.Out (stderr: stdout carries the report) and reads keys
// from Options.In (the terminal). Model text is untrusted and is stripped of
// escape sequences and control characters before it is drawn. The caller decides
// whether a live view is wanted at all; a stderr that is not a terminal gets the
// plain line printer instead, never this package.
package tui

import (
	"io"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"golang.org/x/term"

	"github.com/parleyhq/parley/debate"
)

// Options configure a View.
type Options struct {
	// In is where keys are read from: the terminal. Nil reads no keys.
	In io.Reader
	// Out is the terminal the view draws on (stderr).
	Out io.Writer
	// Cancel is called once when the user presses q or Ctrl-C; it should cancel
	// the debate's context. The view keeps running until Close.
	Cancel func()
	// NoColor draws without colour (NO_COLOR); cursor movement is still used.
	NoColor bool
	// Width and Height are the screen's size when Out is not a terminal (tests);
	// 0 means 80×24. A terminal is asked for its size, and its resizes followed.
	Width, Height int
	// Env is the environment as KEY=VALUE (TERM, COLORTERM, …), used to detect the
	// terminal's capabilities; nil uses the process's.
	Env []string
	// Panel shows the seats before the debate's first event arrives.
	Panel []debate.Seat
	// Log is a resumed debate's stored events. The engine does not emit them
	// again, and the view needs them for the mode, the rounds and each seat's
	// latest position.
	Log []debate.Event

	now func() time.Time // tests fix the clock
}

// View is a live terminal view. Create it with New, call Run on a goroutine of its
// own, feed it with Event, and call Close when the debate has returned.
type View struct {
	prog *tea.Program

	mu      sync.Mutex
	pending []debate.Event
	closing bool // Close was called: deliver what is queued, then quit
	running bool // Run was entered
	stopped bool // Run has returned: discard further events
	wake    chan struct{}
	done    chan struct{} // closed when Run returns
	last    tea.Model     // the model as Run left it, for tests
}

// New returns a View that draws nothing until Run.
func New(opts Options) *View {
	v := &View{wake: make(chan struct{}, 1), done: make(chan struct{})}
	popts := []tea.ProgramOption{
		tea.WithOutput(opts.Out),
		tea.WithInput(opts.In), // nil disables input
		// The command line owns SIGINT and SIGTERM (they cancel the debate, which
		// then closes the view); in raw mode Ctrl-C arrives as a key instead.
		tea.WithoutSignalHandler(),
		tea.WithFPS(30),
	}
	if opts.Env != nil {
		popts = append(popts, tea.WithEnvironment(opts.Env))
	}
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	if (opts.Width <= 0 || opts.Height <= 0) && !isTerminal(opts.Out) {
		// Bubble Tea asks a terminal for its size; anything else gets the classic one.
		opts.Width, opts.Height = 80, 24
	}
	if opts.Width > 0 && opts.Height > 0 {
		popts = append(popts, tea.WithWindowSize(opts.Width, opts.Height))
	}
	v.prog = tea.NewProgram(newModel(opts), popts...)
	return v
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// Event queues one debate event for the view. It never blocks on the terminal and
// is safe to call from any goroutine; see the package comment for what is kept.
func (v *View) Event(e debate.Event) {
	v.mu.Lock()
	if v.closing || v.stopped {
		v.mu.Unlock()
		return
	}
	if e.Kind != debate.KindTurnDelta || !mergeDelta(v.pending, e) {
		v.pending = append(v.pending, e)
	}
	v.mu.Unlock()
	v.signal()
}

func (v *View) signal() {
	select {
	case v.wake <- struct{}{}:
	default: // a wake-up is already due; it will take this event too
	}
}

// mergeDelta appends e's text to the last queued delta of the same seat and round,
// if nothing of that seat or of the whole debate was queued after it.
func mergeDelta(pending []debate.Event, e debate.Event) bool {
	for i := len(pending) - 1; i >= 0; i-- {
		p := &pending[i]
		if p.Seat != e.Seat && p.Seat != "" {
			continue // another seat's event: order between seats does not matter
		}
		if p.Kind == debate.KindTurnDelta && p.Seat == e.Seat && p.Round == e.Round {
			p.Text += e.Text
			return true
		}
		return false
	}
	return false
}

// Run draws the view until Close, then restores the terminal. It returns at once
// if Close came first.
func (v *View) Run() error {
	v.mu.Lock()
	if v.closing || v.running {
		v.mu.Unlock()
		return nil
	}
	v.running = true
	v.mu.Unlock()
	defer close(v.done)

	stop := make(chan struct{})
	pumped := make(chan struct{})
	go func() {
		defer close(pumped)
		v.pump(stop)
	}()
	last, err := v.prog.Run()
	close(stop)
	<-pumped // Send returns once the program has ended, so this is short

	v.mu.Lock()
	v.stopped = true
	v.pending = nil
	v.last = last
	v.mu.Unlock()
	return err
}

// pump hands the queue to the program, one batch per wake-up, until the batch
// that carries Close has gone or the program has ended.
func (v *View) pump(stop <-chan struct{}) {
	for {
		select {
		case <-v.wake:
		case <-stop:
			return
		}
		v.mu.Lock()
		batch, closing := v.pending, v.closing
		v.pending = nil
		v.mu.Unlock()
		if len(batch) > 0 || closing {
			// Send blocks until the program takes the batch, and returns at once
			// if the program has ended (a second q gives the terminal back early).
			v.prog.Send(batchMsg{events: batch, close: closing})
		}
		if closing {
			return
		}
	}
}

// Close applies every event queued so far, draws the final frame, restores the
// terminal and returns when Run has. Call it after the debate has returned and
// before anything else is written to the terminal. Safe to call more than once,
// and without Run.
func (v *View) Close() {
	v.mu.Lock()
	v.closing = true
	running := v.running
	v.mu.Unlock()
	v.signal()
	if running {
		<-v.done
	}
}
