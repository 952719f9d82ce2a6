package debate

import (
	"time"

	"github.com/parleyhq/parley/provider"
)

// Kind names an event. The names are stored: never rename one.
type Kind string

const (
	KindDebateStarted    Kind = "debate_started"
	KindDebateResumed    Kind = "debate_resumed" // a process took up an unfinished debate
	KindRoundStarted     Kind = "round_started"
	KindTurnStarted      Kind = "turn_started"
	KindTurnDelta        Kind = "turn_delta" // streamed text; delivered live, never stored
	KindTurnRetrying     Kind = "turn_retrying"
	KindTurnCompleted    Kind = "turn_completed"
	KindTurnFailed       Kind = "turn_failed"
	KindUserNote         Kind = "user_note"
	KindRoundCompleted   Kind = "round_completed"
	KindClarified        Kind = "clarified"         // the chair's questions and the user's answers, before round 1
	KindSummaryCompleted Kind = "summary_completed" // a seat's summary of round Round, for the next round
	KindSummaryFailed    Kind = "summary_failed"
	KindVerdictCompleted Kind = "verdict_completed"
	KindVerdictFailed    Kind = "verdict_failed"
	KindDebateFinished   Kind = "debate_finished"
	// KindSeatOut marks a seat out of the debate after its turn of round Round
	// failed; Text is why. It is not asked again (unless the spec or mode says to
	// retry failed seats), and a resume keeps it out.
	KindSeatOut Kind = "seat_out"
)

// Stored reports whether events of this kind belong in the durable log.
func (k Kind) Stored() bool { return k != KindTurnDelta }

// Urgent reports whether an event of this kind must be durable before the engine
// goes on: losing it would mean paying for a model call again, or losing what the
// user said. Other stored events (round and turn starts, retries, round ends) may be
// written together with the next urgent one: if the process dies first, a resume
// simply records them again. Stores batch on this to keep appends few.
func (k Kind) Urgent() bool {
	switch k {
	case KindRoundStarted, KindTurnStarted, KindTurnRetrying, KindRoundCompleted, KindDebateResumed, KindTurnDelta:
		return false
	}
	return true
}

// Event is one entry of a debate's append-only log. Exactly one of the payload
// pointers is set, according to Kind (none for TurnStarted and RoundCompleted's
// plain form). Seq numbers stored events from 1 without gaps; deltas carry the Seq of
// the last stored event and are not numbered themselves.
type Event struct {
	DebateID string    `json:"debate_id"`
	Seq      int       `json:"seq"`
	At       time.Time `json:"at"`
	Kind     Kind      `json:"kind"`
	Round    int       `json:"round,omitempty"`
	Seat     string    `json:"seat,omitempty"`

	Started   *Started   `json:"started,omitempty"`    // DebateStarted
	RoundKind string     `json:"round_kind,omitempty"` // RoundStarted
	Text      string     `json:"text,omitempty"`       // TurnDelta (the new text), UserNote
	Retry     *Retry     `json:"retry,omitempty"`      // TurnRetrying
	Turn      *Turn      `json:"turn,omitempty"`       // TurnCompleted, TurnFailed
	Agreement *Agreement `json:"agreement,omitempty"`  // RoundCompleted
	Verdict   *Verdict   `json:"verdict,omitempty"`    // VerdictCompleted
	// Clarification is the chair's questions and the user's answers (Clarified).
	Clarification *Clarification `json:"clarification,omitempty"`
	Finished      *Finished      `json:"finished,omitempty"` // DebateFinished
}

// Started is the snapshot of everything needed to replay or resume a debate: the spec
// and the panel as refs (never keys). A resumed debate rebuilds its models from these.
type Started struct {
	Spec  Spec   `json:"spec"`
	Panel []Seat `json:"panel"`
	// Mode is the mode's definition as it was when the debate began, so a resume is
	// not changed by later edits to a user's mode file.
	Mode *Mode `json:"mode,omitempty"`
}

// Seat is one participant as recorded in the log.
type Seat struct {
	Seat    string `json:"seat"`
	Model   string `json:"model"`           // the model ref, e.g. "openai:gpt-5"
	Label   string `json:"label,omitempty"` // honest display name, e.g. "cli:claude#2"
	Persona string `json:"persona,omitempty"`
	Role    string `json:"role,omitempty"` // the mode's role or stance, e.g. "skeptic", "against"
	// Stance is the caller's stance for this seat (MCP's "stances"): "for",
	// "against", "neutral" or free text, rendered by prompts/stance.tmpl.
	Stance      string   `json:"stance,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	// Settings are the seat's generation settings, in canonical form
	// (provider.Settings.String: "max_tokens=16000&thinking=8000"), for reports
	// and for keying a call cache.
	Settings string `json:"settings,omitempty"`
	// ContextWindow is the model's context in tokens (0: unknown), for the "budget"
	// view of other answers.
	ContextWindow int `json:"context_window,omitempty"`
}

// Clarification is what the chair asked before the debate and what the user said.
type Clarification struct {
	Questions []string `json:"questions"`
	Answers   []string `json:"answers"`
}

// Retry records that an attempt failed and another will follow after Wait.
type Retry struct {
	Attempt int            `json:"attempt"` // the attempt that failed, from 1
	Class   provider.Class `json:"class"`
	Error   string         `json:"error"`
	Wait    time.Duration  `json:"wait_ns"`
}

// Turn is one finished model call: its answer and what was read from it, or its failure.
type Turn struct {
	Text      string         `json:"text,omitempty"`
	Reply     Reply          `json:"reply"`
	Usage     provider.Usage `json:"usage"`
	CostUSD   float64        `json:"cost_usd,omitempty"`
	LatencyMS int64          `json:"latency_ms"`
	Attempts  int            `json:"attempts"`
	// Prompt is the exact user prompt sent, kept so the log shows what each seat saw.
	// A prompt that quotes earlier answers whole is stored as PromptPieces instead
	// (promptlog.go); PromptText gives it back either way.
	Prompt       string        `json:"prompt,omitempty"`
	PromptPieces []PromptPiece `json:"prompt_pieces,omitempty"`
	Truncated    bool          `json:"truncated,omitempty"`
	// Failure fields, for TurnFailed.
	ErrorClass provider.Class `json:"error_class,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// Agreement summarises a finished round.
type Agreement struct {
	Live      int  `json:"live"` // turns that succeeded
	Failed    int  `json:"failed"`
	Converged bool `json:"converged"` // every live participant said converged
}

// Finished closes the log.
type Finished struct {
	Status         Status `json:"status"`
	StoppedBecause string `json:"stopped_because"`
	Error          string `json:"error,omitempty"`
}

// Status of a debate, as in the JSON result.
type Status string

const (
	StatusRunning     Status = "running"
	StatusCompleted   Status = "completed"
	StatusFailed      Status = "failed"
	StatusInterrupted Status = "interrupted"
	// StatusDegraded: a verdict was written, but from fewer than Quorum seats; the
	// verdict says so.
	StatusDegraded Status = "degraded"
)
