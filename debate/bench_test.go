package debate

import (
	"context"
	"strings"
	"testing"

	"github.com/parleyhq/parley/provider"
)

// instant answers at once with a realistic ~2 KB answer, so the benchmark measures
// parley's own work per turn: prompt composition, parsing, folding the log, events.
func instant() provider.Model {
	body := strings.Repeat("We should profile the slow endpoints before changing anything. ", 30)
	return provider.Func(func(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
		text := body + "\n```json\n{\"position\": \"profile first\", \"confidence\": 80, \"changed\": false, \"converged\": false}\n```"
		if strings.Contains(req.Prompt, "# VERDICT") {
			text = "```json\n{\"recommendation\": \"profile first\", \"confidence\": 80}\n```"
		}
		if onDelta != nil {
			onDelta(text)
		}
		return provider.Response{Text: text, Usage: provider.Usage{InputTokens: len(req.Prompt) / 4, OutputTokens: len(text) / 4}}, nil
	})
}

// BenchmarkDebateOverhead runs whole standard debates (3 seats: 9 turns and a
// verdict) against instant in-process models with a no-op sink, and reports the
// orchestration cost per turn.
func BenchmarkDebateOverhead(b *testing.B) {
	mode, _ := BuiltinMode("standard")
	panel := []Participant{
		{Seat: Seat{Seat: "A", Model: "fake:a"}, Model: instant()},
		{Seat: Seat{Seat: "B", Model: "fake:b"}, Model: instant()},
		{Seat: Seat{Seat: "C", Model: "fake:c"}, Model: instant()},
	}
	b.ReportAllocs()
	for b.Loop() {
		d := Debate{ID: "bench", Spec: Spec{Problem: "Our Django API is slow. Where do we start?", Mode: "standard", Seed: 1}, Mode: mode, Panel: panel}
		rec, err := Run(context.Background(), d, func(Event) error { return nil })
		if err != nil || rec.Status != StatusCompleted {
			b.Fatal(err, rec.Status)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10)/1000, "µs/turn")
}
