// Package provider is the one small interface parley uses to reach a language model,
// and the error vocabulary every implementation speaks so that the debate engine can
// decide, in one place, what is worth retrying.
//
// Implementations live in internal/provider/...; the engine (package debate) only ever
// sees a Model.
package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Request is one model call: a system prompt and a user prompt. A debate turn is a
// single, self-contained call; history travels inside the prompt, so every provider
// (API or agent CLI) is driven the same way.
type Request struct {
	System      string
	Prompt      string
	Temperature *float64 // nil: the provider's default
	MaxTokens   int      // 0: the provider's default
	Reasoning   string   // OpenAI reasoning effort; "": the model's default
	Thinking    *int     // thinking budget in tokens, 0 for off; nil: the model's default
}

// Usage is what a call consumed, as the provider reported it.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// Response is a finished call.
type Response struct {
	Text  string
	Usage Usage
	// CostUSD is the cost the provider itself reported (agent CLIs do); valid when
	// CostReported is true. Otherwise the caller prices Usage.
	CostUSD      float64
	CostReported bool
	// Model is the model that actually answered, when the provider says so.
	Model string
	// UsageEstimated says Usage was counted with EstimateTokens because the
	// provider reported none.
	UsageEstimated bool
}

// Model is a model bound to one provider endpoint. Generate streams text deltas to
// onDelta (which may be nil) as they arrive and returns the complete answer. It must
// be safe for concurrent use. Errors should be *Error so the engine can classify them;
// anything else is treated as ClassUnknown and not retried.
type Model interface {
	Generate(ctx context.Context, req Request, onDelta func(text string)) (Response, error)
}

// Func adapts a function to Model; handy for tests and in-process fakes.
type Func func(ctx context.Context, req Request, onDelta func(string)) (Response, error)

// Generate implements Model.
func (f Func) Generate(ctx context.Context, req Request, onDelta func(string)) (Response, error) {
	return f(ctx, req, onDelta)
}

// Class says what kind of failure a call met.
type Class string

const (
	ClassRateLimited Class = "rate_limited" // 429: retried, honouring Retry-After
	ClassServer      Class = "server_error" // 5xx: retried
	ClassConnection  Class = "connection"   // reset, refused, stream cut: retried
	ClassTimeout     Class = "timeout"      // the per-call timeout passed: retried
	ClassAuth        Class = "auth"         // 401/403, not logged in: fails at once
	ClassBadRequest  Class = "bad_request"  // 400/404/422: fails at once
	ClassEmpty       Class = "empty_reply"  // the model answered nothing: retried
	ClassCanceled    Class = "canceled"     // the caller canceled: never retried, never recorded as a failure
	ClassUnknown     Class = "error"        // anything else: fails at once
)

// Error is a classified provider failure. Message must never contain a credential.
type Error struct {
	Class      Class
	Status     int           // HTTP status or process exit code, when there is one
	RetryAfter time.Duration // from a Retry-After header, when given
	Message    string
	Err        error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Status != 0 {
		return fmt.Sprintf("%s (%d): %s", e.Class, e.Status, msg)
	}
	return fmt.Sprintf("%s: %s", e.Class, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether another attempt may succeed.
func (e *Error) Retryable() bool {
	switch e.Class {
	case ClassRateLimited, ClassServer, ClassConnection, ClassTimeout, ClassEmpty:
		return true
	}
	return false
}

// ClassForStatus maps an HTTP status code to a Class.
func ClassForStatus(status int) Class {
	switch {
	case status == 429:
		return ClassRateLimited
	case status == 408:
		return ClassTimeout
	case status == 401 || status == 403:
		return ClassAuth
	case status >= 500:
		return ClassServer
	case status >= 400:
		return ClassBadRequest
	}
	return ClassUnknown
}

// Classify turns any error into an *Error. Context cancellation becomes ClassCanceled,
// a passed deadline ClassTimeout, network failures ClassConnection.
func Classify(err error) *Error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &Error{Class: ClassCanceled, Message: "canceled", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Class: ClassTimeout, Message: "no answer before the timeout", Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return &Error{Class: ClassTimeout, Message: err.Error(), Err: err}
		}
		return &Error{Class: ClassConnection, Message: err.Error(), Err: err}
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return &Error{Class: ClassConnection, Message: err.Error(), Err: err}
	}
	return &Error{Class: ClassUnknown, Message: err.Error(), Err: err}
}
