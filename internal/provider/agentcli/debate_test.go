//go:build unix

package agentcli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/models"
	"github.com/parleyhq/parley/internal/provider/agentcli"
	"github.com/parleyhq/parley/provider"
)

// TestRealCLIDebate runs a whole standard debate with the three real CLIs as the
// panel, all against one fakellm, resolving the refs the way `parley -m …` does: a
// Resolver whose environment (PATH, HOME, the fake's URLs and keys) is the test's,
// not the process's.
func TestRealCLIDebate(t *testing.T) {
	t.Parallel()
	// The resolver finds the CLIs on its own PATH: one folder linking the three.
	bin := t.TempDir()
	for _, k := range agentcli.Kinds {
		if err := os.Symlink(agentcli.FindCLI(t, k), filepath.Join(bin, string(k))); err != nil {
			t.Fatal(err)
		}
	}
	srv := fakellm.Start(t, fakellm.Options{})
	env := agentcli.FakeHome(t, srv.URL(), true, agentcli.Kinds...)
	// node, which codex and gemini run under, comes from the machine's PATH.
	env["PATH"] = bin + string(os.PathListSeparator) + os.Getenv("PATH")
	cfg := &config.Config{}
	r := &models.Resolver{Config: cfg, Env: func(k string) string { return env[k] }}

	mode, ok := debate.BuiltinMode("standard")
	if !ok {
		t.Fatal("no standard mode")
	}
	refs := []string{"cli:claude", "cli:codex", "cli:gemini/gemini-2.5-flash"}
	var panel []debate.Participant
	for i, raw := range refs {
		ref, err := cfg.ParseRef(raw)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Resolve(ref)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		panel = append(panel, debate.Participant{Seat: debate.Seat{Seat: string(rune('A' + i)), Model: raw}, Model: res.Model})
	}
	const problem = "PROBLEM-MARKER: our API is slow; cache, index or rewrite queries first?"
	d := debate.Debate{
		ID:    "agentcli-real",
		Spec:  debate.Spec{Problem: problem, Mode: mode.Name, Timeout: 60 * time.Second, MaxAttempts: 1},
		Mode:  mode,
		Panel: panel,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	start := time.Now()
	rec, err := debate.Run(ctx, d, func(debate.Event) error { return nil })
	t.Logf("debate of %d rounds took %v", len(rec.Rounds), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for _, round := range rec.Rounds {
		for _, turn := range round.Turns {
			if turn.Status != "ok" {
				t.Errorf("round %d seat %s (%s) failed: %s", round.Number, turn.Seat, turn.Model, turn.Error)
			}
		}
	}
	if rec.Status != debate.StatusCompleted || rec.Verdict == nil || rec.Verdict.Recommendation == "" {
		t.Fatalf("status %s, verdict %+v, error %q", rec.Status, rec.Verdict, rec.Error)
	}
	if !strings.Contains(rec.Verdict.Recommendation, "FAKE recommendation") {
		t.Errorf("verdict = %q", rec.Verdict.Recommendation)
	}

	// Each CLI spoke its own protocol to the one fake, and the problem reached each.
	seen := map[string]int{}
	for _, c := range srv.Calls() {
		if c.Status != 200 {
			t.Errorf("%s call to %s: status %d %s", c.Protocol, c.Model, c.Status, c.Aborted)
		}
		if strings.Contains(c.Prompt, "PROBLEM-MARKER") {
			seen[c.Protocol]++
		}
	}
	for _, p := range []string{fakellm.ProtocolAnthropic, fakellm.ProtocolOpenAIResponses, fakellm.ProtocolGemini} {
		if seen[p] < len(rec.Rounds) {
			t.Errorf("%d %s calls carried the problem, want at least %d", seen[p], p, len(rec.Rounds))
		}
	}
	if rec.Usage.InputTokens == 0 || rec.Usage.OutputTokens == 0 {
		t.Errorf("usage = %+v", rec.Usage)
	}
	// Claude reports its cost; the engine takes it as reported.
	for _, row := range rec.Ledger {
		if row.Model == "cli:claude" && row.CostUSD <= 0 {
			t.Errorf("claude's reported cost is missing from the ledger: %+v", row)
		}
	}
}

// TestResolvedCLIUsesResolverEnvironment: a resolved cli:gemini model reaches the
// fake through the resolver's environment alone, the process's being untouched.
func TestResolvedCLIUsesResolverEnvironment(t *testing.T) {
	t.Parallel()
	bin := t.TempDir()
	if err := os.Symlink(agentcli.FindCLI(t, agentcli.Gemini), filepath.Join(bin, "gemini")); err != nil {
		t.Fatal(err)
	}
	srv := fakellm.Start(t, fakellm.Options{})
	env := agentcli.FakeHome(t, srv.URL(), true, agentcli.Gemini)
	env["PATH"] = bin + string(os.PathListSeparator) + os.Getenv("PATH")
	r := &models.Resolver{Config: &config.Config{}, Env: func(k string) string { return env[k] }}
	ref, _ := r.Config.ParseRef("cli:gemini/gemini-2.5-flash")
	res, err := r.Resolve(ref)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := res.Model.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "gemini-2.5-flash" || len(srv.CallsFor("gemini-2.5-flash")) != 1 {
		t.Errorf("model %q, calls %d", resp.Model, len(srv.Calls()))
	}
}
