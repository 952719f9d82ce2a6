package debate

import (
	"time"

	"github.com/parleyhq/parley/provider"
)

// Spec is what a debate is asked to do. It is recorded in the log's first event, so
// everything here must be plain data: a resumed debate continues from this snapshot.
type Spec struct {
	Problem string `json:"problem"`
	// Context is material the user supplied (attached files, facts from an MCP caller),
	// quoted to every participant as user-provided material.
	Context string `json:"context,omitempty"`
	// Attachments describe the files whose text is in Context, for the report.
	Attachments []Attachment `json:"attachments,omitempty"`
	// Files are files the caller named (MCP's "files"), read by parley and quoted
	// to every participant, each in a labelled block (prompts/files.tmpl). Their
	// text is recorded so that a resumed debate sends the same prompts even if the
	// files changed since.
	Files []File `json:"files,omitempty"`
	Mode  string `json:"mode"`
	// Rounds caps the mode's rounds; 0 keeps the mode's own number.
	Rounds int `json:"rounds,omitempty"`
	// Chair is the seat (or model ref) that writes the verdict; "" means the mode's
	// choice, which for every built-in mode is the first seat. Failover follows seat order.
	Chair string `json:"chair,omitempty"`
	// Timeout bounds each model call; 0 means DefaultTimeout.
	Timeout time.Duration `json:"timeout_ns,omitempty"`
	// MaxAttempts bounds the calls made for one turn (first try plus retries); 0 means
	// DefaultMaxAttempts.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// RetryBase is the first backoff; it doubles per attempt with jitter. 0 means
	// DefaultRetryBase. A Retry-After from the provider is honoured when longer.
	RetryBase time.Duration `json:"retry_base_ns,omitempty"`
	// MaxCostUSD stops the debate before a round whose estimated cost would pass it; 0: no cap.
	MaxCostUSD float64 `json:"max_cost_usd,omitempty"`
	// Seed makes the per-recipient shuffles and quote delimiters reproducible, so a
	// resumed debate shows the same prompts it would have shown.
	Seed int64 `json:"seed"`
	// SeatDeadline bounds the time one seat may take in one round, retries and
	// backoff included; 0 means twice Timeout. A seat that runs past it is cut.
	SeatDeadline time.Duration `json:"seat_deadline_ns,omitempty"`
	// Deadline bounds the rounds of the whole debate, counted from when this process
	// took it up: when it passes, turns in flight are cut and the verdict is written
	// from what has been answered. 0: no deadline.
	Deadline time.Duration `json:"deadline_ns,omitempty"`
	// RetryFailedSeats asks a seat whose turn failed again in later rounds instead
	// of marking it out (the mode's retry_failed_seats does the same).
	RetryFailedSeats bool `json:"retry_failed_seats,omitempty"`
}

// Attachment is one file given with --attach: how much of it the panel read.
type Attachment struct {
	Path      string `json:"path"`
	Bytes     int    `json:"bytes"`
	Included  int    `json:"included"` // bytes quoted to the panel
	Truncated bool   `json:"truncated,omitempty"`
}

// File is one file of Spec.Files: its path as the caller gave it, relative to the
// workspace, and the text the panel reads (cut to a budget by the caller).
type File struct {
	Path      string `json:"path"`
	Text      string `json:"text"`
	Bytes     int    `json:"bytes"`
	Truncated bool   `json:"truncated,omitempty"`
}

// Defaults for Spec fields left zero.
const (
	DefaultTimeout     = 5 * time.Minute
	DefaultMaxAttempts = 4
	DefaultRetryBase   = time.Second
)

// Participant is a seat at the table: a model and how it is presented.
type Participant struct {
	Seat
	// Model answers for the seat. It is not recorded; a resumed debate rebuilds it
	// from Seat.Model.
	Model provider.Model `json:"-"`
}
