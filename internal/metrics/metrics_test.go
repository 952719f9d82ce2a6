package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/metrics"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/provider"
)

// TestMetricsOfAFakeDebate runs a three-seat debate against fakellm through the real
// providers (one Anthropic seat, two OpenAI seats, one of whose calls fails with a
// 500 and is retried), feeds its events to Metrics and scrapes exact figures.
func TestMetricsOfAFakeDebate(t *testing.T) {
	const key = "sk-metrics-test-key-0000"
	srv := fakellm.Start(t, fakellm.Options{RequireKey: key})
	fixed := fakellm.Reply{InputTokens: 100, OutputTokens: 10}
	srv.Script("claude-sonnet-4-5", fakellm.Script{Replies: []fakellm.Reply{fixed}})
	srv.Script("gpt-4.1", fakellm.Script{Replies: []fakellm.Reply{{Status: 500}, fixed}})
	srv.Script("gpt-4.1-mini", fakellm.Script{Replies: []fakellm.Reply{fixed}})
	env := map[string]string{
		"ANTHROPIC_BASE_URL": srv.URL(), "ANTHROPIC_API_KEY": key,
		"OPENAI_BASE_URL": srv.URL() + "/v1", "OPENAI_API_KEY": key,
	}
	cfg := &config.Config{}
	r := &models.Resolver{Config: cfg, Env: func(k string) string { return env[k] }}
	var panel []debate.Participant
	for i, raw := range []string{"anthropic:claude-sonnet-4-5", "openai:gpt-4.1", "openai:gpt-4.1-mini"} {
		ref, err := cfg.ParseRef(raw)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Resolve(ref)
		if err != nil {
			t.Fatal(err)
		}
		panel = append(panel, debate.Participant{Seat: debate.Seat{Seat: string(rune('A' + i)), Model: raw}, Model: res.Model})
	}
	mode, _ := debate.BuiltinMode("standard")
	d := debate.Debate{
		ID:    "metrics",
		Spec:  debate.Spec{Problem: "Postgres or SQLite?", Mode: mode.Name, Timeout: 10 * time.Second, RetryBase: time.Millisecond},
		Mode:  mode,
		Panel: panel,
		// A quarter (exact in binary) a call that answered, to check the cost is summed per provider.
		Price: func(debate.Seat, provider.Usage) float64 { return 0.25 },
	}

	m := metrics.New()
	reg := m.Registry()
	var runningDuring error
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rec, err := debate.Run(ctx, d, func(e debate.Event) error {
		m.Observe(e)
		if e.Kind == debate.KindRoundStarted && e.Round == 1 {
			runningDuring = testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP parley_debates_running Debates running in this process.
# TYPE parley_debates_running gauge
parley_debates_running 1
`), "parley_debates_running")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != debate.StatusCompleted || len(rec.Rounds) != 3 || rec.Verdict == nil {
		t.Fatalf("status %s, %d rounds, verdict %v", rec.Status, len(rec.Rounds), rec.Verdict)
	}
	if runningDuring != nil {
		t.Errorf("while running: %v", runningDuring)
	}

	// Anthropic: seat A's three turns and the verdict (A chairs). OpenAI: three turns
	// each of B and C, and B's failed first attempt.
	want := `
# HELP parley_calls_total Model calls (attempts) by provider and status: ok, or the error class of a failed attempt.
# TYPE parley_calls_total counter
parley_calls_total{provider="anthropic",status="ok"} 4
parley_calls_total{provider="openai",status="ok"} 6
parley_calls_total{provider="openai",status="server_error"} 1
# HELP parley_cost_dollars_total Cost of the calls that answered, in US dollars, by provider.
# TYPE parley_cost_dollars_total counter
parley_cost_dollars_total{provider="anthropic"} 1
parley_cost_dollars_total{provider="openai"} 1.5
# HELP parley_debates_running Debates running in this process.
# TYPE parley_debates_running gauge
parley_debates_running 0
# HELP parley_tokens_total Tokens the providers reported, by provider and direction (input, output).
# TYPE parley_tokens_total counter
parley_tokens_total{direction="input",provider="anthropic"} 400
parley_tokens_total{direction="input",provider="openai"} 600
parley_tokens_total{direction="output",provider="anthropic"} 40
parley_tokens_total{direction="output",provider="openai"} 60
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"parley_calls_total", "parley_cost_dollars_total", "parley_debates_running", "parley_tokens_total"); err != nil {
		t.Error(err)
	}
	counts := histogramCounts(t, m)
	if counts["anthropic"] != 4 || counts["openai"] != 6 || len(counts) != 2 {
		t.Errorf("parley_call_duration_seconds counts = %v, want anthropic 4, openai 6", counts)
	}
}

// histogramCounts is the sample count of parley_call_duration_seconds by provider.
func histogramCounts(t *testing.T, m *metrics.Metrics) map[string]uint64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, f := range fams {
		if f.GetName() != "parley_call_duration_seconds" {
			continue
		}
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "provider" {
					out[l.GetValue()] = mt.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return out
}

// TestMetricsOfAResumedDebate: a debate resumed here was not seen to start; its
// seats' providers come from Panel, and it counts as running until it finishes.
func TestMetricsOfAResumedDebate(t *testing.T) {
	m := metrics.New()
	asked := 0
	m.Panel = func(id string) []debate.Seat {
		asked++
		if id != "old" {
			t.Errorf("Panel(%q)", id)
		}
		return []debate.Seat{{Seat: "A", Model: "gemini:gemini-2.5-flash"}, {Seat: "B", Model: "bogus"}}
	}
	turn := &debate.Turn{Usage: provider.Usage{InputTokens: 7, OutputTokens: 3}, LatencyMS: 1500, CostUSD: 0.5}
	for _, e := range []debate.Event{
		{DebateID: "old", Kind: debate.KindDebateResumed},
		{DebateID: "old", Kind: debate.KindTurnCompleted, Seat: "A", Turn: turn},
		{DebateID: "old", Kind: debate.KindTurnFailed, Seat: "B", Turn: &debate.Turn{ErrorClass: provider.ClassAuth}},
		{DebateID: "old", Kind: debate.KindTurnRetrying, Seat: "Z", Retry: &debate.Retry{Class: provider.ClassTimeout}},
		// Resumed again (a job taking it up on this replica): still one debate running.
		{DebateID: "old", Kind: debate.KindDebateResumed},
	} {
		m.Observe(e)
	}
	want := `
# HELP parley_calls_total Model calls (attempts) by provider and status: ok, or the error class of a failed attempt.
# TYPE parley_calls_total counter
parley_calls_total{provider="gemini",status="ok"} 1
parley_calls_total{provider="unknown",status="auth"} 1
parley_calls_total{provider="unknown",status="timeout"} 1
# HELP parley_debates_running Debates running in this process.
# TYPE parley_debates_running gauge
parley_debates_running 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "parley_calls_total", "parley_debates_running"); err != nil {
		t.Error(err)
	}
	m.Observe(debate.Event{DebateID: "old", Kind: debate.KindDebateFinished, Finished: &debate.Finished{Status: debate.StatusCompleted}})
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(`
# HELP parley_debates_running Debates running in this process.
# TYPE parley_debates_running gauge
parley_debates_running 0
`), "parley_debates_running"); err != nil {
		t.Error(err)
	}
	if asked != 1 {
		t.Errorf("Panel asked %d times, want 1", asked)
	}
}
