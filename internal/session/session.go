// Package session is the service core every front end shares: it turns a Request
// into a debate ready to run (the panel from refs, a named panel or detection; the
// mode; the spec with the configuration's defaults), records a running debate (the
// sink: secrets scrubbed, events durable, the debate claimed by this process), and
// takes a stored debate up again. `parley run`, `parley resume`, the MCP tools, the
// HTTP server's local and team backends and replay all go through it, so that a
// debate started or resumed from any of them is built the same way.
//
// It knows no terminal, HTTP or MCP: bad input comes back as an *InputError with a
// hint, which each front end shows in its own way (exit 2, status 400, a tool
// error).
package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/parleyhq/parley/debate"
)

// Request is a new debate as any front end asks for it. Empty fields mean "the
// configured default". Its JSON is the HTTP API's POST /api/debates body (the
// CONTRACT's problem, models, mode and rounds; the rest are extensions); the
// fields tagged "-" are set by the command line only.
type Request struct {
	Problem string   `json:"problem"`
	Models  []string `json:"models,omitempty"`
	// Panel names a panel of the user's config; it and Models exclude each other.
	Panel  string `json:"panel,omitempty"`
	Mode   string `json:"mode,omitempty"`
	Rounds int    `json:"rounds,omitempty"`
	// Context is material every participant reads with the problem.
	Context string `json:"context,omitempty"`
	// Stances are per-seat stances in seat order (A, B, …); "" leaves a seat
	// without one.
	Stances []string `json:"stances,omitempty"`
	// Files are files every participant reads, already read and cut to a budget
	// by the front end (the MCP tool reads them from its workspace).
	Files []debate.File `json:"-"`

	// Chair is the seat letter or model ref that writes the verdict; it must sit
	// on the panel. "" takes the config's chair when that sits on the panel.
	Chair            string              `json:"-"`
	Attachments      []debate.Attachment `json:"-"`
	Timeout          time.Duration       `json:"-"` // per call; 0: the config's
	SeatDeadline     time.Duration       `json:"-"`
	Deadline         time.Duration       `json:"-"`
	RetryFailedSeats bool                `json:"-"`
	MaxCostUSD       float64             `json:"-"` // 0: the config's
}

// InputError is a request that cannot run as asked: bad input or configuration,
// found before any model was called. Its message is written for the person who
// asked and carries no secret; Hint, when set, is what to try instead.
type InputError struct {
	Err  error
	Hint string
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// input makes an InputError.
func input(hint, format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...), Hint: hint}
}

// Hinted is err as one message, its hint (if any) in parentheses, for front ends
// that have one line to show.
func Hinted(err error) error {
	var ie *InputError
	if errors.As(err, &ie) && ie.Hint != "" {
		return fmt.Errorf("%v (try: %s)", ie.Err, ie.Hint)
	}
	return err
}
