package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/models"
)

// TestMixedPanelDebate runs a whole debate with one seat per protocol, all three
// answered by one fake server: every provider goes through its real SDK, real HTTP
// and real SSE, and the engine sees nothing but provider.Model.
func TestMixedPanelDebate(t *testing.T) {
	blankGoogleEnv(t)
	const key = "sk-mixed-panel-test-key-0000"
	srv := fakellm.Start(t, fakellm.Options{RequireKey: key})
	env := map[string]string{
		"ANTHROPIC_BASE_URL":     srv.URL(),
		"ANTHROPIC_API_KEY":      key,
		"GOOGLE_GEMINI_BASE_URL": srv.URL(),
		"GEMINI_API_KEY":         key,
		"OPENAI_BASE_URL":        srv.URL() + "/v1",
		"OPENAI_API_KEY":         key,
	}
	cfg := &config.Config{}
	r := &models.Resolver{Config: cfg, Env: envOf(env)}
	refs := []string{"anthropic:claude-sonnet-4-5", "gemini:gemini-2.5-flash", "openai:gpt-4.1"}
	var panel []debate.Participant
	for i, raw := range refs {
		ref, err := cfg.ParseRef(raw)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Resolve(ref)
		if err != nil {
			t.Fatalf("resolve %s: %v", raw, err)
		}
		seat := debate.Seat{Seat: string(rune('A' + i)), Model: raw}
		panel = append(panel, debate.Participant{Seat: seat, Model: res.Model})
	}

	mode, ok := debate.BuiltinMode("standard")
	if !ok {
		t.Fatal("no built-in standard mode")
	}
	d := debate.Debate{
		ID:    "mixed",
		Spec:  debate.Spec{Problem: "Postgres or SQLite for a single-user CLI?", Mode: mode.Name, Timeout: 10 * time.Second, RetryBase: 10 * time.Millisecond},
		Mode:  mode,
		Panel: panel,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	rec, err := debate.Run(ctx, d, func(debate.Event) error { return nil })
	if err != nil {
		t.Fatal(err)
	}

	if rec.Status != debate.StatusCompleted || len(rec.Rounds) != 3 || rec.Verdict == nil {
		t.Fatalf("status %s, %d rounds, verdict %v, error %q", rec.Status, len(rec.Rounds), rec.Verdict, rec.Error)
	}
	if !strings.Contains(rec.Verdict.Recommendation, "FAKE recommendation") {
		t.Fatalf("verdict = %+v", rec.Verdict)
	}
	for _, round := range rec.Rounds {
		if len(round.Turns) != 3 {
			t.Fatalf("round %d has %d turns", round.Number, len(round.Turns))
		}
		for _, turn := range round.Turns {
			if !turn.OK() || turn.Attempts != 1 || turn.Usage.InputTokens == 0 || turn.Usage.OutputTokens == 0 {
				t.Fatalf("round %d seat %s: %+v", round.Number, turn.Seat, turn)
			}
		}
	}

	protocols := map[string]string{
		"claude-sonnet-4-5": fakellm.ProtocolAnthropic,
		"gemini-2.5-flash":  fakellm.ProtocolGemini,
		"gpt-4.1":           fakellm.ProtocolOpenAIChat,
	}
	for model, proto := range protocols {
		calls := srv.CallsFor(model)
		// three rounds each, and the chair (seat A, Claude) writes the verdict too
		want := 3
		if model == "claude-sonnet-4-5" {
			want = 4
		}
		if len(calls) != want {
			t.Fatalf("%s: %d calls, want %d", model, len(calls), want)
		}
		for _, c := range calls {
			if c.Protocol != proto || !c.Stream || c.Status != 200 || c.Aborted != "" {
				t.Fatalf("%s: call = %+v", model, c)
			}
		}
	}
	if n := len(srv.Calls()); n != 10 {
		t.Fatalf("%d calls in all, want 10", n)
	}
}
