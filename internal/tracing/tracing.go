// Package tracing turns the debates of this process into OpenTelemetry traces: one
// span per debate, a child span per round, and a child span per model call (under
// its round, or under the debate for the verdict and other calls outside a round).
//
// Like the metrics, the spans are built from the debate event stream (Observe, fed
// by the server's Hub), with the events' own timestamps, so the engine knows nothing
// of tracing. Span attributes are the seat, provider, model, tokens, attempts and
// status of a call: never a prompt, an answer or an error message, which may quote
// the user's text, and never a key.
//
// Export is configured by the standard OTEL_EXPORTER_OTLP_* variables (OTLP over
// HTTP) and is off when no endpoint is set: no exporter, no goroutine, no cost.
package tracing

import (
	"context"
	"strconv"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/metrics"
)

// ScopeName is the instrumentation scope of parley's spans.
const ScopeName = "github.com/parleyhq/parley"

// Tracer builds spans from debate events. It is safe for concurrent use.
type Tracer struct {
	tp trace.TracerProvider
	tr trace.Tracer

	mu      sync.Mutex
	debates map[string]*debateSpans
}

type debateSpans struct {
	ctx   context.Context // carries the debate's span
	span  trace.Span
	round trace.Span // the open round, if any
	rctx  context.Context
	calls map[string]trace.Span // seat → its open call
	seats map[string]debate.Seat
}

// New returns a Tracer making spans with tp.
func New(tp trace.TracerProvider) *Tracer {
	return &Tracer{tp: tp, tr: tp.Tracer(ScopeName), debates: map[string]*debateSpans{}}
}

// Provider is the provider the spans are made with, for other instrumentation
// (otelriver's job spans) to export through the same pipeline.
func (t *Tracer) Provider() trace.TracerProvider { return t.tp }

// Observe turns one event into span starts, ends and attributes. Events of one
// debate must come in the order the debate emits them.
func (t *Tracer) Observe(e debate.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ts := trace.WithTimestamp(e.At)
	d := t.debates[e.DebateID]
	switch e.Kind {
	case debate.KindDebateStarted, debate.KindDebateResumed:
		if d != nil {
			return
		}
		attrs := []attribute.KeyValue{attribute.String("parley.debate.id", e.DebateID), attribute.Bool("parley.resumed", e.Kind == debate.KindDebateResumed)}
		seats := map[string]debate.Seat{}
		if e.Started != nil {
			for _, s := range e.Started.Panel {
				seats[s.Seat] = s
			}
			attrs = append(attrs, attribute.String("parley.mode", e.Started.Spec.Mode), attribute.Int("parley.seats", len(e.Started.Panel)))
		}
		ctx, span := t.tr.Start(context.Background(), "debate", ts, trace.WithAttributes(attrs...), trace.WithSpanKind(trace.SpanKindInternal))
		t.debates[e.DebateID] = &debateSpans{ctx: ctx, span: span, calls: map[string]trace.Span{}, seats: seats}
	case debate.KindRoundStarted:
		if d == nil {
			return
		}
		if d.round != nil {
			d.round.End(ts)
		}
		d.rctx, d.round = t.tr.Start(d.ctx, "round "+strconv.Itoa(e.Round), ts,
			trace.WithAttributes(attribute.Int("parley.round", e.Round), attribute.String("parley.round.kind", e.RoundKind)))
	case debate.KindRoundCompleted:
		if d == nil || d.round == nil {
			return
		}
		if e.Agreement != nil {
			d.round.SetAttributes(attribute.Int("parley.round.live", e.Agreement.Live), attribute.Int("parley.round.failed", e.Agreement.Failed),
				attribute.Bool("parley.round.converged", e.Agreement.Converged))
		}
		d.round.End(ts)
		d.round, d.rctx = nil, nil
	case debate.KindTurnStarted:
		if d == nil {
			return
		}
		parent := d.ctx
		if d.round != nil {
			parent = d.rctx
		}
		s := d.seats[e.Seat]
		_, span := t.tr.Start(parent, "call "+e.Seat, ts, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("parley.seat", e.Seat),
			attribute.String("parley.provider", metrics.ProviderOf(s.Model)),
			attribute.String("parley.model", s.Model),
			attribute.Int("parley.round", e.Round)))
		if old := d.calls[e.Seat]; old != nil {
			old.End(ts)
		}
		d.calls[e.Seat] = span
	case debate.KindTurnRetrying:
		if span := d.call(e.Seat); span != nil && e.Retry != nil {
			span.AddEvent("retry", ts, trace.WithAttributes(attribute.Int("parley.attempt", e.Retry.Attempt),
				attribute.String("parley.error_class", string(e.Retry.Class))))
		}
	case debate.KindTurnCompleted, debate.KindTurnFailed, debate.KindVerdictCompleted, debate.KindVerdictFailed,
		debate.KindSummaryCompleted, debate.KindSummaryFailed:
		span := d.call(e.Seat)
		if span == nil {
			return
		}
		delete(d.calls, e.Seat)
		span.SetAttributes(attribute.String("parley.call", string(e.Kind)))
		if tn := e.Turn; tn != nil {
			status := "ok"
			if tn.ErrorClass != "" || e.Kind == debate.KindTurnFailed || e.Kind == debate.KindVerdictFailed || e.Kind == debate.KindSummaryFailed {
				status = string(tn.ErrorClass)
				if status == "" {
					status = "error"
				}
				span.SetStatus(codes.Error, status) // the class only: an error's text may quote the prompt
			}
			span.SetAttributes(
				attribute.String("parley.status", status),
				attribute.Int("parley.tokens.input", tn.Usage.InputTokens),
				attribute.Int("parley.tokens.output", tn.Usage.OutputTokens),
				attribute.Int("parley.attempts", tn.Attempts),
				attribute.Float64("parley.cost_usd", tn.CostUSD))
		}
		span.End(ts)
	case debate.KindDebateFinished:
		if d == nil {
			return
		}
		if e.Finished != nil {
			d.span.SetAttributes(attribute.String("parley.status", string(e.Finished.Status)),
				attribute.String("parley.stopped_because", e.Finished.StoppedBecause))
			if e.Finished.Status == debate.StatusFailed {
				d.span.SetStatus(codes.Error, string(e.Finished.Status))
			}
		}
		t.end(e.DebateID, ts)
	}
}

// call is the open span of seat's call, if any.
func (d *debateSpans) call(seat string) trace.Span {
	if d == nil {
		return nil
	}
	return d.calls[seat]
}

// Stopped ends the spans of a debate that stops running here without a
// debate_finished event (handed on to another replica).
func (t *Tracer) Stopped(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := t.debates[id]; d != nil {
		d.span.SetAttributes(attribute.String("parley.status", "handed_on"))
		t.end(id)
	}
}

// end closes every open span of debate id, innermost first.
func (t *Tracer) end(id string, opts ...trace.SpanEndOption) {
	d := t.debates[id]
	for seat, span := range d.calls {
		span.End(opts...)
		delete(d.calls, seat)
	}
	if d.round != nil {
		d.round.End(opts...)
	}
	d.span.End(opts...)
	delete(t.debates, id)
}
