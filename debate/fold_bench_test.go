package debate

import (
	"context"
	"testing"
)

// BenchmarkFiftyTurnDebate runs a 5-seat, 10-round debate (50 turns and a verdict)
// against instant models: long enough that work which grows with the log (folding
// it again on every step) shows up in the per-turn cost.
func BenchmarkFiftyTurnDebate(b *testing.B) {
	mode, _ := BuiltinMode("standard")
	var panel []Participant
	for _, s := range []string{"A", "B", "C", "D", "E"} {
		panel = append(panel, Participant{Seat: Seat{Seat: s, Model: "fake:" + s}, Model: instant()})
	}
	b.ReportAllocs()
	for b.Loop() {
		d := Debate{ID: "bench", Spec: Spec{Problem: "Our Django API is slow. Where do we start?", Mode: "standard", Seed: 1, Rounds: 10}, Mode: mode, Panel: panel}
		rec, err := Run(context.Background(), d, func(Event) error { return nil })
		if err != nil || rec.Status != StatusCompleted || len(rec.Rounds) != 10 {
			b.Fatal(err, rec.Status, len(rec.Rounds))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*51)/1000, "µs/turn")
}
