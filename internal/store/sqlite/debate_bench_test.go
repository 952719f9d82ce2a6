package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/callcache"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/provider"
)

// BenchmarkTurnWithSQLite is a turn's whole cost to parley: whole standard debates
// (3 seats: 9 turns and the verdict) against instant in-process models, every event
// appended to SQLite as the CLI does. Target: ≤ 200 µs of CPU per turn.
func BenchmarkTurnWithSQLite(b *testing.B) { benchTurns(b, false) }

// BenchmarkTurnWithSQLiteAndCache records as `parley run` does: the events, and
// every answer in the call cache (internal/callcache) for replay.
func BenchmarkTurnWithSQLiteAndCache(b *testing.B) { benchTurns(b, true) }

func benchTurns(b *testing.B, cache bool) {
	st, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	// Answers are real prose, each call a different ~1.9 KB slice of the project's
	// own docs, so that nothing is flattered by text that repeats itself (a single
	// repeated sentence compresses 50×; English prose about 3×).
	prose := benchProse(b)
	var calls atomic.Int64
	model := provider.Func(func(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
		k := int(calls.Add(1))
		off := (k * 1931) % (len(prose) - 2000)
		body := prose[off : off+1900]
		text := body + "\n```json\n{\"position\": \"profile first\", \"confidence\": 80, \"changed\": false, \"converged\": false}\n```"
		if strings.Contains(req.Prompt, "# VERDICT") {
			text = "```json\n{\"recommendation\": \"profile first\", \"confidence\": 80}\n```"
		}
		return provider.Response{Text: text, Usage: provider.Usage{InputTokens: len(req.Prompt) / 4, OutputTokens: len(text) / 4}}, nil
	})
	mode, _ := debate.BuiltinMode("standard")
	panel := []debate.Participant{
		{Seat: debate.Seat{Seat: "A", Model: "fake:a"}, Model: model},
		{Seat: debate.Seat{Seat: "B", Model: "fake:b"}, Model: model},
		{Seat: debate.Seat{Seat: "C", Model: "fake:c"}, Model: model},
	}
	if cache {
		panel = callcache.Wrap(panel, st, callcache.Record, nil)
	}
	cpu0, _ := processCPU()
	i := 0
	for b.Loop() {
		i++
		d := debate.Debate{ID: fmt.Sprintf("bench-%d", i), Spec: debate.Spec{Problem: "Our Django API is slow. Where do we start?", Mode: "standard", Seed: int64(i)}, Mode: mode, Panel: panel}
		var rb store.Batcher // as parley run records: one commit per batch with an urgent event
		d.EmitBatch = func(events []debate.Event) error {
			_, err := rb.Add(st, events...)
			return err
		}
		rec, err := debate.Run(context.Background(), d, nil)
		if err != nil || rec.Status != debate.StatusCompleted {
			b.Fatal(err)
		}
	}
	cpu1, _ := processCPU()
	cpu := cpu1 - cpu0
	turns := float64(b.N * 10)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/turns/1000, "µs/turn")
	b.ReportMetric(float64(cpu.Nanoseconds())/turns/1000, "cpu-µs/turn")
}

// benchProse is the docs of the repository, concatenated.
func benchProse(tb testing.TB) string {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "docs", "*.md"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no docs to take prose from: %v", err)
	}
	var sb strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		sb.Write(b)
	}
	return sb.String()
}
