package cli

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/tui"
)

// liveView starts the live terminal view for debate d when the terminal can take
// it: stderr and stdin are terminals, TERM is set and not "dumb", and the debate
// asks the user nothing on the way (--clarify and --interactive read lines from
// stdin, which the view would hold in raw mode). NO_COLOR gives the view without
// colour. Otherwise ok is false and the caller keeps the plain line printer, so a
// pipe or a log file never receives an escape code. The caller checks --quiet first.
//
// progress is the sink's progress function. cancel is called when the user presses
// q or Ctrl-C (the terminal is in raw mode, so Ctrl-C is a key, not SIGINT); it must
// cancel the context the debate runs under. stop must be called once the debate has
// returned and before the report is written: it draws the final frame and gives
// the terminal back. Calling it again does nothing, so it may also be deferred,
// which restores the terminal should the debate panic.
func liveView(io IO, d debate.Debate, cancel context.CancelFunc) (progress func(debate.Event), stop func(), ok bool) {
	if !io.ErrTTY || !io.InTTY || d.Note != nil || d.Clarify != nil {
		return nil, nil, false
	}
	if t := io.Env("TERM"); t == "" || t == "dumb" {
		return nil, nil, false
	}
	seats := make([]debate.Seat, len(d.Panel))
	for i, p := range d.Panel {
		seats[i] = p.Seat
	}
	v := tui.New(tui.Options{
		In:      io.In,
		Out:     io.Err,
		Cancel:  cancel,
		NoColor: io.Env("NO_COLOR") != "",
		Env:     termEnv(io),
		Panel:   seats,
		Log:     d.Log,
	})

	// If the view ends before the debate (it could not start, or a second q gave
	// the terminal back while the debate winds down), progress falls back to the
	// plain printer for whatever is left.
	var gone atomic.Bool
	plain := newProgress(io.Err, d)
	ran := make(chan error, 1)
	go func() {
		err := v.Run()
		gone.Store(true)
		ran <- err
	}()
	progress = func(e debate.Event) {
		if gone.Load() {
			plain.print(e)
			return
		}
		v.Event(e)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			v.Close()
			if err := <-ran; err != nil {
				fmt.Fprintf(io.Err, "parley: the live view stopped: %v\n", err)
			}
		})
	}
	return progress, stop, true
}

// termEnv is the part of the environment that tells a terminal's capabilities,
// taken from io.Env so that the view sees what the command sees.
func termEnv(io IO) []string {
	var env []string
	for _, k := range []string{
		"TERM", "COLORTERM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "NO_COLOR",
		"CLICOLOR", "CLICOLOR_FORCE", "TMUX", "SSH_TTY", "WT_SESSION", "LANG", "LC_ALL", "LC_CTYPE",
	} {
		if v := io.Env(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}
